"""A request id for every HTTP request and one access-log line when it ends (ASGI).

The id comes from the caller's ``x-request-id`` (if well formed) or the trace id of a W3C
``traceparent``, else a new one; it is bound into the log context (every line logged while
serving the request carries it) and returned in the ``x-request-id`` response header.
The access line has method, path (never the query string), status, bytes and duration.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("hub.access")

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")
_TRACEPARENT = re.compile(r"^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$")


def request_id(headers: dict[bytes, bytes]) -> str:
    """The caller's request id, the trace id of its ``traceparent``, or a fresh one."""
    given = headers.get(b"x-request-id", b"").decode("latin-1").strip()
    if _REQUEST_ID.match(given):
        return given
    trace = _TRACEPARENT.match(headers.get(b"traceparent", b"").decode("latin-1").strip())
    if trace and trace.group(1) != "0" * 32:
        return trace.group(1)
    return uuid.uuid4().hex


class AccessLog:
    """ASGI middleware: request id in and out, one log line per HTTP request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        rid = request_id(headers)
        status, sent = 0, 0
        started = time.perf_counter()

        async def tagged(message: Message) -> None:
            nonlocal status, sent
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", rid.encode())]
            elif message["type"] == "http.response.body":
                sent += len(message.get("body", b""))
            await send(message)

        with structlog.contextvars.bound_contextvars(request_id=rid):
            try:
                await self.app(scope, receive, tagged)
            finally:
                log.info("request", extra={
                    "method": scope.get("method", "WS"), "path": scope.get("path"),
                    "status": status or None, "bytes": sent,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2)})
