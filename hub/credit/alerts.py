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
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import neo4j
import orjson

from hub.credit import trigger_kinds
from hub.credit.config import Policies
from hub.credit.divisions import cypher_covers
from hub.credit.trigger_policy import Rule, TriggerPolicy

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
WHERE NOT ($one_open AND EXISTS {{
  MATCH (o:Alert {{rule: $rule, uscc: h.uscc}}) WHERE o.status <> 'closed' AND o.id <> h.id }})
MERGE (a:Alert {{id: h.id}})
ON CREATE SET a.rule = $rule, a.uscc = h.uscc, a.evidence_key = h.key, a.occurrence = 0,
              a.created_at = $now, a.status = 'closed', a.closed_by = 'data'
WITH a, s, h WHERE a.status = 'closed' AND a.closed_by = 'data'
SET a.occurrence = a.occurrence + 1, a.status = 'screen', a.opened_at = $now,
    a.rule_version = $version, a.rule_name = $name, a.severity = $severity,
    a.division = s.division, a.evidence_json = h.evidence_json, a.deadline = $deadline,
    a.guidance = $guidance, a.escalated_at = null, a.recommended_action = null,
    a.rectified_at = null, a.rectified_by = null, a.closed_at = null, a.closed_by = null
MERGE (a)-[:ABOUT]->(s)
WITH a, s
MERGE (g:Guidance {{id: a.id + '#' + toString(a.occurrence)}})
SET g.alert_id = a.id, g.text = $guidance, g.issued_at = $now, g.deadline = $deadline,
    g.uscc = s.uscc
MERGE (g)-[:FOR]->(a)
MERGE (st:AlertStep {{id: a.id + '#' + toString(a.occurrence) + ':screen'}})
SET st.step = 'screen', st.at = $now, st.by_party = 'system',
    st.note = CASE WHEN a.occurrence > 1 THEN 'condition found again by rule ' + $rule
                   ELSE 'raised by rule ' + $rule END + ' (version ' + $version + ')'
MERGE (st)-[:OF]->(a)
WITH a, s
{RECIPIENTS}
MERGE (a)-[:NOTIFIES]->(p)
MERGE (n:Notification {{id: a.id + '#' + toString(a.occurrence) + '>' + p.id}})
ON CREATE SET n.alert_id = a.id, n.party_id = p.id, n.kind = 'alert', n.created_at = $now,
              n.delivered_at = null
RETURN count(DISTINCT a) AS raised, count(n) AS notifications
"""

OPEN_ALERTS = """
MATCH (a:Alert) WHERE a.status <> 'closed' AND ($usccs IS NULL OR a.uscc IN $usccs)
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


def find_hits(driver: neo4j.Driver, database: str, rule: Rule, credit_licensed: dict[str,
              list[str]], usccs: list[str] | None, today: str) -> list[dict[str, Any]]:
    """Rows (uscc, key, evidence) for which ``rule`` fires as of ``today`` (read-only)."""
    kind = trigger_kinds.KINDS[rule.kind]
    params = rule.parsed_params.cypher_params(date.fromisoformat(today), credit_licensed)
    records, _, _ = driver.execute_query(
        trigger_kinds.query(kind, usccs is None), usccs=usccs, today=today,
        database_=database, routing_=neo4j.RoutingControl.READ, **params)
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    for rec in records:
        key = (str(rec["uscc"]), str(rec["key"]))
        seen.setdefault(key, {"uscc": key[0], "key": key[1], "evidence": rec["evidence"]})
    return list(seen.values())


def evaluate(driver: neo4j.Driver, database: str, policies: Policies,
             usccs: Iterable[str] | None, now: datetime) -> list[RuleResult]:
    """Evaluate every enabled rule for ``usccs`` (None: all subjects) and write alerts."""
    subjects = sorted(set(usccs)) if usccs is not None else None
    today = now.date().isoformat()
    tp = policies.triggers
    records, _, _ = driver.execute_query(OPEN_ALERTS, usccs=subjects, database_=database,
                                         routing_=neo4j.RoutingControl.READ)
    open_by_rule: dict[str, dict[tuple[str, str], str]] = {}
    for rec in records:
        open_by_rule.setdefault(str(rec["rule"]), {})[(rec["uscc"], rec["key"])] = rec["id"]
    results = []
    gone: list[str] = []
    for rule in tp.rules:
        if not rule.enabled:
            continue
        hits = find_hits(driver, database, rule, policies.credit.licensed_categories,
                         subjects, today)
        result = RuleResult(rule.id, hits=len(hits))
        present = {(h["uscc"], h["key"]) for h in hits}
        closing = [aid for k, aid in open_by_rule.get(rule.id, {}).items() if k not in present]
        result.closed = len(closing)
        gone += closing
        if closing and rule.one_open_per_subject:  # close first, so a new one may open
            _close(driver, database, closing, tp.version, now)
        rows = [{"id": alert_id(rule.id, h["uscc"], h["key"]), "uscc": h["uscc"],
                 "key": h["key"],
                 "evidence_json": orjson.dumps({"rule": rule.id, "key": h["key"],
                                                **h["evidence"]}).decode()} for h in hits
                if (h["uscc"], h["key"]) not in open_by_rule.get(rule.id, {})]
        if rows:
            deadline = (now + timedelta(days=rule.deadline_days)).isoformat()
            written, _, _ = driver.execute_query(
                WRITE_ALERTS, hits=rows, rule=rule.id, version=tp.version, name=rule.name,
                severity=rule.severity, deadline=deadline, guidance=rule.guidance,
                one_open=rule.one_open_per_subject, now=now.isoformat(), database_=database)
            result.raised = int(written[0]["raised"]) if written else 0
            result.notifications = int(written[0]["notifications"]) if written else 0
        results.append(result)
    rest = [aid for aid in gone if aid not in _closed_early(tp, open_by_rule)]
    if rest:
        _close(driver, database, rest, tp.version, now)
    return results


def _closed_early(tp: TriggerPolicy, open_by_rule: dict[str, dict[tuple[str, str], str]]
                  ) -> set[str]:
    return {aid for rule in tp.rules if rule.one_open_per_subject
            for aid in open_by_rule.get(rule.id, {}).values()}


def _close(driver: neo4j.Driver, database: str, ids: list[str], version: str,
           now: datetime) -> None:
    driver.execute_query(CLOSE_GONE, ids=ids, version=version, now=now.isoformat(),
                         database_=database)
