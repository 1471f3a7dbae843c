"""How the hub runs under uvicorn: deadlines for slow clients, bounded WebSocket frames.

uvicorn closes idle keep-alive connections (``timeout_keep_alive``) but has no deadline
for a request's head: a client that trickles header bytes ("slowloris") holds its
connection forever. :class:`HeadDeadline` closes a connection whose request head is not
complete within ``HUB_CLIENT_TIMEOUT`` seconds (bodies get the same deadline in
:mod:`hub.api.body_limit`). ``hub serve`` and the tests use :func:`uvicorn_options`.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

from hub.settings import Settings, get_settings

try:  # uvicorn's default when httptools is installed
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as _Base
except ImportError:  # pragma: no cover
    _Base = H11Protocol  # type: ignore[assignment,misc]


class HeadDeadline(_Base):
    """The default HTTP protocol, closing connections whose request head is too slow."""

    #: seconds; None reads HUB_CLIENT_TIMEOUT (each worker process reads its settings)
    head_timeout: float | None = None
    _head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        before = self.cycle
        if self._head_timer is None and (before is None or before.response_complete):
            self._arm()  # the first bytes of a new request's head
        super().data_received(data)
        if self.cycle is not before:
            self._disarm()  # the head is complete: the body has its own deadline

    def handle_websocket_upgrade(self, *args: Any) -> None:
        self._disarm()  # the transport now belongs to the WebSocket protocol
        super().handle_websocket_upgrade(*args)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        timeout = self.head_timeout or get_settings().client_timeout
        self._head_timer = self.loop.call_later(timeout, self._expire)

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _expire(self) -> None:
        self._head_timer = None
        if not self.transport.is_closing():
            self.transport.close()


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """uvicorn settings derived from the hub's (keep-alive, head deadline, frame size)."""
    return {"http": HeadDeadline, "timeout_keep_alive": settings.keep_alive_timeout,
            "ws_max_size": settings.max_body_bytes,
            "h11_max_incomplete_event_size": 64 * 1024}
