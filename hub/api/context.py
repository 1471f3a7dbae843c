"""Per-request context: who is calling, with what, and the hub's shared services."""

from __future__ import annotations

import asyncio
import contextvars
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from strawberry.extensions import FieldExtension

from hub.api.errors import BudgetExceeded, Forbidden, RateLimited, Unauthenticated
from hub.api.limits import DataBudget, RateLimiter, retry_after
from hub.audit import AuditEntry, AuditLog
from hub.audit.request import OPERATION_HASH
from hub.policy.compiled import CompiledPolicy, PartyIdentity, PolicyBook
from hub.policy.compiled import Forbidden as PolicyForbidden
from hub.policy.operations import ROOT_FIELDS

if TYPE_CHECKING:
    from strawberry.types import Info

#: The policy the operation check granted to the root field being resolved (one per
#: resolver task; graphql-core runs each root field in its own task or in sequence).
_GRANT: contextvars.ContextVar[CompiledPolicy | None] = contextvars.ContextVar(
    "hub_grant", default=None)

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

    def granted(self) -> CompiledPolicy:
        """The policy the operation check granted to the root field being resolved."""
        policy = _GRANT.get()
        if policy is None:  # a resolver outside a checked root field: a programming error
            raise RuntimeError("no operation check ran for this field")
        return policy

    async def authorize(self, operation: str, purpose: str | None,
                        *scopes: str) -> CompiledPolicy:
        """Scopes, policy and rate limit for one root field; denials are audited.

        Called by :class:`OperationCheck`; a resolver asking again for the operation it
        was granted gets that grant (no second rate token, no second audit record)."""
        from hub.auth.errors import InsufficientScope
        from hub.auth.resource import require_scopes

        grant = _GRANT.get()
        if grant is not None and grant.operation == operation and \
                grant.purpose == (purpose or ""):
            return grant
        principal = self.caller
        try:
            require_scopes(principal, *scopes)
            policy = self.services.policies.compile(self.identity, operation, purpose)
        except (InsufficientScope, PolicyForbidden) as exc:
            reason = exc.message if isinstance(exc, PolicyForbidden) else str(exc)
            self.scope_denied = isinstance(exc, InsufficientScope)
            await self.record(operation, purpose or "", (), "denied", reason)
            suggestion = exc.suggestion if isinstance(exc, PolicyForbidden) else None
            raise Forbidden(reason, suggestion) from None
        wait = await self.services.rate.take(principal.party_id)
        if wait:
            await self.record(operation, purpose or "", (), "denied", "rate limited")
            seconds = retry_after(wait)
            self.response_headers["Retry-After"] = str(seconds)
            raise RateLimited("Too many requests for this party.",
                              f"Retry after {seconds} s.", retryAfter=seconds)
        limit = policy.policy.budget.records_per_day
        if purpose is not None and await self.services.budget.remaining(
                principal.party_id, limit) <= 0:
            await self.record(operation, purpose, (), "denied",
                              "daily data budget spent")
            raise BudgetExceeded("The party's daily data budget is spent.",
                                 "It resets at 00:00 UTC; ask the operator to raise it.")
        return policy

    async def record(self, operation: str, purpose: str, ids: tuple[str, ...] | list[str],
                     outcome: str = "allowed", reason: str | None = None) -> None:
        """Append the audit record; returns once it is durable."""
        principal = self.caller
        # On a WebSocket the context is the connection's; the operation's own hash (set
        # for the task that runs it, hub.api.ws) is the one to log.
        digest = OPERATION_HASH.get() or self.query_hash
        entry = AuditEntry(party=principal.party_id, client=principal.client_id,
                           purpose=purpose, operation=operation, query_hash=digest,
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


class OperationCheck(FieldExtension):
    """The one operation check, on every root field: the operation is the field's own
    name, its rule (scopes, purpose) is :data:`hub.policy.operations.ROOT_FIELDS`."""

    def apply(self, field: Any) -> None:
        name = field.graphql_name or _camel(field.python_name)
        if name not in ROOT_FIELDS:
            raise RuntimeError(f"root field {name} has no rule in hub.policy.operations")

    async def resolve_async(self, next_: Any, source: Any, info: Info[Any, Any],
                            **kwargs: Any) -> Any:
        policy = await self._check(info, kwargs)
        token = _GRANT.set(policy)
        try:
            return await next_(source, info, **kwargs)
        finally:
            _GRANT.reset(token)

    def resolve(self, next_: Any, source: Any, info: Info[Any, Any], **kwargs: Any) -> Any:
        rule = ROOT_FIELDS[info.field_name]
        if not rule.public:  # only public fields may be synchronous (no check to await)
            raise RuntimeError(f"root field {info.field_name} must be async")
        return next_(source, info, **kwargs)

    @staticmethod
    async def _check(info: Info[Any, Any], kwargs: dict[str, Any]) -> CompiledPolicy | None:
        rule = ROOT_FIELDS[info.field_name]
        if rule.public:
            return None
        ctx: Context = info.context
        purpose = kwargs.get("purpose") if rule.purpose else None
        value = getattr(purpose, "value", purpose)
        return await ctx.authorize(info.field_name, value, *rule.scopes)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)
