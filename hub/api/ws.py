"""GraphQL over websockets (graphql-transport-ws only): authentication at connection_init.

The HTTP endpoint (:mod:`hub.api.view`) authenticates each request; a websocket is
authenticated once, when the client sends ``connection_init``. The token is taken from
the payload's ``authorization`` (``{"authorization": "Bearer <token>"}`` — browsers
cannot set headers on a websocket) or else from the upgrade request's ``Authorization``
header. Refusals close the socket with the protocol's codes:

* no token → ``4401 Unauthorized``;
* a token that is invalid, expired, revoked, or whose party/client is disabled →
  ``4403 Forbidden`` (also audited, like a refused HTTP request);
* the database unreachable while checking → ``1013 Try Again Later``;
* more than ``MESSAGES_PER_SECOND`` messages a second (after a burst of
  ``MESSAGE_BURST``) → ``4429 Too many messages``. Frames are bounded by uvicorn's
  ``ws_max_size`` (``HUB_MAX_BODY_BYTES``, set by ``hub serve``); subscriptions per
  connection by ``max_subscriptions_per_connection``.

Scope and purpose are checked per subscription by the resolver (``ctx.authorize``).
The legacy ``graphql-ws`` subprotocol is not offered: it has no defined way to refuse.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import neo4j
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    ConnectionInitMessage,
    SubscribeMessage,
)
from strawberry.types.unset import UnsetType

from hub.api.context import Context
from hub.api.limits import LocalRateLimiter
from hub.api.persisted import Manifest
from hub.api.view import HubGraphQL
from hub.audit import AuditEntry
from hub.audit.request import OPERATION_HASH, payload_hash
from hub.auth import BearerTokenError, MissingToken, authenticator_for
from hub.settings import Settings

_UNAVAILABLE = (neo4j.exceptions.ServiceUnavailable, neo4j.exceptions.SessionExpired,
                ConnectionError, TimeoutError)
MESSAGES_PER_SECOND = 10.0
MESSAGE_BURST = 50.0


@dataclass
class WsContext(Context):
    """The per-connection context; strawberry fills ``connection_params`` from
    ``connection_init`` before calling :meth:`HubWebSocketGraphQL.on_ws_connect`."""

    connection_params: dict[str, Any] | None = None
    websocket: WebSocket | None = None


class Refused(Exception):
    """Close the socket with ``code`` instead of acknowledging the connection."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


class HubTransportWSHandler(BaseGraphQLTransportWSHandler[Context, None]):
    _messages: LocalRateLimiter | None = None
    _closed = False

    async def handle_message(self, message: Any) -> None:
        if self._closed:
            return
        if self._messages is None:  # one bucket per connection
            self._messages = LocalRateLimiter(MESSAGES_PER_SECOND, MESSAGE_BURST)
        if self._messages.take_now("connection"):
            self._closed = True
            await self.websocket.close(code=4429, reason="Too many messages")
            return
        await super().handle_message(message)

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        try:
            await super().handle_connection_init(message)
        except Refused as exc:
            await self.websocket.close(code=exc.code, reason=exc.reason)

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        # Allow-list parties (hub.api.persisted) subscribe with manifest documents only.
        ctx = self.context
        if isinstance(ctx, WsContext) and ctx.principal is not None and ctx.websocket \
                and ctx.services.policies.persisted_only(ctx.principal.party_type,
                                                         ctx.principal.party_id):
            manifest: Manifest = ctx.websocket.app.state.persisted
            if message["payload"].get("query") not in manifest.known_texts:
                await self.send_message({"id": message["id"], "type": "error", "payload": [{
                    "message": "This party may run persisted documents only.",
                    "extensions": {"code": "PERSISTED_QUERY_REQUIRED"}}]})
                return
        OPERATION_HASH.set(payload_hash(message["payload"]))  # inherited by the operation
        await super().handle_subscribe(message)


def _token(ctx: WsContext) -> str | None:
    params = ctx.connection_params or {}
    value = params.get("authorization", params.get("Authorization"))
    if isinstance(value, str) and value.strip():
        return value
    if ctx.websocket is not None:
        return ctx.websocket.headers.get("authorization")
    return None


class HubWebSocketGraphQL(HubGraphQL):
    """The websocket side of ``/graphql`` (mounted as a ``WebSocketRoute``)."""

    graphql_transport_ws_handler_class = HubTransportWSHandler

    def __init__(self, schema: Any, settings: Settings) -> None:
        super().__init__(schema, settings)
        self.protocols = (GRAPHQL_TRANSPORT_WS_PROTOCOL,)
        self.connection_init_wait_timeout = timedelta(seconds=10)
        self.max_subscriptions_per_connection = 10

    async def get_context(self, request: Request | WebSocket,
                          response: Response | WebSocket) -> Context:
        app = request.app
        return WsContext(state=app.state.hub, services=app.state.services, principal=None,
                         query_hash=hashlib.sha256(b"").hexdigest(),
                         websocket=request if isinstance(request, WebSocket) else None)

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        assert isinstance(context, WsContext)
        header = _token(context)
        try:
            if context.websocket is None:
                raise MissingToken()
            context.principal = await authenticator_for(context.websocket).authenticate(
                header)
        except MissingToken:
            raise Refused(4401, "Unauthorized") from None
        except BearerTokenError as exc:
            await context.services.audit.append(AuditEntry(
                party="", client="", purpose="", operation="authenticate",
                query_hash=context.query_hash, outcome="denied",
                reason=exc.error or "invalid token"))
            raise Refused(4403, "Forbidden") from None
        except _UNAVAILABLE:
            raise Refused(1013, "Try again later") from None
        return UnsetType()
