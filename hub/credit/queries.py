"""Read side for the API and CLI: a subject's credit, alerts for a party, the outbox.

Access scoping belongs to the API's policy layer; these functions take the party id
where the result depends on who asks (the alerts a party was notified of, its outbox).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import neo4j
import orjson

from hub.credit.errors import NotFound

READ = neo4j.RoutingControl.READ


def credit_of(driver: neo4j.Driver, database: str, uscc: str, *,
              with_explanation: bool = True, history: int = 20) -> dict[str, Any]:
    """Class, score, colour, version, sandbox state, the current explanation and the
    latest class changes and sandbox events of one subject."""
    records, _, _ = driver.execute_query("""
        MATCH (s:Subject {uscc: $uscc})
        RETURN s {.uscc, .name, .division, .credit_class, .credit_score, .credit_colour,
                  .credit_version, .credit_scored_at, .credit_class_since, .in_sandbox,
                  .sandbox_since, .minor_first_violation_exempt_eligible,
                  .inspection_ratio, .credit_repair_open} AS s,
          [(c:CreditAssessment)-[:ASSESSES]->(s) WHERE c.current | c.explanation_json][0]
            AS explanation,
          [(c:ClassChange)-[:OF]->(s) | c {.from, .to, .at, .why, .version, .score}] AS changes,
          [(e:SandboxEvent)-[:OF]->(s) | e {.kind, .at, .reasons, .version}] AS sandbox
        """, uscc=uscc, database_=database, routing_=READ)
    if not records:
        raise NotFound(f"no subject {uscc}")
    rec = records[0]
    out = dict(rec["s"])
    out["class_changes"] = sorted(rec["changes"], key=lambda c: c["at"], reverse=True)[:history]
    out["sandbox_events"] = sorted(rec["sandbox"], key=lambda e: e["at"], reverse=True)[:history]
    if with_explanation:
        out["explanation"] = orjson.loads(rec["explanation"]) if rec["explanation"] else None
    return out


ALERTS = """
MATCH (a:Alert)-[:NOTIFIES]->(:Party {id: $party})
WHERE ($status IS NULL OR a.status IN $status)
  AND ($severity IS NULL OR a.severity = $severity)
  AND ($rule IS NULL OR a.rule = $rule)
  AND ($uscc IS NULL OR a.uscc = $uscc)
  AND ($since IS NULL OR a.opened_at >= $since)
  AND ($escalated IS NULL OR (a.escalated_at IS NOT NULL) = $escalated)
RETURN a {.id, .uscc, .rule, .rule_name, .rule_version, .severity, .status, .created_at,
          .opened_at, .deadline, .guidance, .division, .escalated_at, .recommended_action,
          .rectified_at, .closed_at, .evidence_json,
          steps: [(st:AlertStep)-[:OF]->(a) | st {.step, .at, .by_party, .note}]} AS a
ORDER BY a.opened_at DESC, a.id
SKIP $offset LIMIT $limit
"""


def alerts_for_party(driver: neo4j.Driver, database: str, party_id: str, *,
                     status: list[str] | None = None, severity: str | None = None,
                     rule: str | None = None, uscc: str | None = None,
                     since: str | None = None, escalated: bool | None = None,
                     offset: int = 0, limit: int = 100) -> list[dict[str, Any]]:
    """Alerts a party was notified of, newest first, with evidence and workflow steps."""
    records, _, _ = driver.execute_query(
        ALERTS, party=party_id, status=status, severity=severity, rule=rule, uscc=uscc,
        since=since, escalated=escalated, offset=offset, limit=limit, database_=database,
        routing_=READ)
    out = []
    for rec in records:
        alert = dict(rec["a"])
        alert["evidence"] = orjson.loads(alert.pop("evidence_json") or "null")
        alert["steps"] = sorted(alert["steps"], key=lambda s: s["at"])
        out.append(alert)
    return out


PENDING = """
MATCH (n:Notification {party_id: $party})
WHERE n.delivered_at IS NULL AND ($since IS NULL OR n.created_at >= $since)
MATCH (a:Alert {id: n.alert_id})
RETURN n {.id, .alert_id, .party_id, .kind, .created_at, .recommended_action} AS n,
       a {.uscc, .rule, .rule_name, .severity, .status, .deadline, .guidance,
          .recommended_action, .evidence_json} AS a
ORDER BY n.created_at, n.id
LIMIT $limit
"""


def pending_notifications(driver: neo4j.Driver, database: str, party_id: str,
                          since: str | datetime | None = None, *, limit: int = 1000
                          ) -> list[dict[str, Any]]:
    """Undelivered notifications for a party (oldest first), each with its alert."""
    if isinstance(since, datetime):
        since = since.isoformat()
    records, _, _ = driver.execute_query(PENDING, party=party_id, since=since, limit=limit,
                                         database_=database, routing_=READ)
    out = []
    for rec in records:
        alert = dict(rec["a"])
        alert["evidence"] = orjson.loads(alert.pop("evidence_json") or "null")
        out.append({**dict(rec["n"]), "alert": alert})
    return out


def mark_delivered(driver: neo4j.Driver, database: str, party_id: str,
                   notification_ids: list[str], at: datetime) -> int:
    """Mark a party's notifications delivered (webhook acknowledged / pushed on a socket)."""
    records, _, _ = driver.execute_query(
        "UNWIND $ids AS id MATCH (n:Notification {id: id, party_id: $party}) "
        "WHERE n.delivered_at IS NULL SET n.delivered_at = $at RETURN count(n) AS n",
        ids=notification_ids, party=party_id, at=at.isoformat(), database_=database)
    return int(records[0]["n"])
