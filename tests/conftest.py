"""Test fixtures: a real Neo4j 5.26 for the whole session, a clean graph per test.

The project's own local server is started (under ``.hub/test-neo4j``) unless ``NEO4J_URI``
points at another one. If it cannot be started the session fails with the reason:
database behaviour is never skipped or mocked.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import neo4j
import pytest
import uvicorn

from hub.graph import migrations
from hub.graph.driver import Connection, async_driver, sync_driver
from hub.neo4j_local import LocalNeo4j
from hub.settings import PROJECT_ROOT, Neo4jSettings, Settings

TEST_HOME = PROJECT_ROOT / ".hub" / "test-neo4j"
T = TypeVar("T")


def make_settings(**overrides: object) -> Settings:
    """Settings for tests: small Neo4j memory, nothing read from a developer's env."""
    base: dict[str, object] = {
        "neo4j_heap": os.environ.get("HUB_NEO4J_HEAP", "1g"),
        "neo4j_pagecache": os.environ.get("HUB_NEO4J_PAGECACHE", "512m"),
        "state_dir": PROJECT_ROOT / ".hub",
        "pii_key": "test-pii-key-not-for-production",
        # Background escalation would move the tests' alerts under them; the scheduler's
        # own tests switch it on.
        "scheduler_enabled": False,
        # A loaded CI machine can take seconds per query; fault tests set their own bound.
        "db_timeout": float(os.environ.get("HUB_DB_TIMEOUT", "30")),
    }
    base.update(overrides)
    return Settings(**base)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def neo4j_conn() -> Iterator[Connection]:
    uri = os.environ.get("NEO4J_URI")
    if uri:
        yield Connection(uri, os.environ.get("NEO4J_USER", "neo4j"),
                         os.environ.get("NEO4J_PASSWORD", ""),
                         os.environ.get("NEO4J_DATABASE", "neo4j"), local=False)
        return
    # One session owns .hub/test-neo4j (kept between runs, so warm starts are fast); a
    # concurrent session gets a private, throw-away server instead of sharing it.
    TEST_HOME.parent.mkdir(parents=True, exist_ok=True)
    lock = open(TEST_HOME.parent / "test-neo4j.lock", "w")  # noqa: SIM115 - held all session
    private: Path | None = None
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        home = TEST_HOME
    except BlockingIOError:
        private = home = Path(tempfile.mkdtemp(prefix="credit-hub-test-neo4j-"))
    server = LocalNeo4j(make_settings(), home=home)
    try:
        state = server.start(progress=lambda m: print(m, flush=True))
    except Exception as exc:
        lock.close()
        pytest.fail(f"Could not start the test Neo4j: {exc}", pytrace=False)
    try:
        yield Connection(state.uri, state.user, state.password, "neo4j", local=True)
    finally:
        server.stop()
        lock.close()
        if private:
            shutil.rmtree(private, ignore_errors=True)


@pytest.fixture(scope="session")
def driver(neo4j_conn: Connection) -> Iterator[neo4j.Driver]:
    drv = sync_driver(neo4j_conn)
    drv.verify_connectivity()

    async def apply() -> None:
        async with async_driver(neo4j_conn) as adrv:
            await migrations.migrate(adrv, neo4j_conn.database, PROJECT_ROOT / "schema" / "neo4j")

    asyncio.run(apply())
    yield drv
    drv.close()


def wipe(drv: neo4j.Driver, database: str = "neo4j") -> None:
    """Delete every node but the migration records (constraints and indexes stay)."""
    with drv.session(database=database) as session:
        session.run(
            "MATCH (n) WHERE NOT n:Migration "
            "CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS"
        ).consume()


@pytest.fixture
def graph(driver: neo4j.Driver, neo4j_conn: Connection) -> Iterator[neo4j.Driver]:
    """A driver on a clean graph (migrations applied)."""
    wipe(driver, neo4j_conn.database)
    yield driver


@pytest.fixture
def hub_settings(neo4j_conn: Connection) -> Settings:
    """Settings pointing the hub at the test database."""
    return make_settings(neo4j=Neo4jSettings(uri=neo4j_conn.uri, user=neo4j_conn.user,
                                             password=neo4j_conn.password,  # type: ignore[arg-type]
                                             database=neo4j_conn.database))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def live_server(settings: Settings) -> Iterator[str]:
    """Run the hub under a real uvicorn on a free loopback port; yields its base URL."""
    from hub.app import create_app

    with serve(create_app(settings)) as url:
        yield url


def wait_until(check: Callable[[], T | None], timeout: float = 90.0,
               what: str = "the condition", every: float = 0.05) -> T:
    """Poll ``check`` until it returns something truthy (returned) or ``timeout`` seconds
    pass (AssertionError naming ``what``): the suite's one way to wait on a condition."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(every)


def wait_ready(base: str, proc: Any, log: Path, timeout: float = 120.0) -> None:
    """Wait until the hub process ``proc`` (serving at ``base``) answers /readyz with 200;
    fail with its log if it exits or the time runs out."""
    import httpx

    def ready() -> bool:
        assert proc.poll() is None, log.read_text(encoding="utf-8", errors="replace")
        try:
            return httpx.get(f"{base}/readyz", timeout=5).status_code == 200
        except httpx.TransportError:
            return False

    wait_until(ready, timeout, f"{base} to be ready")


@contextmanager
def serve(app: Any, **options: Any) -> Iterator[str]:
    """Run an ASGI app under a real uvicorn on a free loopback port (extra ``options`` go
    to ``uvicorn.Config``); yields its base URL."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                            **{"lifespan": "on", **options})
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    # generous: start-up is slow on a loaded machine
    wait_until(lambda: server.started or not thread.is_alive(), 180, "the app to start")
    if not server.started:
        raise RuntimeError("the app did not start")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@pytest.fixture
def hub_url(hub_settings: Settings, graph: neo4j.Driver) -> Iterator[str]:
    """A live hub on the clean test graph."""
    with live_server(hub_settings) as url:
        yield url




@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Redis (Debian's redis-server) for the session, or the one ``HUB_TEST_REDIS_URL``
    names. If it cannot start the session fails with the reason: never skipped."""
    given = os.environ.get("HUB_TEST_REDIS_URL")
    if given:
        yield given
        return
    from hub.redis_local import LocalRedis

    server = LocalRedis(make_settings(), home=tmp_path_factory.mktemp("redis"))
    try:
        state = server.start()
    except Exception as exc:
        pytest.fail(f"Could not start the test Redis: {exc}", pytrace=False)
    try:
        yield state.url
    finally:
        server.stop()
