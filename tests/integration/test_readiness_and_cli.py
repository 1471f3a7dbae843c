"""The local Neo4j lifecycle through the CLI, and readiness following the database.

This test provisions a second, private Neo4j (its own state directory) so that it can
stop and restart it without disturbing the session's database.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from pathlib import Path

import httpx
import neo4j
import pytest

from hub.graph.driver import Connection
from tests.conftest import live_server, make_settings, wait_until


def hub_cli(*args: str, state_dir: Path, extra_env: dict[str, str] | None = None,
            ) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEO4J_", "HUB_"))}
    env.update({"HUB_STATE_DIR": str(state_dir), "HUB_NEO4J_HEAP": "512m",
                "HUB_NEO4J_PAGECACHE": "128m"})
    env.update(extra_env or {})
    return subprocess.run([sys.executable, "-m", "hub.cli", *args], env=env,
                          capture_output=True, text=True, timeout=300, check=False)


def wait_for_status(url: str, expected: int, timeout: float = 120.0) -> httpx.Response:
    """The first answer with ``expected`` status, or the last one when time runs out (the
    caller's assertion then shows it)."""
    last: list[httpx.Response] = []

    def answered() -> bool:
        last[:] = [httpx.get(url, timeout=10)]
        return last[0].status_code == expected

    with contextlib.suppress(AssertionError):  # out of time: the caller shows the answer
        wait_until(answered, timeout, f"{url} to answer {expected}", every=0.25)
    return last[0]


def test_cli_lifecycle_and_readiness(tmp_path: Path) -> None:
    status = hub_cli("neo4j", "status", state_dir=tmp_path)
    assert status.returncode == 3
    assert "not running" in status.stderr

    started = hub_cli("neo4j", "start", state_dir=tmp_path)
    assert started.returncode == 0, started.stderr
    uri = started.stdout.strip()
    assert uri.startswith("bolt://127.0.0.1:")
    assert "log:" in started.stderr
    state_file = tmp_path / "neo4j" / "state.json"
    assert state_file.stat().st_mode & 0o077 == 0, "credentials must be private to the user"
    try:
        again = hub_cli("neo4j", "start", state_dir=tmp_path)
        assert again.returncode == 0
        assert "already running" in again.stderr
        assert again.stdout.strip() == uri

        running = hub_cli("neo4j", "status", state_dir=tmp_path)
        assert running.returncode == 0 and uri in running.stdout

        migrated = hub_cli("migrate", state_dir=tmp_path)
        assert "applied 0001_core_keys.cypher" in migrated.stderr, migrated.stderr

        # Authentication is on: the default password does not work.
        with neo4j.GraphDatabase.driver(uri, auth=("neo4j", "neo4j")) as drv, \
                pytest.raises(neo4j.exceptions.AuthError):
            drv.verify_connectivity()

        settings = make_settings(state_dir=tmp_path, ready_timeout=1.0)
        with live_server(settings) as base:
            assert wait_for_status(f"{base}/readyz", 200).status_code == 200
            body = httpx.post(f"{base}/graphql", json={"query": "{ version }"},
                              timeout=60).json()
            assert body == {"data": {"version": "0.1.0"}}

            assert hub_cli("neo4j", "stop", state_dir=tmp_path).returncode == 0
            down = wait_for_status(f"{base}/readyz", 503)
            assert down.status_code == 503
            assert down.headers["Retry-After"] == "5"
            assert "bolt" not in down.text and "127.0.0.1" not in down.text
            assert httpx.get(f"{base}/healthz", timeout=60).status_code == 200  # not crashed

            restarted = hub_cli("neo4j", "start", state_dir=tmp_path)
            assert restarted.returncode == 0, restarted.stderr
            assert restarted.stdout.strip() == uri  # same port again
            assert wait_for_status(f"{base}/readyz", 200).status_code == 200
    finally:
        hub_cli("neo4j", "stop", state_dir=tmp_path)
    assert hub_cli("neo4j", "status", state_dir=tmp_path).returncode == 3


def test_migrate_without_database_explains_what_to_do(tmp_path: Path) -> None:
    result = hub_cli("migrate", state_dir=tmp_path)
    assert result.returncode == 1
    assert "hub neo4j start" in result.stderr
    assert "Traceback" not in result.stderr


def test_migrate_against_neo4j_uri(neo4j_conn: Connection, tmp_path: Path,
                                   graph: neo4j.Driver) -> None:
    result = hub_cli("migrate", state_dir=tmp_path, extra_env={
        "NEO4J_URI": neo4j_conn.uri, "NEO4J_USER": neo4j_conn.user,
        "NEO4J_PASSWORD": neo4j_conn.password})
    assert result.returncode == 0, result.stderr
    assert "schema is up to date" in result.stderr
    assert not (tmp_path / "neo4j").exists(), "NEO4J_URI must not provision a local server"
