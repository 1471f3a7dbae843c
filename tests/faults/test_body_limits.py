"""Oversized and slow requests over real sockets, against the hub as ``hub serve`` runs it.

Before: a 50 MB unauthenticated POST was read in full (RSS +124 MB) and answered 200; a
client that never finished its request head or body held its connection forever.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import orjson
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from hub.api.serving import HeadDeadline, uvicorn_options
from hub.settings import Settings
from tests.conftest import serve

LIMIT = 64 * 1024
TIMEOUT = 1.0


class QuickHeadDeadline(HeadDeadline):
    head_timeout = TIMEOUT


@contextmanager
def hardened(settings: Settings) -> Iterator[int]:
    """The app under uvicorn with ``hub serve``'s options; yields the port."""
    from hub.app import create_app

    options = {**uvicorn_options(settings), "http": QuickHeadDeadline}
    with serve(create_app(settings), **options) as url:
        yield int(url.rsplit(":", 1)[1])


@pytest.fixture
def port(hub_settings: Settings, tmp_path: object) -> Iterator[int]:
    settings = hub_settings.model_copy(update={
        "max_body_bytes": LIMIT, "client_timeout": TIMEOUT, "keep_alive_timeout": 1,
        "migrate_on_start": False, "audit_dir": tmp_path, "key_dir": tmp_path})
    with hardened(settings) as bound:
        yield bound


def exchange(port: int, head: bytes, body: bytes = b"", wait: float = 10.0
             ) -> tuple[float, bytes]:
    """Send ``head`` + ``body``, then read until the server closes; (seconds, bytes)."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=wait) as sock:
        sock.sendall(head + body)
        received = b""
        while time.monotonic() - started < wait:
            chunk = sock.recv(65536)
            if not chunk:
                break
            received += chunk
    return time.monotonic() - started, received


def status_and_code(raw: bytes) -> tuple[int, str]:
    head, _, body = raw.partition(b"\r\n\r\n")
    return int(head.split()[1]), orjson.loads(body)["errors"][0]["extensions"]["code"]


def post_head(length: int | None, extra: bytes = b"") -> bytes:
    size = b"transfer-encoding: chunked\r\n" if length is None else \
        b"content-length: %d\r\n" % length
    return (b"POST /graphql HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n"
            + size + extra + b"\r\n")


def test_an_oversized_content_length_is_refused_before_reading_or_authenticating(
        port: int) -> None:
    # 50 MB announced, not one byte sent: the answer cannot have waited for the body.
    for extra in (b"", b"authorization: Bearer not.a.token\r\n"):
        seconds, raw = exchange(port, post_head(50 * 1024 * 1024, extra))
        assert status_and_code(raw) == (413, "PAYLOAD_TOO_LARGE")
        assert b"connection: close" in raw.lower() and seconds < 5


def test_a_chunked_body_is_refused_once_it_passes_the_limit(port: int) -> None:
    chunk = b"x" * 16384
    body = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(LIMIT // 16384 + 2))
    seconds, raw = exchange(port, post_head(None), body)  # no terminating chunk: still open
    assert status_and_code(raw) == (413, "PAYLOAD_TOO_LARGE") and seconds < 5


def test_bodies_within_the_limit_are_served(port: int) -> None:
    query = {"query": "{ version }", "pad": "y" * (LIMIT - 100)}
    response = httpx.post(f"http://127.0.0.1:{port}/graphql", content=orjson.dumps(query),
                          headers={"content-type": "application/json"}, timeout=10)
    assert response.json() == {"data": {"version": "0.1.0"}}


def test_slow_clients_are_timed_out(port: int) -> None:
    # A body that stops halfway: 408 after the client timeout, not a hung connection.
    seconds, raw = exchange(port, post_head(100), b'{"query": ')
    assert status_and_code(raw) == (408, "REQUEST_TIMEOUT")
    assert TIMEOUT * 0.9 <= seconds < TIMEOUT + 4
    # A head that never ends: the connection is closed after the same deadline.
    seconds, raw = exchange(port, b"POST /graphql HTTP/1.1\r\nhost: 127.0.0.1\r\nx-slow: ")
    assert raw == b"" and TIMEOUT * 0.9 <= seconds < TIMEOUT + 4
    # An idle keep-alive connection is closed too (uvicorn's timeout_keep_alive).
    seconds, raw = exchange(port, b"GET /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n")
    assert raw.startswith(b"HTTP/1.1 200") and seconds < 5


def closed_with(port: int, messages: list[str]) -> int | None:
    """Send ``messages`` on a graphql-transport-ws socket; the close code the hub sent."""
    async def run() -> int | None:
        async with connect(f"ws://127.0.0.1:{port}/graphql", open_timeout=10,
                           subprotocols=[Subprotocol("graphql-transport-ws")]) as ws:
            try:
                for message in messages:
                    await ws.send(message)
                async with asyncio.timeout(10):
                    while True:
                        await ws.recv()
            except ConnectionClosed as closed:
                return closed.rcvd.code if closed.rcvd else None
        return None  # pragma: no cover - the loop ends by ConnectionClosed

    return asyncio.run(run())


def test_websocket_frames_and_message_rates_are_bounded(port: int) -> None:
    assert closed_with(port, ["x" * (2 * LIMIT)]) == 1009  # message too big
    ping = orjson.dumps({"type": "ping"}).decode()
    assert closed_with(port, [ping] * 200) == 4429  # too many messages


def test_a_websocket_outlives_the_head_deadline(port: int) -> None:
    async def run() -> float:
        started = time.monotonic()
        async with connect(f"ws://127.0.0.1:{port}/graphql", open_timeout=10,
                           subprotocols=[Subprotocol("graphql-transport-ws")]) as ws:
            while time.monotonic() - started < 3 * TIMEOUT:
                await ws.send(orjson.dumps({"type": "ping"}).decode())
                async with asyncio.timeout(5):
                    assert orjson.loads(await ws.recv())["type"] == "pong"
                await asyncio.sleep(0.25)  # pacing, under the message-rate limit
        return time.monotonic() - started

    assert asyncio.run(run()) >= 3 * TIMEOUT
