"""No response without its record: kill the hub under load, then every response the
client received must have its audit record (written durably before the response left).

Every wait is on a condition with a generous deadline (the suite runs on loaded,
shared machines); on an idle machine the test takes a few seconds.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import orjson

from hub.audit import query_hash
from hub.graph.driver import Connection
from tests.conftest import free_port, wait_until
from tests.integration.api_world import IN_JJ, World, world

__all__ = ["world"]

RESPONSES = 150  # responses received before the kill
START_DEADLINE = 180.0  # seconds for `hub serve` to come up
LOAD_DEADLINE = 300.0  # seconds to receive RESPONSES
QUERY = ("query($c: [String!]!) { complianceStatus(usccs: $c, purpose: ONBOARDING_CHECK) "
         "{ uscc known } }")


def test_kill_under_load_leaves_no_unrecorded_response(world: World, tmp_path: Path,
                                                       neo4j_conn: Connection) -> None:
    port = free_port()
    audit = tmp_path / "audit-kill"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HUB_", "NEO4J_"))}
    env.update(NEO4J_URI=neo4j_conn.uri, NEO4J_USER=neo4j_conn.user,
               NEO4J_PASSWORD=neo4j_conn.password, HUB_STATE_DIR=str(tmp_path / "state"),
               HUB_KEY_DIR=str(tmp_path / "keys"), HUB_AUDIT_DIR=str(audit),
               HUB_PII_KEY="test-pii-key-not-for-production", HUB_MIGRATE_ON_START="false",
               HUB_RATE_LIMIT_PER_SECOND="0")
    server = subprocess.Popen([sys.executable, "-m", "hub.cli", "serve", "--port", str(port)],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"

        def healthy() -> bool:
            assert server.poll() is None, "hub did not start"
            try:
                return httpx.get(f"{url}/healthz", timeout=10).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(healthy, START_DEADLINE, "the hub to start")

        received: list[dict[str, object]] = []  # the variables of each answered request
        lock = threading.Lock()
        stop, killed, enough = threading.Event(), threading.Event(), threading.Event()
        headers = {"authorization": f"Bearer {world.tokens['party-plat-01']}",
                   "content-type": "application/json"}

        def client(worker: int) -> None:
            n = 0
            # A slow answer is waited for (a loaded machine); after the kill the connection
            # fails at once and the client stops.
            with httpx.Client(timeout=60) as http:
                while not stop.is_set():
                    n += 1
                    variables = {"c": [IN_JJ], "nonce": f"{worker}-{n}"}
                    body = orjson.dumps({"query": QUERY, "variables": variables})
                    try:
                        response = http.post(f"{url}/graphql", content=body, headers=headers)
                    except httpx.HTTPError:
                        if killed.is_set():
                            return
                        continue
                    if response.status_code == 200 and response.json()["data"]:
                        with lock:
                            received.append(variables)
                            if len(received) >= RESPONSES:
                                enough.set()

        threads = [threading.Thread(target=client, args=(i,)) for i in range(8)]
        for thread in threads:
            thread.start()
        enough.wait(timeout=LOAD_DEADLINE)
        killed.set()
        server.send_signal(signal.SIGKILL)
        server.wait()
        stop.set()
        for thread in threads:
            thread.join(timeout=120)
        assert not any(t.is_alive() for t in threads)
        assert len(received) >= RESPONSES

    finally:  # never leave a hub running if the test failed before the kill
        if server.poll() is None:
            server.kill()
            server.wait()

    recorded = set()
    for line in (audit / "audit.jsonl").read_bytes().splitlines():
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError:
            continue  # a torn last line was never acknowledged
        if record["outcome"] == "allowed":
            recorded.add(record["query_hash"])
    # The canonical hash (docs/audit.md): the client re-derives it from what it sent.
    missing = [v for v in received if query_hash(QUERY, v) not in recorded]
    assert not missing, f"{len(missing)} of {len(received)} responses have no audit record"
