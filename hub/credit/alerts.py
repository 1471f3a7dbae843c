"""Trigger evaluation 触发式监管: rules fire → alerts, recipients, guidance, outbox.

Each enabled rule runs as one batched query for the subjects at hand. A hit becomes an
``:Alert`` whose id hashes (rule, uscc, evidence key), so evaluating again changes
nothing. A new alert notifies the regulators whose jurisdiction covers the subject's
division and every platform where it has an open store (``NOTIFIES`` + one
``:Notification`` per party: the outbox the API's subscriptions drain), and carries the
rule's guidance 行政指导 and rectification deadline. An open alert whose evidence is no
longer found is closed as rectified by the data, which opens the credit-repair path; the
same evidence coming back reopens it. Alerts closed by a person stay closed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

import neo4j
import orjson

from hub.credit import trigger_kinds
from hub.credit.config import Policies
from hub.credit.divisions import cypher_covers
from hub.credit.trigger_policy import Rule

# 2: evidence holds ``refs`` (kind + id of each fact) and the rule's own numbers, not
# copies of the facts; older evidence is rendered as withheld (hub.credit.explain_render).
EVIDENCE_FORMAT = 2

RECIPIENTS = f"""
CALL (a, s) {{
  MATCH (p:Party {{type: 'regulator'}})
  WHERE coalesce(p.disabled, false) = false
    AND any(j IN coalesce(p.jurisdictions, []) WHERE {cypher_covers('j', 's.division')})
  RETURN p
  UNION
  MATCH (s)-[:OPERATES]->(st:Store)
  WHERE st.closed_on IS NULL OR st.closed_on > left($now, 10)
  MATCH (p:Party {{type: 'platform', platform_id: st.platform_id}})
  WHERE coalesce(p.disabled, false) = false
  RETURN p
}}"""

WRITE_ALERTS = f"""
UNWIND $hits AS h
MATCH (s:Subject {{uscc: h.uscc}})
WHERE NOT (h.one_open AND EXISTS {{
  MATCH (o:Alert {{rule: h.rule, uscc: h.uscc}}) WHERE o.status <> 'closed' AND o.id <> h.id }})
MERGE (a:Alert {{id: h.id}})
ON CREATE SET a.rule = h.rule, a.uscc = h.uscc, a.evidence_key = h.key, a.occurrence = 0,
              a.created_at = $now, a.status = 'closed', a.closed_by = 'data'
WITH a, s, h WHERE a.status = 'closed' AND a.closed_by = 'data'
SET a.occurrence = a.occurrence + 1, a.status = 'screen', a.opened_at = $now,
    a.rule_version = $version, a.rule_name = h.name, a.severity = h.severity,
    a.division = s.division, a.evidence_json = h.evidence_json, a.deadline = h.deadline,
    a.guidance = h.guidance, a.escalated_at = null, a.recommended_action = null,
    a.rectified_at = null, a.rectified_by = null, a.closed_at = null, a.closed_by = null
MERGE (a)-[:ABOUT]->(s)
WITH a, s, h
MERGE (g:Guidance {{id: a.id + '#' + toString(a.occurrence)}})
SET g.alert_id = a.id, g.text = h.guidance, g.issued_at = $now, g.deadline = h.deadline,
    g.uscc = s.uscc
MERGE (g)-[:FOR]->(a)
MERGE (st:AlertStep {{id: a.id + '#' + toString(a.occurrence) + ':screen'}})
SET st.step = 'screen', st.at = $now, st.by_party = 'system',
    st.note = CASE WHEN a.occurrence > 1 THEN 'condition found again by rule ' + h.rule
                   ELSE 'raised by rule ' + h.rule END + ' (version ' + $version + ')'
MERGE (st)-[:OF]->(a)
WITH a, s, h
{RECIPIENTS}
MERGE (a)-[:NOTIFIES]->(p)
MERGE (n:Notification {{id: a.id + '#' + toString(a.occurrence) + '>' + p.id}})
ON CREATE SET n.alert_id = a.id, n.party_id = p.id, n.kind = 'alert', n.created_at = $now,
              n.delivered_at = null
RETURN h.rule AS rule, count(DISTINCT a) AS raised, count(n) AS notifications
"""

OPEN_ALERTS = """
MATCH (a:Alert) WHERE a.status <> 'closed'
RETURN a.id AS id, a.rule AS rule, a.uscc AS uscc, a.evidence_key AS key
"""

# For a batch: an index seek per subject (Alert.uscc, migration 0007), not an alert scan.
OPEN_ALERTS_OF = """
UNWIND $usccs AS u
MATCH (a:Alert {uscc: u}) WHERE a.status <> 'closed'
RETURN a.id AS id, a.rule AS rule, a.uscc AS uscc, a.evidence_key AS key
"""

CLOSE_GONE = """
UNWIND $ids AS id
MATCH (a:Alert {id: id})-[:ABOUT]->(s:Subject)
WHERE a.status <> 'closed'
SET a.status = 'closed', a.closed_at = $now, a.closed_by = 'data', a.rectified_at = $now,
    a.rectified_by = 'data', s.credit_repair_open = true, s.credit_repair_since = $now
MERGE (st:AlertStep {id: a.id + '#' + toString(a.occurrence) + ':closed'})
SET st.step = 'closed', st.at = $now, st.by_party = 'system',
    st.note = 'condition no longer found in the data (rule ' + a.rule + ', version ' +
              $version + ')'
MERGE (st)-[:OF]->(a)
"""


@dataclass
class RuleResult:
    rule: str
    hits: int = 0
    raised: int = 0
    notifications: int = 0
    closed: int = 0


def alert_id(rule: str, uscc: str, key: str) -> str:
    digest = hashlib.sha256(f"{rule}\0{uscc}\0{key}".encode()).hexdigest()[:20]
    return f"AL-{digest}"


def _hits(records: Iterable[Any]) -> list[dict[str, Any]]:
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    for rec in records:
        key = (str(rec["uscc"]), str(rec["key"]))
        seen.setdefault(key, {"uscc": key[0], "key": key[1], "evidence": rec["evidence"]})
    return list(seen.values())


def find_hits(driver: neo4j.Driver, database: str, rule: Rule, credit_licensed: dict[str,
              list[str]], usccs: list[str] | None, today: str) -> list[dict[str, Any]]:
    """Rows (uscc, key, evidence) for which ``rule`` fires as of ``today`` (read-only)."""
    kind = trigger_kinds.KINDS[rule.kind]
    params = rule.parsed_params.cypher_params(date.fromisoformat(today), credit_licensed)
    records, _, _ = driver.execute_query(
        trigger_kinds.query(kind, usccs is None), usccs=usccs, today=today,
        database_=database, routing_=neo4j.RoutingControl.READ, **params)
    return _hits(records)


@lru_cache(maxsize=16)
def _combined(kinds: tuple[str, ...]) -> str:
    return trigger_kinds.combined_query([trigger_kinds.KINDS[k] for k in kinds])


def find_all_hits(driver: neo4j.Driver, database: str, rules: list[Rule],
                  credit_licensed: dict[str, list[str]], usccs: list[str],
                  today: str) -> list[list[dict[str, Any]]]:
    """:func:`find_hits` for every rule at once (one round trip; same rows per rule)."""
    if not rules or not usccs:
        return [[] for _ in rules]
    day = date.fromisoformat(today)
    params = trigger_kinds.combined_params(
        [r.parsed_params.cypher_params(day, credit_licensed) for r in rules])
    records, _, _ = driver.execute_query(
        _combined(tuple(r.kind for r in rules)), usccs=usccs, today=today,
        database_=database, routing_=neo4j.RoutingControl.READ, **params)
    by_rule: list[list[Any]] = [[] for _ in rules]
    for rec in records:
        by_rule[int(rec["rule"])].append(rec)
    return [_hits(recs) for recs in by_rule]


def evaluate(driver: neo4j.Driver, database: str, policies: Policies,
             usccs: Iterable[str] | None, now: datetime, *,
             reads_scores: bool | None = None,
             lock: AbstractContextManager[Any] | None = None) -> list[RuleResult]:
    """Evaluate every enabled rule for ``usccs`` (None: all subjects) and write alerts.

    For a list of subjects this is one read for the open alerts, one for every rule's
    hits, and at most three writes (closings of one-open-per-subject rules first, so
    that a new alert may open; new alerts of every rule; the other closings).
    ``reads_scores`` True / False: only the rules whose kind is / is not in
    :data:`trigger_kinds.READS_SCORES` (rules are independent: evaluating them in two
    calls writes what one call would). ``lock`` is held around the writes."""
    subjects = sorted(set(usccs)) if usccs is not None else None
    today = now.date().isoformat()
    tp = policies.triggers
    licensed = policies.credit.licensed_categories
    if subjects is None:
        records, _, _ = driver.execute_query(OPEN_ALERTS, database_=database,
                                             routing_=neo4j.RoutingControl.READ)
    elif subjects:
        records, _, _ = driver.execute_query(OPEN_ALERTS_OF, usccs=subjects,
                                             database_=database,
                                             routing_=neo4j.RoutingControl.READ)
    else:
        records = []
    open_by_rule: dict[str, dict[tuple[str, str], str]] = {}
    for rec in records:
        open_by_rule.setdefault(str(rec["rule"]), {})[(rec["uscc"], rec["key"])] = rec["id"]
    rules = [rule for rule in tp.rules if rule.enabled and (
        reads_scores is None or (rule.kind in trigger_kinds.READS_SCORES) == reads_scores)]
    if subjects is None:
        all_hits = [find_hits(driver, database, rule, licensed, None, today) for rule in rules]
    else:
        all_hits = find_all_hits(driver, database, rules, licensed, subjects, today)
    results = []
    first: list[str] = []  # one-open-per-subject rules: close before writing
    rest: list[str] = []
    rows: list[dict[str, Any]] = []
    for rule, hits in zip(rules, all_hits, strict=True):
        result = RuleResult(rule.id, hits=len(hits))
        present = {(h["uscc"], h["key"]) for h in hits}
        opened = open_by_rule.get(rule.id, {})
        closing = [aid for k, aid in opened.items() if k not in present]
        result.closed = len(closing)
        (first if rule.one_open_per_subject else rest).extend(closing)
        deadline = (now + timedelta(days=rule.deadline_days)).isoformat()
        rows += [{"id": alert_id(rule.id, h["uscc"], h["key"]), "uscc": h["uscc"],
                  "key": h["key"], "rule": rule.id, "name": rule.name,
                  "severity": rule.severity, "deadline": deadline, "guidance": rule.guidance,
                  "one_open": rule.one_open_per_subject,
                  "evidence_json": orjson.dumps({"format": EVIDENCE_FORMAT, "rule": rule.id,
                                                 "key": h["key"], **h["evidence"]}).decode()}
                 for h in hits
                 if (h["uscc"], h["key"]) not in opened]
        results.append(result)
    with lock or nullcontext():
        if first:
            _close(driver, database, first, tp.version, now)
        if rows:
            written, _, _ = driver.execute_query(WRITE_ALERTS, hits=rows, version=tp.version,
                                                 now=now.isoformat(), database_=database)
            counts = {str(r["rule"]): r for r in written}
            for result in results:
                if result.rule in counts:
                    result.raised = int(counts[result.rule]["raised"])
                    result.notifications = int(counts[result.rule]["notifications"])
        if rest:
            _close(driver, database, rest, tp.version, now)
    return results


def _close(driver: neo4j.Driver, database: str, ids: list[str], version: str,
           now: datetime) -> None:
    driver.execute_query(CLOSE_GONE, ids=ids, version=version, now=now.isoformat(),
                         database_=database)
