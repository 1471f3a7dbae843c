"""``subscription { alertNotifications(purpose) }``: the outbox pushed over a websocket.

The connection is authenticated once, at ``connection_init`` (:mod:`hub.api.ws`); each
subscription then checks the scope ``alert:read`` and the purpose against the access
policy exactly like the ``alerts`` query, and drains the caller's party's outbox: it
claims undelivered notifications (a lease, so a second socket or the webhook worker does
not send the same one at the same time), records each in the access log *before* it
leaves, yields it, and marks it delivered once the consumer asks for the next one — which
strawberry does only after the previous message was written to the socket. A notification
is therefore delivered at least once: a connection that drops between send and mark
gets it again on reconnecting. When the outbox is empty the stream polls it every
``HUB_NOTIFY_POLL_SECONDS``. When the access token expires the stream ends with
``UNAUTHENTICATED``: reconnect with a fresh token. The alert's evidence is rendered for
the subscriber's party when claimed (:func:`hub.delivery.outbox.claim`): only the facts
its policy lets it see.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import secrets
from collections.abc import AsyncGenerator
from datetime import UTC, datetime

import neo4j
import strawberry
from strawberry.types import Info

from hub.api.context import Context
from hub.api.errors import (
    ApiError,
    BadUserInput,
    BudgetExceeded,
    Internal,
    Unauthenticated,
    Unavailable,
)
from hub.api.portrait import to_alert
from hub.api.types import Alert, PlatformAction, Purpose
from hub.audit import query_hash
from hub.audit.request import OPERATION_HASH
from hub.auth.scopes import ALERT_READ
from hub.delivery import outbox
from hub.policy.compiled import CompiledPolicy

log = logging.getLogger("hub.api.subscriptions")
OPERATION = "alertNotifications"
BATCH = 100
_UNAVAILABLE = (neo4j.exceptions.ServiceUnavailable, neo4j.exceptions.SessionExpired,
                ConnectionError, TimeoutError)

CtxInfo = Info[Context, None]


@strawberry.type(description="One alert notification addressed to your party (the outbox).")
class AlertNotification:
    id: str
    kind: str = strawberry.field(description="'alert' when raised, 'escalation' when its "
                                             "rectification deadline passed.")
    created_at: str
    recommended_action: PlatformAction | None
    alert: Alert


def to_notification(n: outbox.Notification) -> AlertNotification:
    """The claimed notification; its evidence was rendered for the party at claim time."""
    action = n.recommended_action
    alert = to_alert({k: v for k, v in n.alert.items() if k != "evidence"}, n.alert.get("uscc"))
    alert.evidence = n.alert.get("evidence")
    return AlertNotification(id=n.id, kind=n.kind, created_at=n.created_at,
                             recommended_action=PlatformAction(action) if action else None,
                             alert=alert)


def for_operation(ctx: Context, info: CtxInfo) -> Context:
    """A copy of the connection's context for one subscription, carrying the hash of its
    own document and variables (one websocket may run several operations)."""
    digest = OPERATION_HASH.get()  # the subscribe payload's, as sent (docs/audit.md)
    if digest is None:
        source = info.operation.loc.source.body if info.operation.loc else ""
        digest = query_hash(source)
    return dataclasses.replace(ctx, query_hash=digest, response_headers={},
                               scope_denied=False)


def _check_token(ctx: Context) -> None:
    if ctx.caller.expires_at <= datetime.now(UTC):
        raise Unauthenticated("The access token has expired.",
                              "Reconnect with a fresh token in connection_init.")


async def stream(ctx: Context, policy: CompiledPolicy
                 ) -> AsyncGenerator[AlertNotification, None]:
    """The caller's outbox, oldest first, then new notifications as they arrive."""
    state = ctx.state
    settings = state.settings
    party = policy.party_id
    owner = f"ws-{secrets.token_hex(6)}"
    limit = policy.policy.budget.records_per_day
    held: list[outbox.Notification] = []
    try:
        while True:
            _check_token(ctx)
            held = await outbox.claim(state.driver, state.database, policy, owner,
                                      lease_seconds=settings.notify_lease_seconds,
                                      limit=BATCH)
            while held:
                n = held[0]
                if await ctx.services.budget.remaining(party, limit) <= 0:
                    raise BudgetExceeded("The party's daily data budget is spent.",
                                         "It resets at 00:00 UTC; reconnect then.")
                await ctx.delivered(OPERATION, policy.purpose, [n.alert_id])
                yield to_notification(n)
                held.pop(0)
                await outbox.mark_delivered(state.driver, state.database, party, [n.id],
                                            via="websocket")
            await asyncio.sleep(settings.notify_poll_seconds)
    except ApiError:
        raise
    except _UNAVAILABLE:
        raise Unavailable("The database is unavailable; resubscribe shortly.") from None
    except Exception:
        log.exception("alert subscription failed")
        raise Internal("Internal error.") from None
    finally:
        if held:  # claimed but not sent: let the next consumer have them now
            with contextlib.suppress(Exception):
                await outbox.release(state.driver, state.database, party, owner,
                                     [m.id for m in held])


@strawberry.type(description="Pushed over a websocket (graphql-transport-ws) at /graphql; "
                             "authenticate in connection_init: {\"authorization\": "
                             "\"Bearer <token>\"}.")
class Subscription:
    @strawberry.subscription(description="Alert notifications addressed to your party: "
                                         "first the undelivered backlog, then new ones. "
                                         "Needs the scope alert:read.")
    async def alert_notifications(self, info: CtxInfo, purpose: Purpose
                                  ) -> AsyncGenerator[AlertNotification, None]:
        # A coroutine returning the stream (not itself a generator), so refusals happen
        # at subscribe time and reach the client as the protocol's ``error`` message.
        from hub.api.ws import WsContext

        if not isinstance(info.context, WsContext):
            raise BadUserInput("Subscriptions are served over a websocket.",
                               "Connect to ws(s)://<hub>/graphql with the "
                               "graphql-transport-ws subprotocol (docs/alerts.md).")
        ctx = for_operation(info.context, info)
        _check_token(ctx)
        policy = await ctx.authorize("alertNotifications", purpose.value, ALERT_READ)
        return stream(ctx, policy)
