"""Feeds, parties and a subprocess ``hub ingest`` for the ingest fault tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import neo4j
import orjson

from hub.graph.driver import Connection
from hub.identity import resident_id, uscc
from hub.ingest import IngestOptions, IngestSummary, ingest

KEY = b"test-pii-key-not-for-production"
PARTY = "reg-510100"


def code(n: int) -> str:
    return uscc.make(f"9151010{n:010d}")


def person(n: int) -> str:
    return resident_id.make(f"51010419800101{n:03d}")


def subject(n: int, rid: str, day: int = 1, **extra: Any) -> dict[str, Any]:
    """A registry subject record with an explicit ``stated_at`` (so two ingests agree)."""
    return {"record_type": "subject", "record_id": rid, "uscc": code(n),
            "name": f"测试商贸{n}有限公司", "kind": "enterprise", "registered_on": "2016-04-01",
            "stated_at": f"2025-01-{day:02d}", **extra}


def feed(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    return path


def add_party(graph: neo4j.Driver) -> neo4j.Driver:
    graph.execute_query("MERGE (p:Party {id: $id}) SET p.type = 'regulator'", id=PARTY)
    return graph


def run(graph: neo4j.Driver, path: Path, source: str = "registry", **kw: Any) -> IngestSummary:
    return ingest(graph, "neo4j", source, path, IngestOptions(party=PARTY, **kw), KEY)


def hub_ingest(conn: Connection, state: Path, path: Path, *args: str, kill_at: str = "",
               source: str = "registry") -> subprocess.CompletedProcess[str]:
    """``hub ingest`` in its own process (optionally killing itself at ``kill_at``)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HUB_", "NEO4J_"))}
    env.update(NEO4J_URI=conn.uri, NEO4J_USER=conn.user, NEO4J_PASSWORD=conn.password,
               HUB_STATE_DIR=str(state), HUB_PII_KEY=KEY.decode())
    if kill_at:
        env["HUB_INGEST_KILL_AT"] = kill_at
    return subprocess.run([sys.executable, "-m", "hub.cli", "ingest", source, str(path),
                           "--party", PARTY, "--quiet", *args],
                          env=env, capture_output=True, text=True, timeout=120, check=False)
