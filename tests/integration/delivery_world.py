"""Helpers for the alert-delivery tests: the API world (tests/integration/api_world.py) on
a hub with fast polling, raising a real alert, a graphql-transport-ws client and a
scriptable local webhook receiver."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import neo4j
import orjson
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from hub.credit.engine import rescore
from hub.ingest import IngestOptions, ingest
from hub.settings import Settings
from tests.conftest import live_server
from tests.integration.api_world import IN_JJ, KEY, World, build_graph, token

SUBSCRIPTION = """subscription($p: Purpose!) { alertNotifications(purpose: $p) {
  id kind createdAt alert { id uscc rule severity status deadline recommendedAction evidence }
} }"""
PROTOCOL = Subprotocol("graphql-transport-ws")
#: How long to wait for something that must happen (generous: the machine may be loaded).
WAIT = 60.0


@contextlib.contextmanager
def hub_world(graph: neo4j.Driver, settings: Settings, tmp: Path,
              **overrides: Any) -> Iterator[World]:
    """The API world's parties and data, on a live hub with ``overrides`` applied."""
    creds = build_graph(graph, tmp)
    settings = settings.model_copy(update={
        "key_dir": tmp / "keys", "audit_dir": tmp / "audit", "notify_poll_seconds": 0.2,
        **overrides})
    with live_server(settings) as url:
        w = World(url=url, graph=graph, audit_dir=tmp / "audit")
        for pid, (cid, secret) in creds.items():
            w.tokens[pid] = token(url, cid, secret)
        yield w


def raise_tobacco_alert(graph: neo4j.Driver, tmp: Path, code: str = IN_JJ,
                        shop: str = "A1") -> str:
    """plat-01 lists tobacco in ``code``'s shop; the red line fires. Returns the alert id."""
    path = tmp / f"tobacco-{code}.jsonl"
    path.write_bytes(orjson.dumps({
        "record_type": "product", "record_id": f"tob-{code}", "platform_id": "plat-01",
        "shop_id": shop, "product_id": f"T-{code}", "title": "香烟", "category": "tobacco",
        "listed_on": date.today().isoformat()}) + b"\n")
    summary = ingest(graph, "neo4j", "platform", path, IngestOptions(party="party-plat-01"),
                     KEY)
    assert summary.rejected == 0, summary
    rescore(graph, "neo4j", [code], neighbours=False)  # only this subject's alerts
    records, _, _ = graph.execute_query(
        "MATCH (a:Alert {rule: 'tobacco_online', uscc: $u}) RETURN a.id AS id", u=code)
    assert len(records) == 1, records
    return str(records[0]["id"])


def audit_lines(w: World) -> list[dict[str, Any]]:
    assert w.audit_dir is not None
    path = w.audit_dir / "audit.jsonl"
    if not path.exists():
        return []
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line]


def undelivered(graph: neo4j.Driver, party: str) -> list[str]:
    records, _, _ = graph.execute_query(
        "MATCH (n:Notification {party_id: $p}) WHERE n.delivered_at IS NULL "
        "RETURN n.id AS id ORDER BY id", p=party)
    return [str(r["id"]) for r in records]


# --- graphql-transport-ws client --------------------------------------------------------


def ws_url(w: World) -> str:
    return w.url.replace("http://", "ws://") + "/graphql"


async def open_socket(w: World, init: dict[str, Any] | None,
                      headers: dict[str, str] | None = None) -> ClientConnection:
    """Connect and send connection_init with ``init`` as its payload (None: no payload)."""
    ws = await connect(ws_url(w), subprotocols=[PROTOCOL], additional_headers=headers,
                       open_timeout=WAIT)
    message: dict[str, Any] = {"type": "connection_init"}
    if init is not None:
        message["payload"] = init
    await ws.send(orjson.dumps(message).decode())
    return ws


async def subscribe(w: World, party: str, purpose: str) -> ClientConnection:
    ws = await open_socket(w, {"authorization": f"Bearer {w.tokens[party]}"})
    ack = orjson.loads(await asyncio.wait_for(ws.recv(), WAIT))
    assert ack["type"] == "connection_ack", ack
    await ws.send(orjson.dumps({"id": "1", "type": "subscribe", "payload": {
        "query": SUBSCRIPTION, "variables": {"p": purpose}}}).decode())
    return ws


async def receive(ws: ClientConnection, seconds: float) -> dict[str, Any] | None:
    """The next message, or None if none arrives within ``seconds``."""
    try:
        return orjson.loads(await asyncio.wait_for(ws.recv(), seconds))  # type: ignore[no-any-return]
    except TimeoutError:
        return None


# --- a local webhook receiver -----------------------------------------------------------


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    status: int


@dataclass
class Receiver:
    """Answers each POST with the next status of ``script`` (the last one repeats)."""

    script: list[int]
    received: list[Received] = field(default_factory=list)
    url: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_status(self) -> int:
        with self.lock:
            index = min(len(self.received), len(self.script) - 1)
            return self.script[index]

    def ok(self) -> list[Received]:
        with self.lock:
            return [r for r in self.received if 200 <= r.status < 300]


@contextlib.contextmanager
def receiver(script: list[int]) -> Iterator[Receiver]:
    state = Receiver(script=script)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            status = state.next_status()
            with state.lock:
                state.received.append(Received({k.lower(): v for k, v in
                                                 self.headers.items()}, body, status))
            self.send_response(status)
            if 300 <= status < 400:
                self.send_header("location", state.url + "/elsewhere")
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
