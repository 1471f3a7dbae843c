"""The webhook delivery worker: POST each due notification, retry with backoff.

One round (:meth:`WebhookWorker.deliver_once`): for every active webhook whose party is
enabled and whose policy still allows alerts for the webhook's purpose, claim the
party's due notifications (oldest first) and POST them one by one. A 2xx marks the
notification delivered; anything else (an error status, a redirect — never followed —,
a timeout, a refused connection) counts an attempt and schedules the next one
``base * 2**(attempts-1)`` seconds later (capped, with jitter), until ``max_attempts``,
after which the notification is marked failed (``hub webhook status`` lists it,
``hub webhook retry`` re-queues it).

Delivery per party is in order: the first failure ends the party's round, and while the
oldest undelivered notification waits for its retry the party's later ones wait too, so
a receiver that is down is retried once per backoff step, not once per notification.

Every POST is recorded in the access log before it is sent (the alert left the hub).
It runs inside the app (``HUB_WEBHOOKS_ENABLED=true``) or as ``hub webhook deliver``;
leases keep several workers from sending the same notification at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import random
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
import neo4j
import orjson

from hub.audit import AuditEntry, AuditLog
from hub.delivery import outbox
from hub.delivery.webhooks import (
    SIGNATURE_HEADER,
    Target,
    check_target_async,
    sign,
    standard_headers,
)
from hub.errors import HubError
from hub.policy.compiled import CompiledPolicy, PartyIdentity, PolicyBook
from hub.settings import Settings

log = logging.getLogger("hub.delivery")
BATCH = 50

# Active webhooks of enabled parties whose oldest undelivered notification is due.
DUE_WEBHOOKS = """
MATCH (w:Webhook) WHERE NOT coalesce(w.disabled, false)
MATCH (p:Party {id: w.party_id}) WHERE NOT coalesce(p.disabled, false)
CALL (w) {
  MATCH (n:Notification {party_id: w.party_id})
  WHERE n.delivered_at IS NULL AND n.failed_at IS NULL
  RETURN n ORDER BY n.created_at, n.id LIMIT 1
}
WITH w, p, n WHERE n.next_attempt_at IS NULL OR n.next_attempt_at <= $now
RETURN w {.id, .party_id, .url, .secret, .purpose} AS w,
       p {.type, .jurisdictions, .platform_id, .association_id} AS p
ORDER BY w.party_id
"""


@dataclass
class RoundSummary:
    """What one round did (the CLI prints it; tests assert on it)."""

    webhooks: int = 0
    delivered: int = 0
    retrying: int = 0
    failed: int = 0
    skipped: list[str] = field(default_factory=list)


def backoff(attempts: int, base: float, cap: float) -> float:
    """Seconds before the next attempt after ``attempts`` failures (±10 % jitter, so
    receivers that come back are not hit by every hub worker in the same instant)."""
    delay: float = min(cap, base * 2.0 ** max(0, attempts - 1))
    return delay * (0.9 + 0.2 * random.random())  # noqa: S311 - jitter, not security


class WebhookWorker:
    def __init__(self, settings: Settings, driver: neo4j.AsyncDriver, database: str,
                 policies: PolicyBook, audit: AuditLog,
                 client: httpx.AsyncClient | None = None) -> None:
        self.settings = settings
        self.driver = driver
        self.database = database
        self.policies = policies
        self.audit = audit
        self.owner = f"webhook-worker-{secrets.token_hex(4)}"
        # Redirects are never followed: the registered URL is the only destination.
        self.client = client or httpx.AsyncClient(timeout=settings.webhook_timeout,
                                                  follow_redirects=False, trust_env=False)

    async def aclose(self) -> None:
        await self.client.aclose()

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Deliver rounds every ``webhook_poll_seconds`` until cancelled or ``stop``."""
        stop = stop or asyncio.Event()
        while not stop.is_set():
            try:
                await self.deliver_once()
            except (neo4j.exceptions.ServiceUnavailable, neo4j.exceptions.SessionExpired,
                    OSError) as exc:
                log.warning("webhook round failed; retrying", extra={"error": repr(exc)})
            except Exception:  # a bad round must not end delivery for everyone
                log.exception("webhook round failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.settings.webhook_poll_seconds)

    async def deliver_once(self) -> RoundSummary:
        """One round over every due webhook (parties in parallel, bounded)."""
        records, _, _ = await self.driver.execute_query(
            DUE_WEBHOOKS, now=outbox.iso(outbox.utc_now()), database_=self.database,
            routing_=neo4j.RoutingControl.READ)
        summary = RoundSummary(webhooks=len(records))
        gate = asyncio.Semaphore(self.settings.webhook_concurrency)

        async def one(w: dict[str, Any], p: dict[str, Any]) -> None:
            async with gate:
                await self._deliver_party(w, p, summary)

        await asyncio.gather(*(one(dict(r["w"]), dict(r["p"])) for r in records))
        return summary

    def _policy(self, w: dict[str, Any], p: dict[str, Any]) -> CompiledPolicy:
        who = PartyIdentity(w["party_id"], p["type"], tuple(p.get("jurisdictions") or ()),
                            p.get("platform_id"), p.get("association_id"))
        return self.policies.compile(who, "alerts", w["purpose"])

    async def _deliver_party(self, w: dict[str, Any], p: dict[str, Any],
                             summary: RoundSummary) -> None:
        try:
            policy = self._policy(w, p)
            # re-resolved every round: the name may point elsewhere now (DNS rebinding)
            target = await check_target_async(w["url"], production=self.settings.production,
                                              allow_hosts=self.settings.webhook_allow_hosts)
        except HubError as exc:  # the policy no longer allows it, or the URL is refused
            reason = exc.message
            summary.skipped.append(f"{w['id']}: {reason}")
            await self.driver.execute_query(
                "MATCH (w:Webhook {id: $id}) SET w.last_error = $error",
                id=w["id"], error=reason, database_=self.database)
            return
        claimed = await outbox.claim(self.driver, self.database, policy, self.owner,
                                     lease_seconds=self.settings.notify_lease_seconds,
                                     limit=BATCH, webhook=True)
        for index, n in enumerate(claimed):
            if not await self._post(w, target, n, policy, summary):
                await outbox.release(self.driver, self.database, n.party_id, self.owner,
                                     [m.id for m in claimed[index + 1:]])
                return

    async def _post(self, w: dict[str, Any], target: Target, n: outbox.Notification,
                    policy: CompiledPolicy, summary: RoundSummary) -> bool:
        body = orjson.dumps(n.payload())
        await self.audit.append(AuditEntry(
            party=n.party_id, client=f"webhook:{w['id']}", purpose=policy.purpose,
            operation="webhook", query_hash=hashlib.sha256(body).hexdigest(),
            record_ids=(n.alert_id,), outcome="allowed",
            reason=None if not n.attempts else f"retry {n.attempts}"))
        headers = {"content-type": "application/json", "user-agent": "credit-hub-webhooks",
                   **standard_headers(w["secret"], n.id, body),
                   SIGNATURE_HEADER: sign(w["secret"], body),  # legacy, one more release
                   "X-Hub-Delivery": n.id, "X-Hub-Event": "alert.notification"}
        error: str | None = None
        try:
            pinned, host, extensions = target.request()  # the checked address, no re-lookup
            response = await self.client.post(pinned, content=body, headers=headers | host,
                                              extensions=extensions)
            if not 200 <= response.status_code < 300:
                error = f"HTTP {response.status_code}"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"[:300]
        now = outbox.utc_now()
        next_at: datetime | None = None
        if error:
            next_at = now + timedelta(seconds=backoff(
                n.attempts + 1, self.settings.webhook_backoff_base,
                self.settings.webhook_backoff_max))
        _, failed = await outbox.record_attempt(
            self.driver, self.database, n, ok=error is None, error=error, next_at=next_at,
            max_attempts=self.settings.webhook_max_attempts, now=now)
        if error is None:
            summary.delivered += 1
            return True
        log.info("webhook delivery failed", extra={"webhook": w["id"], "notification": n.id,
                                                   "error": error, "gave_up": failed})
        if failed:
            summary.failed += 1
        else:
            summary.retrying += 1
        return False


async def run_webhook_worker(settings: Settings, driver: neo4j.AsyncDriver, database: str,
                             policies: PolicyBook, audit: AuditLog) -> None:
    """The app's background task (``HUB_WEBHOOKS_ENABLED=true``): runs until cancelled."""
    worker = WebhookWorker(settings, driver, database, policies, audit)
    try:
        await worker.run()
    finally:
        await worker.aclose()
