"""Per-request context: who is calling, with what, and the hub's shared services."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from hub.api.errors import BudgetExceeded, Forbidden, RateLimited, Unauthenticated
from hub.api.limits import DataBudget, RateLimiter, retry_after
from hub.audit import AuditEntry, AuditLog
from hub.policy.compiled import CompiledPolicy, PartyIdentity, PolicyBook
from hub.policy.compiled import Forbidden as PolicyForbidden

if TYPE_CHECKING:
    from hub.app import HubState
    from hub.auth.resource import Principal


@dataclass
class Services:
    """Process-wide services the resolvers share (built in the app's lifespan)."""

    policies: PolicyBook
    audit: AuditLog
    rate: RateLimiter
    budget: DataBudget


@dataclass
class Context:
    state: HubState
    services: Services
    principal: Principal | None
    query_hash: str
    response_headers: dict[str, str] = field(default_factory=dict)
    scope_denied: bool = False

    @property
    def caller(self) -> Principal:
        if self.principal is None:
            raise Unauthenticated("This field needs an access token.",
                                  "Get one from /oauth/token (client credentials) and send "
                                  "it as 'Authorization: Bearer <token>'.")
        return self.principal

    @property
    def identity(self) -> PartyIdentity:
        p = self.caller
        return PartyIdentity(p.party_id, p.party_type, tuple(p.jurisdictions),
                             p.platform_id, p.association_id)

    async def authorize(self, operation: str, purpose: str, *scopes: str) -> CompiledPolicy:
        """Scopes, policy and rate limit for one root field; denials are audited."""
        from hub.auth.errors import InsufficientScope
        from hub.auth.resource import require_scopes

        principal = self.caller
        try:
            require_scopes(principal, *scopes)
            policy = self.services.policies.compile(self.identity, operation, purpose)
        except (InsufficientScope, PolicyForbidden) as exc:
            reason = exc.message if isinstance(exc, PolicyForbidden) else str(exc)
            self.scope_denied = isinstance(exc, InsufficientScope)
            await self.record(operation, purpose, (), "denied", reason)
            suggestion = exc.suggestion if isinstance(exc, PolicyForbidden) else None
            raise Forbidden(reason, suggestion) from None
        wait = await self.services.rate.take(principal.party_id)
        if wait:
            await self.record(operation, purpose, (), "denied", "rate limited")
            seconds = retry_after(wait)
            self.response_headers["Retry-After"] = str(seconds)
            raise RateLimited("Too many requests for this party.",
                              f"Retry after {seconds} s.", retryAfter=seconds)
        limit = policy.policy.budget.records_per_day
        if await self.services.budget.remaining(principal.party_id, limit) <= 0:
            await self.record(operation, purpose, (), "denied", "daily data budget spent")
            raise BudgetExceeded("The party's daily data budget is spent.",
                                 "It resets at 00:00 UTC; ask the operator to raise it.")
        return policy

    async def record(self, operation: str, purpose: str, ids: tuple[str, ...] | list[str],
                     outcome: str = "allowed", reason: str | None = None) -> None:
        """Append the audit record; returns once it is durable."""
        principal = self.caller
        entry = AuditEntry(party=principal.party_id, client=principal.client_id,
                           purpose=purpose, operation=operation, query_hash=self.query_hash,
                           record_ids=tuple(ids), outcome=outcome,  # type: ignore[arg-type]
                           reason=reason)
        await self.services.audit.append(entry)

    async def delivered(self, operation: str, purpose: str, ids: list[str]) -> None:
        """Account for records returned: audit, budget, rate (per record)."""
        party = self.caller.party_id
        await self.services.budget.spend(party, len(ids))
        await self.services.rate.charge(party, len(ids) / 100)
        await self.record(operation, purpose, ids)

    async def run_sync(self, fn: Any, *args: Any) -> Any:
        """Run blocking work (credit engine calls) off the event loop."""
        return await asyncio.to_thread(fn, *args)
