"""Gathering the facts of many subjects in one round trip (``UNWIND $usccs``).

One query per batch (:func:`fetch`), with pattern comprehensions and ``COUNT {}`` per
subject: no per-subject round trips. The engine reads the same in two parts
(:func:`fetch_early` ahead of time, :func:`fetch_late` once the batch before is written).
Windowed facts (complaints, cases, inspections, actions) are cut at ``$since`` so a
subject with years of history does not drag it all over the wire.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

import neo4j

from hub.credit.facts_model import Facts

PROV = ".src_party, .src_record"

HEAD = """
UNWIND $usccs AS u
MATCH (s:Subject {uscc: u})
RETURN """

# What the rescore pipeline itself writes or reads from other subjects: the subject's
# own credit state (trigger closings set credit_repair_open), its open alerts and its
# related subjects' classes. Read after the previous batch is written (engine.py).
LATE = f"""s {{.uscc, .name, .kind, .division, .registered_on, .status, .stub, {PROV},
           .credit_class, .credit_class_since, .credit_score, .in_sandbox, .sandbox_since,
           .credit_repair_open, .credit_hash}} AS subject,
  [(al:Alert)-[:ABOUT]->(s) WHERE al.status <> 'closed' |
      al {{.id, .rule, .severity, .status, .escalated_at, .created_at, .deadline}}] AS alerts,
  [(s)<-[r1:LEGAL_REP_OF|SHAREHOLDER_OF]-(p:Person)-[r2:LEGAL_REP_OF|SHAREHOLDER_OF]->
      (o:Subject) WHERE o <> s AND r1.end IS NULL AND r2.end IS NULL |
      {{uscc: o.uscc, credit_class: o.credit_class, status: o.status, via: 'person',
        person_key: p.key, role: type(r2), src_party: r2.src_party,
        src_record: r2.src_record}}]
  + [(s)-[r:SHAREHOLDER_OF|BRANCH_OF]-(o:Subject) WHERE o <> s AND r.end IS NULL |
      {{uscc: o.uscc, credit_class: o.credit_class, status: o.status, via: 'subject',
        role: type(r), src_party: r.src_party, src_record: r.src_record}}] AS related"""

# The rest: facts from the feeds, which the pipeline never writes.
EARLY = f"""s.uscc AS uscc,
  [(s)-[:HOLDS]->(l:Licence) | l {{.key, .licence_type, .valid_from, .valid_to, {PROV}}}]
    AS licences,
  [(s)-[:OPERATES]->(st:Store) | st {{.key, .platform_id, .licence_displayed, .opened_on,
      .closed_on, {PROV},
      products: [(st)-[:LISTS]->(p:Product) WHERE p.category <> 'general'
                 AND (p.delisted_on IS NULL OR p.delisted_on >= $since) |
                 p {{.key, .category, .title, .listed_on, .delisted_on, {PROV}}}]}}] AS stores,
  [(s)-[:FILED]->(r:AnnualReport) | r {{.key, .year, .filed_on, .due_on, {PROV}}}] AS reports,
  [(s)-[:CHANGED]->(c:RegistrationChange) WHERE c.changed_on >= $since |
      c {{.id, .changed_on, .item, .published, .published_on, {PROV}}}] AS changes,
  [(c:Complaint)-[:AGAINST]->(s) WHERE c.received_on >= $since |
      c {{.id, .received_on, .channel, .status, .resolved_on, .platform_id, {PROV}}}]
    AS complaints,
  [(k:Case)-[:CONCERNS]->(s) WHERE k.opened_on >= $since |
      k {{.id, .opened_on, .outcome, .decided_on, .fine, .authority, {PROV}}}] AS cases,
  [(i:Inspection)-[:OF]->(s) WHERE i.inspected_on >= $since |
      i {{.id, .inspected_on, .result, .kind, {PROV}}}] AS inspections,
  [(:Association)-[:ISSUED]->(e:CreditEvaluation)-[:RATES]->(s) |
      e {{.id, .association_id, .grade, .score, .issued_on, .valid_to, {PROV}}}]
    AS evaluations,
  COUNT {{ (s)-[m:MEMBER_OF]->(:Association) WHERE m.end IS NULL }} AS memberships,
  [(pa:PlatformAction)-[:AGAINST]->(s) WHERE pa.at >= $since |
      pa {{.id, .kind, .at, .platform_id, .alert_id, .src_party, .src_record}}]
    AS platform_actions,
  [(m:Reminder)-[:FOR]->(s) | m.id] AS reminder_ids"""

FACTS_QUERY = HEAD + LATE + ",\n  " + EARLY.replace("s.uscc AS uscc,\n  ", "", 1)
EARLY_QUERY = HEAD + EARLY
LATE_QUERY = HEAD + LATE


NEIGHBOURS_QUERY = """
UNWIND $usccs AS u
MATCH (s:Subject {uscc: u})
CALL (s) {
  MATCH (s)<-[r1:LEGAL_REP_OF|SHAREHOLDER_OF]-(:Person)-[r2:LEGAL_REP_OF|SHAREHOLDER_OF]->
        (o:Subject)
  WHERE o <> s AND r1.end IS NULL AND r2.end IS NULL
  RETURN o
  UNION
  MATCH (s)-[r:SHAREHOLDER_OF|BRANCH_OF]-(o:Subject) WHERE o <> s AND r.end IS NULL
  RETURN o
}
RETURN DISTINCT o.uscc AS uscc
"""


def _since(today: date, lookback_days: int) -> str:
    return (today - timedelta(days=lookback_days)).isoformat()


def fetch(driver: neo4j.Driver, database: str, usccs: Iterable[str], today: date,
          lookback_days: int) -> list[Facts]:
    """The facts of the given subjects (unknown codes are skipped), in one query."""
    records, _, _ = driver.execute_query(
        FACTS_QUERY, usccs=sorted(set(usccs)), since=_since(today, lookback_days),
        database_=database, routing_=neo4j.RoutingControl.READ)
    # ``dict(rec)``, not ``rec.data()``: the rows hold only maps, lists and values, and
    # ``data()`` walks every nested value again in Python (a third of the fetch time).
    return [Facts(**dict(rec)) for rec in records]


Early = dict[str, dict[str, Any]]


def fetch_early(driver: neo4j.Driver, database: str, usccs: list[str], today: date,
                lookback_days: int) -> Early:
    """The feed facts (:data:`EARLY`) by USCC: what may be read ahead of time."""
    records, _, _ = driver.execute_query(
        EARLY_QUERY, usccs=usccs, since=_since(today, lookback_days), database_=database,
        routing_=neo4j.RoutingControl.READ)
    return {str(rec["uscc"]): dict(rec) for rec in records}


def fetch_late(driver: neo4j.Driver, database: str, usccs: list[str], early: Early,
               today: date, lookback_days: int) -> list[Facts]:
    """The rest (:data:`LATE`), joined with ``early``: the same :class:`Facts` as
    :func:`fetch` gives (a subject created in between has its feed facts read now)."""
    records, _, _ = driver.execute_query(
        LATE_QUERY, usccs=usccs, database_=database, routing_=neo4j.RoutingControl.READ)
    rows = [dict(rec) for rec in records]
    missing = [str(r["subject"]["uscc"]) for r in rows if str(r["subject"]["uscc"]) not in early]
    if missing:
        early = {**early, **fetch_early(driver, database, missing, today, lookback_days)}
    out = []
    for data in rows:
        feed = dict(early[str(data["subject"]["uscc"])])
        del feed["uscc"]
        out.append(Facts(**data, **feed))
    return out


def neighbours(driver: neo4j.Driver, database: str, usccs: Iterable[str]) -> set[str]:
    """Subjects related to the given ones (whose related-entity indicators read them)."""
    records, _, _ = driver.execute_query(
        NEIGHBOURS_QUERY, usccs=sorted(set(usccs)), database_=database,
        routing_=neo4j.RoutingControl.READ)
    return {str(r["uscc"]) for r in records}
