"""Gathering the facts of many subjects in one round trip (``UNWIND $usccs``).

One query per batch, with pattern comprehensions and ``COUNT {}`` per subject: no
per-subject round trips, and the planner walks each subject's neighbourhood once.
Windowed facts (complaints, cases, inspections, actions) are cut at ``$since`` so a
subject with years of history does not drag it all over the wire.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

import neo4j

from hub.credit.facts_model import Facts

PROV = ".src_party, .src_record"

FACTS_QUERY = f"""
UNWIND $usccs AS u
MATCH (s:Subject {{uscc: u}})
RETURN s {{.uscc, .name, .kind, .division, .registered_on, .status, .stub, {PROV},
           .credit_class, .credit_class_since, .credit_score, .in_sandbox, .sandbox_since,
           .credit_repair_open}} AS subject,
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
  [(al:Alert)-[:ABOUT]->(s) WHERE al.status <> 'closed' |
      al {{.id, .rule, .severity, .status, .escalated_at, .created_at, .deadline}}] AS alerts,
  [(s)<-[r1:LEGAL_REP_OF|SHAREHOLDER_OF]-(p:Person)-[r2:LEGAL_REP_OF|SHAREHOLDER_OF]->
      (o:Subject) WHERE o <> s AND r1.end IS NULL AND r2.end IS NULL |
      {{uscc: o.uscc, credit_class: o.credit_class, status: o.status, via: 'person',
        person_key: p.key, role: type(r2), src_party: r2.src_party,
        src_record: r2.src_record}}]
  + [(s)-[r:SHAREHOLDER_OF|BRANCH_OF]-(o:Subject) WHERE o <> s AND r.end IS NULL |
      {{uscc: o.uscc, credit_class: o.credit_class, status: o.status, via: 'subject',
        role: type(r), src_party: r.src_party, src_record: r.src_record}}] AS related
"""

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


def fetch(driver: neo4j.Driver, database: str, usccs: Iterable[str], today: date,
          lookback_days: int) -> list[Facts]:
    """The facts of the given subjects (unknown codes are skipped), in one query."""
    since = (today - timedelta(days=lookback_days)).isoformat()
    records, _, _ = driver.execute_query(
        FACTS_QUERY, usccs=sorted(set(usccs)), since=since, database_=database,
        routing_=neo4j.RoutingControl.READ)
    out = []
    for rec in records:
        data = rec.data()
        out.append(Facts(**data))
    return out


def neighbours(driver: neo4j.Driver, database: str, usccs: Iterable[str]) -> set[str]:
    """Subjects related to the given ones (whose related-entity indicators read them)."""
    records, _, _ = driver.execute_query(
        NEIGHBOURS_QUERY, usccs=sorted(set(usccs)), database_=database,
        routing_=neo4j.RoutingControl.READ)
    return {str(r["uscc"]) for r in records}
