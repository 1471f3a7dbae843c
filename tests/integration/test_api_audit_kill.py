"""No response without its record: kill the hub under load, then every response the
client received must have its audit record (written durably before the response left)."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import orjson

from hub.graph.driver import Connection
from tests.conftest import free_port
from tests.integration.api_world import IN_JJ, World, world

__all__ = ["world"]


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
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline and server.poll() is None, "hub did not start"
        time.sleep(0.2)

    received: list[bytes] = []
    lock = threading.Lock()
    stop = threading.Event()
    headers = {"authorization": f"Bearer {world.tokens['party-plat-01']}",
               "content-type": "application/json"}

    def client(worker: int) -> None:
        n = 0
        with httpx.Client(timeout=5) as http:
            while not stop.is_set():
                n += 1
                body = orjson.dumps({
                    "query": "query($c: [String!]!) { complianceStatus(usccs: $c, "
                             "purpose: ONBOARDING_CHECK) { uscc known } }",
                    "variables": {"c": [IN_JJ], "nonce": f"{worker}-{n}"}})
                try:
                    response = http.post(f"{url}/graphql", content=body, headers=headers)
                except httpx.HTTPError:
                    return
                if response.status_code == 200 and response.json()["data"]:
                    with lock:
                        received.append(body)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    while len(received) < 150 and time.monotonic() < deadline + 60:
        time.sleep(0.01)
    server.send_signal(signal.SIGKILL)
    server.wait()
    stop.set()
    for thread in threads:
        thread.join()
    assert len(received) >= 150

    recorded = set()
    for line in (audit / "audit.jsonl").read_bytes().splitlines():
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError:
            continue  # a torn last line was never acknowledged
        if record["outcome"] == "allowed":
            recorded.add(record["query_hash"])
    missing = [b for b in received if hashlib.sha256(b).hexdigest() not in recorded]
    assert not missing, f"{len(missing)} of {len(received)} responses have no audit record"
