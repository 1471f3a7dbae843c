"""Two hub processes on one Neo4j and one Redis, as two replicas behind a load balancer:
a party's rate is enforced once across both; scheduled escalation runs once between
them; killing one (SIGKILL, mid-load) leaves the
other serving; every answer either process gave has its audit record, and both access-log
chains verify."""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import neo4j
import orjson
import pytest

from hub.graph.driver import Connection
from tests.conftest import free_port, wait_ready, wait_until
from tests.integration.auth_fixtures import access_token, register

RATE, BURST = 0.5, 10.0  # slow refill: unshared buckets would let ~2 × BURST through
# A root field that goes through the policy, the rate limit and the access log.
ASK = {"query": '{ complianceStatus(usccs: ["91510100MA61234567"], purpose: SUPERVISION) '
                '{ uscc } }'}


def hub_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "hub.cli", *args]


@pytest.fixture
def replicas(graph: neo4j.Driver, neo4j_conn: Connection, redis_url: str,
             tmp_path: Path) -> Iterator[tuple[dict[str, str], list[subprocess.Popen[bytes]],
                                               list[str], dict[str, str]]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEO4J_", "HUB_"))}
    env.update({"NEO4J_URI": neo4j_conn.uri, "NEO4J_USER": neo4j_conn.user,
                "NEO4J_PASSWORD": neo4j_conn.password, "HUB_REDIS_URL": redis_url,
                "HUB_STATE_DIR": str(tmp_path / "state"), "HUB_KEY_DIR": str(tmp_path / "keys"),
                "HUB_PII_KEY": "test-pii-key-not-for-production",
                "HUB_RATE_LIMIT_PER_SECOND": str(RATE), "HUB_RATE_LIMIT_BURST": str(BURST)})
    procs, urls, audit_dirs = [], [], {}
    try:
        for name in ("a", "b"):
            port = free_port()
            audit_dirs[name] = str(tmp_path / f"audit-{name}")  # one chain per replica
            log = tmp_path / f"hub-{name}.log"
            with log.open("wb") as out:
                procs.append(subprocess.Popen(
                    hub_cmd("serve", "--port", str(port)), stdout=out, stderr=subprocess.STDOUT,
                    env={**env, "HUB_AUDIT_DIR": audit_dirs[name]}))
            urls.append(f"http://127.0.0.1:{port}")
            wait_ready(urls[-1], procs[-1], log)
        yield env, procs, urls, audit_dirs
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=30)


def audit_records(env: dict[str, str], directory: str) -> list[dict[str, object]]:
    done = subprocess.run(hub_cmd("audit", "tail", "-n", "100000", "--json", "--dir", directory),
                          env=env, capture_output=True, text=True, timeout=120, check=True)
    return [orjson.loads(line) for line in done.stdout.splitlines() if line.strip()]


def test_two_replicas_share_the_rate_and_survive_a_kill(
        graph: neo4j.Driver, replicas: tuple[dict[str, str], list[subprocess.Popen[bytes]],
                                             list[str], dict[str, str]]) -> None:
    env, procs, (url_a, url_b), audit_dirs = replicas
    one = register(graph, "regulator", party_id="reg-scale-1")
    two = register(graph, "regulator", party_id="reg-scale-2")
    token_one = access_token(url_a, one)
    token_two = access_token(url_b, two)  # issued by B, accepted by A: the keys are shared

    # One party's rate, spent across both replicas, is enforced once.
    allowed = {url_a: 0, url_b: 0}
    began = time.monotonic()
    with httpx.Client(timeout=10) as http:
        for i in range(4 * int(BURST)):
            url = (url_a, url_b)[i % 2]
            got = http.post(f"{url}/graphql", json=ASK,
                            headers={"authorization": f"Bearer {token_one}"})
            body = got.json()
            if got.status_code == 200 and body.get("data"):
                allowed[url] += 1
            else:
                assert body["errors"][0]["extensions"]["code"] == "RATE_LIMITED", body
    elapsed = time.monotonic() - began
    total = allowed[url_a] + allowed[url_b]
    assert BURST <= total <= BURST + math.ceil(elapsed * RATE) + 1, (total, elapsed)
    assert total < 2 * BURST  # what two unshared buckets would have allowed at least
    assert allowed[url_a] and allowed[url_b]

    # Kill A mid-load: B keeps answering the other party.
    served_by_a = allowed[url_a]
    after_kill = 0
    with httpx.Client(timeout=10) as http:
        for i in range(8):
            if i == 3:
                procs[0].send_signal(signal.SIGKILL)
                procs[0].wait(timeout=30)
            url = url_a if i % 2 == 0 and procs[0].poll() is None else url_b
            headers = {"authorization": f"Bearer {token_two if url == url_b else token_one}"}
            try:
                got = http.post(f"{url}/graphql", json=ASK, headers=headers)
            except httpx.TransportError:
                continue
            if url == url_a and got.status_code == 200 and got.json().get("data"):
                served_by_a += 1
            if url == url_b and got.status_code == 200:
                assert got.json().get("data") is not None, got.json()
                after_kill += 1
    assert procs[0].returncode == -signal.SIGKILL
    assert after_kill >= 4

    # Every answer A gave before dying has its durable record; both chains verify.
    a_allowed = [r for r in audit_records(env, audit_dirs["a"])
                 if r["operation"] == "complianceStatus" and r["outcome"] == "allowed"]
    assert len(a_allowed) >= served_by_a
    # Both replicas run the scheduler; escalation ran once between them, not once each.
    def escalation_runs() -> int | None:
        records, _, _ = graph.execute_query(
            "MATCH (l:JobLease {id: 'escalation'}) RETURN l.runs AS runs")
        return records[0]["runs"] if records else None

    assert wait_until(escalation_runs, 60, "the scheduled escalation") == 1
    for name in ("a", "b"):
        verified = subprocess.run(hub_cmd("audit", "verify", "--dir", audit_dirs[name]),
                                  env=env, capture_output=True, text=True, timeout=120)
        assert verified.returncode == 0, verified.stdout + verified.stderr
        assert "chain intact" in verified.stdout


def test_two_workers_report_one_set_of_metrics(graph: neo4j.Driver, neo4j_conn: Connection,
                                               redis_url: str, tmp_path: Path) -> None:
    """`hub serve --workers 2`: whichever worker answers /metrics counts every worker's
    requests (prometheus_client multiprocess mode)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("NEO4J_", "HUB_", "PROMETHEUS_"))}
    env.update({"NEO4J_URI": neo4j_conn.uri, "NEO4J_USER": neo4j_conn.user,
                "NEO4J_PASSWORD": neo4j_conn.password, "HUB_REDIS_URL": redis_url,
                "HUB_STATE_DIR": str(tmp_path / "state"), "HUB_KEY_DIR": str(tmp_path / "keys"),
                "HUB_PII_KEY": "test-pii-key-not-for-production"})
    port = free_port()
    log = tmp_path / "hub.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(hub_cmd("serve", "--port", str(port), "--workers", "2"),
                                stdout=out, stderr=subprocess.STDOUT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base, proc, log)
        metrics_dir = tmp_path / "state" / "metrics"
        sent = 0

        def workers_seen() -> int:
            # counter_<pid>.db: one file per worker that has counted something
            return len({f.stem for f in metrics_dir.glob("counter_*.db")})

        # New connections until both workers have answered some (bounded): the kernel
        # hands each accepted connection to whichever worker is waiting.
        while sent < 40 or (workers_seen() < 2 and sent < 1000):
            with httpx.Client(timeout=10) as http:
                assert http.post(f"{base}/graphql", json={"query": "{ version }"}
                                 ).status_code == 200
            sent += 1
        assert workers_seen() >= 2, "one worker answered every request"
        line = 'hub_requests_total{operation="version",status="200"}'
        for _ in range(6):
            with httpx.Client(timeout=10) as http:
                text = http.get(f"{base}/metrics").text
            counts = [float(row.split()[-1]) for row in text.splitlines()
                      if row.startswith(line)]
            assert counts == [float(sent)], text
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=30)
