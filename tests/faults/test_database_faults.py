"""The database frozen (SIGSTOP) or stopped: every request answers within HUB_DB_TIMEOUT.

Before: with Neo4j under SIGSTOP in-flight requests hung for as long as it was frozen;
with it stopped every 503 took 3–9 s (retries plus connection timeouts).

The hub reaches the suite's Neo4j through a small TCP relay on loopback, so the test can
also make the server *stopped* (connections refused and reset, as a dead process would)
and bring it back without a 30-second restart. *Frozen* is the real thing: the server
process gets SIGSTOP (always SIGCONT in ``finally``); a server that is not ours to
signal (``NEO4J_URI`` elsewhere) is frozen by the relay holding its bytes instead.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import neo4j
import pytest

from hub.graph.driver import Connection
from hub.settings import Neo4jSettings, Settings
from tests.conftest import free_port, live_server
from tests.integration.api_world import IN_JJ, build_graph, token

DB_TIMEOUT = 2.0
SLACK = 2.5  # a loaded 2-core CI machine: scheduling, TLS-free HTTP, JSON
QUERY = {"query": "query($c: [String!]!) { complianceStatus(usccs: $c, "
                  "purpose: ONBOARDING_CHECK) { uscc known } }", "variables": {"c": [IN_JJ]}}


class Relay:
    """A loopback TCP relay to the database that can refuse (stopped) or hold (frozen)."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.port = free_port()
        self.flowing = threading.Event()
        self.flowing.set()
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self.start()

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def stop(self) -> None:
        """Refuse new connections and reset the open ones: a stopped server."""
        if self._listener is not None:
            with contextlib.suppress(OSError):  # wakes the thread blocked in accept()
                self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
            self._listener = None
        with self._lock:
            for sock in self._sockets:
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\0\0\0\0\0\0\0")
                    sock.close()
            self._sockets.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.upstream, timeout=10)
            except OSError:
                client.close()
                continue
            with self._lock:
                if listener is not self._listener:  # stopped meanwhile
                    client.close()
                    server.close()
                    return
                self._sockets |= {client, server}
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        source.settimeout(None)
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                self.flowing.wait()  # frozen: bytes are held, nobody answers
                sink.sendall(data)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                sink.shutdown(socket.SHUT_WR)


def _listening_pid(port: int) -> int | None:
    """The pid of our own process listening on ``port`` (Linux /proc), if any."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError), open(table) as fh:
            for line in fh.readlines()[1:]:
                fields = line.split()
                if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                    inodes.add(f"socket:[{fields[9]}]")
    for pid in filter(str.isdigit, os.listdir("/proc")):
        with contextlib.suppress(OSError):
            for fd in os.listdir(f"/proc/{pid}/fd"):
                with contextlib.suppress(OSError):
                    if os.readlink(f"/proc/{pid}/fd/{fd}") in inodes:
                        return int(pid)
    return None


@contextlib.contextmanager
def frozen(conn: Connection, relay: Relay) -> Iterator[str]:
    port = int(conn.uri.rsplit(":", 1)[1])
    pid = _listening_pid(port) if conn.uri.startswith("bolt://127.0.0.1") else None
    if pid is not None:
        os.kill(pid, signal.SIGSTOP)
        try:
            yield "SIGSTOP"
        finally:
            os.kill(pid, signal.SIGCONT)
    else:
        relay.flowing.clear()
        try:
            yield "relay"
        finally:
            relay.flowing.set()


@pytest.fixture
def hub(graph: neo4j.Driver, neo4j_conn: Connection, hub_settings: Settings,
        tmp_path: Path) -> Iterator[tuple[str, str, Relay]]:
    creds = build_graph(graph, tmp_path)
    host, port = neo4j_conn.uri.split("//", 1)[1].rsplit(":", 1)
    relay = Relay((host, int(port)))
    settings = hub_settings.model_copy(update={
        "key_dir": tmp_path / "keys", "audit_dir": tmp_path / "audit",
        "db_timeout": DB_TIMEOUT, "auth_cache_ttl": 0.0,
        "neo4j": Neo4jSettings(uri=f"bolt://127.0.0.1:{relay.port}", user=neo4j_conn.user,
                               password=neo4j_conn.password,  # type: ignore[arg-type]
                               database=neo4j_conn.database)})
    try:
        with live_server(settings) as url:
            cid, secret = creds["party-plat-01"]
            yield url, token(url, cid, secret), relay
    finally:
        relay.stop()


def ask(url: str, bearer: str) -> tuple[float, httpx.Response]:
    started = time.monotonic()
    response = httpx.post(f"{url}/graphql", json=QUERY, timeout=60,
                          headers={"authorization": f"Bearer {bearer}"})
    return time.monotonic() - started, response


def assert_unavailable(seconds: float, response: httpx.Response, bound: float) -> None:
    assert response.status_code == 503, response.text
    assert int(response.headers["retry-after"]) >= 1
    assert [e["extensions"]["code"] for e in response.json()["errors"]] == ["UNAVAILABLE"]
    assert "bolt" not in response.text and "127.0.0.1" not in response.text
    assert seconds < bound, f"a 503 took {seconds:.2f} s"


def recovers(url: str, bearer: str, within: float = 30.0) -> None:
    deadline = time.monotonic() + within
    while True:
        _, response = ask(url, bearer)
        if response.status_code == 200:
            assert response.json()["data"]["complianceStatus"][0]["known"] is True
            return
        assert time.monotonic() < deadline, f"no recovery: {response.status_code}"


Fault = Callable[[], contextlib.AbstractContextManager[object]]


def fault_round(url: str, bearer: str, fault: Fault) -> list[float]:
    seconds, response = ask(url, bearer)
    assert response.status_code == 200, response.text
    with fault(), ThreadPoolExecutor(max_workers=6) as pool:
        in_flight = [f.result() for f in [pool.submit(ask, url, bearer) for _ in range(6)]]
        for seconds, response in in_flight:
            assert_unavailable(seconds, response, DB_TIMEOUT + SLACK)
        # Known down: the breaker answers at once (only a half-open probe may wait).
        later = [ask(url, bearer) for _ in range(5)]
        for seconds, response in later:
            assert_unavailable(seconds, response, DB_TIMEOUT + SLACK)
        assert sorted(s for s, _ in later)[2] < 1.0, [round(s, 2) for s, _ in later]
    recovers(url, bearer)
    return [s for s, _ in in_flight + later]


def test_frozen_database(hub: tuple[str, str, Relay], neo4j_conn: Connection) -> None:
    url, bearer, relay = hub
    timings = fault_round(url, bearer, lambda: frozen(neo4j_conn, relay))
    print("frozen: 503 in", [round(s, 2) for s in timings])


def test_stopped_database(hub: tuple[str, str, Relay]) -> None:
    url, bearer, relay = hub

    @contextlib.contextmanager
    def stopped() -> Iterator[None]:
        relay.stop()
        try:
            yield
        finally:
            relay.start()

    timings = fault_round(url, bearer, stopped)
    print("stopped: 503 in", [round(s, 2) for s in timings])
