"""Step 1: the demo data, a Neo4j dedicated to the benchmark, its schema and parties."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import neo4j

from bench.config import Scale
from hub.settings import PROJECT_ROOT, Settings

SOURCES = ("registry", "platform", "complaints", "enforcement", "association")


@dataclass(frozen=True)
class Graph:
    uri: str
    user: str
    password: str
    pid: int

    def env(self) -> dict[str, str]:
        return {"NEO4J_URI": self.uri, "NEO4J_USER": self.user,
                "NEO4J_PASSWORD": self.password}

    def driver(self) -> neo4j.Driver:
        return neo4j.GraphDatabase.driver(self.uri, auth=(self.user, self.password),
                                          notifications_min_severity="OFF")

    def async_driver(self) -> neo4j.AsyncDriver:
        return neo4j.AsyncGraphDatabase.driver(self.uri, auth=(self.user, self.password),
                                               notifications_min_severity="OFF",
                                               max_connection_pool_size=200)


def generate(scale: Scale, seed: int, root: Path, log: Any) -> tuple[Path, float]:
    """The feeds for ``scale``/``seed``, reused when the manifest matches; (dir, seconds)."""
    out = root / f"feeds-{scale.subjects}-s{seed}"
    manifest = out / "manifest.json"
    if manifest.exists():
        data = json.loads(manifest.read_text(encoding="utf-8"))
        if data.get("seed") == seed and data.get("subjects") == scale.subjects and all(
                (out / f"{s}.jsonl").exists() for s in SOURCES):
            log(f"reusing {out} (manifest matches seed {seed}, {scale.subjects:,} subjects)")
            return out, 0.0
    shutil.rmtree(out, ignore_errors=True)
    import time

    began = time.perf_counter()
    subprocess.run([sys.executable, "-m", "hub.cli", "demo", "generate", "--subjects",
                    str(scale.subjects), "--seed", str(seed), "--out", str(out), "--quiet"],
                   check=True, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL)
    return out, time.perf_counter() - began


def parties(feeds: Path) -> dict[str, list[dict[str, Any]]]:
    return json.loads((feeds / "parties.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def start_neo4j(scale: Scale, home: Path, log: Any, *, fresh: bool = True
                ) -> tuple[Graph, Any]:
    """The benchmark's database — fresh (the data directory is removed first) unless
    ``fresh`` is false; returns (graph, server)."""
    from hub.neo4j_local.server import LocalNeo4j

    settings = Settings(neo4j_heap=scale.heap, neo4j_pagecache=scale.pagecache,
                        neo4j_start_timeout=300.0)
    server = LocalNeo4j(settings, home=home)
    server.stop()  # a server left over by an interrupted run
    if fresh:
        shutil.rmtree(home / "data", ignore_errors=True)
    state = server.start(progress=log)
    return Graph(state.uri, state.user, state.password, state.pid), server


def migrate(graph: Graph) -> None:
    from hub.graph import migrations

    async def run() -> None:
        driver = graph.async_driver()
        try:
            await migrations.migrate(driver, "neo4j", PROJECT_ROOT / "schema" / "neo4j")
        finally:
            await driver.close()

    asyncio.run(run())


def create_parties(graph: Graph, doc: dict[str, list[dict[str, Any]]]) -> None:
    """The parties of ``parties.json`` (kept as they are when a reused graph has them)."""
    from hub.auth import clear_caches, create_agreement, create_party

    clear_caches()
    today = date.today()
    with graph.driver() as driver:
        known, _, _ = driver.execute_query("MATCH (p:Party) RETURN count(p) AS n",
                                           database_="neo4j")
        if known[0]["n"]:
            return
        for reg in doc["regulators"]:
            create_party(driver, party_id=reg["party_id"], party_type="regulator",
                         name=reg["name"], jurisdictions=reg["jurisdiction"])
        for plat in doc["platforms"]:
            create_party(driver, party_id=plat["party_id"], party_type="platform",
                         name=plat["name"], platform_id=plat["platform_id"])
            create_agreement(driver, party_id=plat["party_id"],
                             valid_from=today - timedelta(days=30),
                             valid_to=today + timedelta(days=365))
        for assoc in doc["associations"]:
            create_party(driver, party_id=assoc["party_id"], party_type="association",
                         name=assoc["name"], association_id=assoc["association_id"])


KEEP = ["Party", "Agreement", "Client", "Migration"]


def wipe_data(graph: Graph) -> None:
    """Delete everything the feeds wrote (parties, agreements and the schema stay)."""
    keep = " OR ".join(f"n:{label}" for label in KEEP)
    with graph.driver() as driver, driver.session(database="neo4j") as session:
        session.run(f"MATCH (n) WHERE NOT ({keep}) "
                    "CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 20000 ROWS").consume()


def ingest_party(source: str, doc: dict[str, list[dict[str, Any]]]) -> str:
    """Who supplies each feed: the city regulator, the first platform, the first association."""
    if source == "platform":
        return str(doc["platforms"][0]["party_id"])
    if source == "association":
        return str(doc["associations"][0]["party_id"])
    return str(doc["regulators"][0]["party_id"])
