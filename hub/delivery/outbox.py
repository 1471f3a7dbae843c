"""The notification outbox, asynchronously: claim, mark delivered, release, retry.

:func:`hub.credit.queries.pending_notifications` reads the same nodes for the CLI; this
module is what the delivery channels use, because they must not deliver one notification
twice at the same time. A *claim* takes a lease (``lease_owner`` / ``lease_until``) on
up to ``limit`` undelivered notifications of one party. Neo4j's ``MATCH`` takes no locks,
so two claimers could read the same free notification; the claim therefore writes a
property first (``SET n._LOCK_``, the lost-update pattern from the Neo4j manual), which
takes the node's write lock, and only then re-checks that the notification is still free.
A lease that is not released (a crashed worker, a dropped socket) simply expires.

Delivery is at-least-once: a notification is marked delivered only after it was sent.
Visibility is re-checked at claim time with the caller's compiled access policy, so a
party never receives an alert its policy no longer lets it see (it stays undelivered),
and the alert's evidence is rendered for that party (:mod:`hub.credit.explain_render`):
the webhook body and the subscription message carry only the facts it may see.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import neo4j
import orjson

from hub.credit.explain_render import render_many
from hub.policy.compiled import CompiledPolicy

WEBHOOK_DUE = ("AND {v}.failed_at IS NULL "
               "AND ({v}.next_attempt_at IS NULL OR {v}.next_attempt_at <= $now)")

_FREE = "{v}.delivered_at IS NULL AND ({v}.lease_until IS NULL OR {v}.lease_until < $now)"

# Candidates are read through ``c``; the lock is taken on ``n``, a fresh match of the
# same node, so the re-check reads the committed state (no property cached from ``c``).
CLAIM = """
MATCH (c:Notification {{party_id: $party}})
WHERE {free_c} {extra_c}
WITH c ORDER BY c.created_at, c.id LIMIT $limit
WITH collect(c.id) AS ids
UNWIND ids AS id
MATCH (n:Notification {{id: id}})
SET n._LOCK_ = true
REMOVE n._LOCK_
WITH n WHERE {free_n} {extra_n}
MATCH (a:Alert {{id: n.alert_id}})-[:ABOUT]->(s:Subject)
WHERE {visible}
SET n.lease_until = $until, n.lease_owner = $owner
RETURN n {{.id, .alert_id, .party_id, .kind, .created_at, .recommended_action,
          .attempts}} AS n,
       a {{.id, .uscc, .rule, .rule_name, .severity, .status, .created_at, .opened_at,
          .deadline, .guidance, .recommended_action, .evidence_json}} AS a
ORDER BY n.created_at, n.id
"""

MARK_DELIVERED = """
UNWIND $ids AS id
MATCH (n:Notification {id: id, party_id: $party})
WHERE n.delivered_at IS NULL
SET n.delivered_at = $at, n.delivered_via = $via, n.lease_until = null,
    n.lease_owner = null, n.failed_at = null, n.next_attempt_at = null
RETURN count(n) AS n
"""

RELEASE = """
UNWIND $ids AS id
MATCH (n:Notification {id: id, party_id: $party})
WHERE n.lease_owner = $owner AND n.delivered_at IS NULL
SET n.lease_until = null, n.lease_owner = null
"""

ATTEMPT = """
MATCH (n:Notification {id: $id, party_id: $party})
SET n.attempts = coalesce(n.attempts, 0) + 1, n.last_attempt_at = $now
WITH n
FOREACH (_ IN CASE WHEN $ok THEN [1] ELSE [] END |
  SET n.delivered_at = coalesce(n.delivered_at, $now), n.delivered_via = $via,
      n.last_error = null, n.next_attempt_at = null, n.failed_at = null)
FOREACH (_ IN CASE WHEN $ok THEN [] ELSE [1] END |
  SET n.last_error = $error,
      n.failed_at = CASE WHEN n.attempts >= $max_attempts THEN $now ELSE null END,
      n.next_attempt_at = CASE WHEN n.attempts >= $max_attempts THEN null
                               ELSE $next_at END)
SET n.lease_until = null, n.lease_owner = null
RETURN n.attempts AS attempts, n.failed_at IS NOT NULL AS failed
"""


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso(at: datetime) -> str:
    """The outbox's time format: UTC ISO-8601 with microseconds (sorts as text)."""
    return at.astimezone(UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True)
class Notification:
    """One claimed notification and the alert it is about (evidence rendered for the
    notified party)."""

    id: str
    alert_id: str
    party_id: str
    kind: str
    created_at: str
    recommended_action: str | None
    attempts: int
    alert: dict[str, Any]

    def payload(self) -> dict[str, Any]:
        """The JSON a webhook receives (documented in docs/alerts.md)."""
        a = self.alert
        return {"id": self.id, "type": "alert.notification", "kind": self.kind,
                "party_id": self.party_id, "created_at": self.created_at,
                "recommended_action": self.recommended_action,
                "alert": {"id": a.get("id"), "uscc": a.get("uscc"), "rule": a.get("rule"),
                          "rule_name": a.get("rule_name"), "severity": a.get("severity"),
                          "status": a.get("status"), "created_at": a.get("created_at"),
                          "deadline": a.get("deadline"), "guidance": a.get("guidance"),
                          "recommended_action": a.get("recommended_action"),
                          "evidence": a.get("evidence")}}


def visibility(policy: CompiledPolicy) -> str:
    """Cypher predicate over ``a`` (alert) and ``s`` (subject): may the party see it?
    The one rule of hub.policy.visibility (the same as the ``alerts`` query)."""
    from hub.policy.visibility import sees

    return sees(policy, "Alert", "a", "s")


async def claim(driver: neo4j.AsyncDriver, database: str, policy: CompiledPolicy, owner: str,
                *, lease_seconds: float, limit: int = 100, webhook: bool = False,
                now: datetime | None = None) -> list[Notification]:
    """Lease up to ``limit`` deliverable notifications of ``policy``'s party, oldest first."""
    at = now or utc_now()
    extra = WEBHOOK_DUE if webhook else ""
    text = CLAIM.format(free_c=_FREE.format(v="c"), extra_c=extra.format(v="c"),
                        free_n=_FREE.format(v="n"), extra_n=extra.format(v="n"),
                        visible=visibility(policy))
    records, _, _ = await driver.execute_query(
        text, {**policy.params, "party": policy.party_id, "owner": owner, "limit": limit,
               "now": iso(at), "until": iso(at + timedelta(seconds=lease_seconds))},
        database_=database)
    rows = [(dict(rec["n"]), dict(rec["a"])) for rec in records]
    # The evidence as this party may see it: one query for the whole claim.
    stored = [a.pop("evidence_json", None) for _, a in rows]
    views = await render_many(driver, database, policy, [
        ("evidence", str(a.get("uscc")), orjson.loads(ev) if isinstance(ev, str) else ev)
        for (_, a), ev in zip(rows, stored, strict=True)])
    out = []
    for (n, a), view in zip(rows, views, strict=True):
        a["evidence"] = view
        out.append(Notification(id=n["id"], alert_id=n["alert_id"], party_id=n["party_id"],
                                kind=n.get("kind") or "alert", created_at=n["created_at"],
                                recommended_action=n.get("recommended_action"),
                                attempts=int(n.get("attempts") or 0), alert=a))
    return out


async def mark_delivered(driver: neo4j.AsyncDriver, database: str, party_id: str,
                         ids: list[str], via: str, at: datetime | None = None) -> int:
    """Mark notifications delivered (after they were sent); returns how many changed."""
    if not ids:
        return 0
    records, _, _ = await driver.execute_query(
        MARK_DELIVERED, ids=ids, party=party_id, via=via, at=iso(at or utc_now()),
        database_=database)
    return int(records[0]["n"])


async def release(driver: neo4j.AsyncDriver, database: str, party_id: str, owner: str,
                  ids: list[str]) -> None:
    """Give back leases on notifications that were claimed but not sent."""
    if ids:
        await driver.execute_query(RELEASE, ids=ids, party=party_id, owner=owner,
                                   database_=database)


async def record_attempt(driver: neo4j.AsyncDriver, database: str, n: Notification, *,
                         ok: bool, error: str | None, next_at: datetime | None,
                         max_attempts: int, via: str = "webhook",
                         now: datetime | None = None) -> tuple[int, bool]:
    """Count one webhook attempt: delivered, or retry at ``next_at``, or give up.

    Returns (attempts so far, failed for good).
    """
    records, _, _ = await driver.execute_query(
        ATTEMPT, id=n.id, party=n.party_id, ok=ok, error=error, via=via,
        next_at=iso(next_at) if next_at else None, max_attempts=max_attempts,
        now=iso(now or utc_now()), database_=database)
    return int(records[0]["attempts"]), bool(records[0]["failed"])
