"""Step 2: ingestion per source — the hub's command against a raw-driver baseline.

The hub side runs ``python -m hub.cli ingest SOURCE FILE --party P --quiet`` as a child
and measures its wall time and peak RSS (``wait4`` rusage, cross-checked by /proc
polling). The baseline maps the same file through the same connectors *outside* the
timer, then sends the same batches (same size, same content hashes, same Cypher from
``hub.graph.ingest_cypher.statement``) through plain ``session.execute_write``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import neo4j

from bench.procs import Sampler
from bench.setup import Graph
from hub.settings import PROJECT_ROOT

BATCH = 5000


@dataclass
class Timed:
    name: str
    records: int
    seconds: float
    peak_rss: int = 0  # bytes
    polled_rss: int = 0
    map_seconds: float = 0.0  # baseline only: connector mapping, outside the timer
    returncode: int = 0
    cpu: float = 0.0  # child CPU seconds (user + system)

    @property
    def rate(self) -> float:
        return self.records / self.seconds if self.seconds else 0.0


def run_child(name: str, cmd: list[str], env: dict[str, str], records: int,
              log: Path) -> Timed:
    """Run ``cmd`` to completion; wall time, rusage peak RSS and CPU, polled RSS."""
    began = time.perf_counter()
    with open(log, "ab") as out:
        proc = subprocess.Popen(cmd, env=env, cwd=PROJECT_ROOT, stdout=out,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        with Sampler(proc.pid) as sampler:
            _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - began
    return Timed(name, records, seconds, peak_rss=usage.ru_maxrss * 1024,
                 polled_rss=sampler.peak, returncode=proc.returncode,
                 cpu=usage.ru_utime + usage.ru_stime)


def hub_ingest(source: str, path: Path, party: str, env: dict[str, str], records: int,
               log: Path) -> Timed:
    cmd = [sys.executable, "-m", "hub.cli", "ingest", source, str(path), "--party", party,
           "--quiet", "--no-rescore", "--rejects", str(log.parent / f"{source}.rejects.jsonl")]
    result = run_child(source, cmd, env, records, log)
    if result.returncode != 0:
        raise RuntimeError(f"hub ingest {source} failed (exit {result.returncode}); see {log}")
    return result


def raw_ingest(graph: Graph, source: str, path: Path, party: str, pii_key: bytes) -> Timed:
    """The same batches through plain ``execute_write`` (mapping not timed)."""
    from connectors import Reject, Row, connector_for
    from connectors.base import Context
    from connectors.reader import FeedReader
    from hub.graph import ingest_cypher
    from hub.graph.writer import group_rows

    connector = connector_for(source)
    reader = FeedReader(path, "utf-8", None)
    read, written, mapping = 0, 0.0, 0.0
    batch: list[Row] = []

    def write(session: neo4j.Session, rows: list[Row]) -> float:
        t0 = time.perf_counter()
        grouped = group_rows(rows)
        stamp = datetime.now(UTC).isoformat()

        def work(tx: neo4j.ManagedTransaction) -> None:
            for kind, data in grouped:
                tx.run(ingest_cypher.statement(kind), rows=data, party=party,
                       now=stamp).consume()

        t1 = time.perf_counter()
        session.execute_write(work)
        nonlocal mapping
        mapping += t1 - t0  # content hashing is part of the mapping side
        return time.perf_counter() - t1

    with graph.driver() as driver, driver.session(database="neo4j") as session:
        ctx = Context.now(pii_key)
        t_map = time.perf_counter()
        for line, item in reader:
            read += 1
            mapped = item if isinstance(item, Reject) else connector.map(item, line, ctx)
            if not isinstance(mapped, Reject):
                batch.append(mapped)
            if len(batch) >= BATCH:
                mapping += time.perf_counter() - t_map
                written += write(session, batch)
                batch = []
                t_map = time.perf_counter()
        mapping += time.perf_counter() - t_map
        if batch:
            written += write(session, batch)
    return Timed(source, read, written, map_seconds=mapping)


def rescore(env: dict[str, str], log: Path) -> Timed | None:
    """``hub credit rescore`` over every subject, if the command exists."""
    probe = subprocess.run([sys.executable, "-m", "hub.cli", "credit", "rescore", "--help"],
                           cwd=PROJECT_ROOT, env=env, capture_output=True, check=False)
    if probe.returncode != 0:
        return None
    result = run_child("credit rescore", [sys.executable, "-m", "hub.cli", "credit",
                                          "rescore", "--quiet"], env, 0, log)
    if result.returncode != 0:
        raise RuntimeError(f"hub credit rescore failed (exit {result.returncode}); see {log}")
    return result


def count_subjects(graph: Graph) -> dict[str, Any]:
    with graph.driver() as driver:
        records, _, _ = driver.execute_query(
            "MATCH (s:Subject) RETURN count(s) AS subjects, "
            "count(s.credit_class) AS scored", database_="neo4j")
        nodes, _, _ = driver.execute_query("MATCH (n) RETURN count(n) AS n",
                                           database_="neo4j")
        rels, _, _ = driver.execute_query("MATCH ()-[r]->() RETURN count(r) AS n",
                                          database_="neo4j")
    return {**dict(records[0]), "nodes": nodes[0]["n"], "relationships": rels[0]["n"]}
