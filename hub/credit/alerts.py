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
from datetime import datetime, timedelta
from typing import Any

import neo4j
import orjson

from hub.credit import trigger_kinds
from hub.credit.config import Policies
from hub.credit.divisions import cypher_covers
from hub.credit.trigger_policy import Rule

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

CLOSE_GONE = """
MATCH (a:Alert {rule: $rule})
WHERE a.status <> 'closed' AND ($usccs IS NULL OR a.uscc IN $usccs)
  AND NOT (a.uscc + '|' + a.evidence_key) IN $present
MATCH (a)-[:ABOUT]->(s:Subject)
SET a.status = 'closed', a.closed_at = $now, a.closed_by = 'data', a.rectified_at = $now,
    a.rectified_by = 'data', s.credit_repair_open = true, s.credit_repair_since = $now
MERGE (st:AlertStep {id: a.id + '#' + toString(a.occurrence) + ':closed'})
SET st.step = 'closed', st.at = $now, st.by_party = 'system',
    st.note = 'condition no longer found in the data (rule version ' + $version + ')'
MERGE (st)-[:OF]->(a)
RETURN collect(a.uscc) AS usccs
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
    from datetime import date

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
    results = []
    for rule in tp.rules:
        if not rule.enabled:
            continue
        hits = find_hits(driver, database, rule, policies.credit.licensed_categories,
                         subjects, today)
        result = RuleResult(rule.id, hits=len(hits))
        rows = [{"id": alert_id(rule.id, h["uscc"], h["key"]), "uscc": h["uscc"],
                 "key": h["key"],
                 "evidence_json": orjson.dumps({"rule": rule.id, "key": h["key"],
                                                **h["evidence"]}).decode()} for h in hits]
        closed, _, _ = driver.execute_query(
            CLOSE_GONE, rule=rule.id, usccs=subjects, version=tp.version,
            present=[f"{h['uscc']}|{h['key']}" for h in hits], now=now.isoformat(),
            database_=database)
        result.closed = len(closed[0]["usccs"]) if closed else 0
        if rows:
            deadline = (now + timedelta(days=rule.deadline_days)).isoformat()
            written, _, _ = driver.execute_query(
                WRITE_ALERTS, hits=rows, rule=rule.id, version=tp.version, name=rule.name,
                severity=rule.severity, deadline=deadline, guidance=rule.guidance,
                one_open=rule.one_open_per_subject, now=now.isoformat(), database_=database)
            result.raised = int(written[0]["raised"]) if written else 0
            result.notifications = int(written[0]["notifications"]) if written else 0
        results.append(result)
    return results
