"""The chain head anchored in Neo4j: a cut tail is caught without ``--expect-head``."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import neo4j

from hub.audit import anchor, journal
from hub.audit.log import AnchorTarget, AuditLog
from hub.audit.verify import verify
from hub.graph.driver import Connection, async_driver
from hub.settings import PROJECT_ROOT
from tests.conftest import free_port
from tests.integration.test_audit_log import sample

LOG_ID = "test-replica"


def anchored_log(conn: Connection, directory: Path, count: int,
                 uri: str | None = None) -> tuple[int, float]:
    """Append ``count`` records with anchoring on (to ``uri`` if given); returns the seq
    anchored when the log closed and the slowest append in seconds."""

    async def run() -> tuple[int, float]:
        async with async_driver(Connection(uri or conn.uri, conn.user, conn.password,
                                           conn.database, conn.local)) as driver:
            log = await AuditLog.open(directory,
                                      anchor=AnchorTarget(driver, conn.database, LOG_ID))
            slowest = 0.0
            for i in range(count):
                started = time.perf_counter()
                await log.append(sample(i))
                slowest = max(slowest, time.perf_counter() - started)
            assert log.anchorer is not None
            await log.close()
            return log.anchorer.anchored, slowest

    return asyncio.run(run())


def anchors_of(graph: neo4j.Driver, conn: Connection, directory: Path) -> list[anchor.Anchor]:
    return anchor.read(graph, conn.database, chain=anchor.first_hash(journal.log_file(directory)),
                       log_id=LOG_ID)


def dead_uri() -> str:
    """A loopback address nobody listens on: a database that is down."""
    return f"bolt://127.0.0.1:{free_port()}"


def cut(directory: Path, keep: int) -> None:
    path = journal.log_file(directory)
    path.write_bytes(b"".join(path.read_bytes().splitlines(keepends=True)[:keep]))


def test_each_commit_anchors_the_head(graph: neo4j.Driver, neo4j_conn: Connection,
                                      tmp_path: Path) -> None:
    anchored, _ = anchored_log(neo4j_conn, tmp_path, 12)
    assert anchored == 12
    [found] = anchors_of(graph, neo4j_conn, tmp_path)
    report = verify(tmp_path, anchors=[found])
    assert (report.ok, found.seq, found.hash, found.log) == (True, 12, report.head_hash, LOG_ID)


def test_a_cut_tail_is_caught_by_the_anchor(graph: neo4j.Driver, neo4j_conn: Connection,
                                            tmp_path: Path) -> None:
    anchored_log(neo4j_conn, tmp_path, 10)
    cut(tmp_path, 7)
    report = verify(tmp_path, anchors=anchors_of(graph, neo4j_conn, tmp_path))
    assert not report.ok
    assert report.reason is not None
    assert "the log ends at seq 7 but seq 10 was anchored in Neo4j" in report.reason
    assert "records 8–10 were cut off the end" in report.reason


def test_a_replaced_anchored_record_is_caught(graph: neo4j.Driver, neo4j_conn: Connection,
                                              tmp_path: Path) -> None:
    anchored_log(neo4j_conn, tmp_path, 5)
    found = anchors_of(graph, neo4j_conn, tmp_path)
    # Forge a new chain tail: drop the last record and re-seal a different one in its place.
    cut(tmp_path, 4)

    async def append_other() -> None:
        async with await AuditLog.open(tmp_path) as log:
            await log.append(sample(99))

    asyncio.run(append_other())
    report = verify(tmp_path, anchors=found)
    assert not report.ok and report.bad_line == 5
    assert "does not have the hash anchored in Neo4j" in (report.reason or "")


def test_the_log_commits_while_neo4j_is_down(tmp_path: Path, neo4j_conn: Connection) -> None:
    """Anchoring to a database that does not answer costs the appends nothing."""
    dead = dead_uri()
    anchored, slowest = anchored_log(neo4j_conn, tmp_path, 20, uri=dead)
    assert anchored == 0
    report = verify(tmp_path)
    assert report.ok and report.records == 20
    assert slowest < 2.0, f"an append waited {slowest:.2f}s on the anchor"


def test_the_anchor_catches_up_after_an_outage(graph: neo4j.Driver, neo4j_conn: Connection,
                                               tmp_path: Path) -> None:
    """Records committed while Neo4j was unreachable are anchored by the next commit."""
    dead = dead_uri()
    anchored_log(neo4j_conn, tmp_path, 6, uri=dead)
    assert anchors_of(graph, neo4j_conn, tmp_path) == []
    anchored, _ = anchored_log(neo4j_conn, tmp_path, 1)  # the database is back
    assert anchored == 7
    assert [a.seq for a in anchors_of(graph, neo4j_conn, tmp_path)] == [7]


def audit_cli(conn: Connection, directory: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEO4J_", "HUB_"))}
    env.update({"HUB_AUDIT_DIR": str(directory), "NEO4J_URI": conn.uri,
                "NEO4J_USER": conn.user, "NEO4J_PASSWORD": conn.password,
                "NEO4J_DATABASE": conn.database, "HUB_AUDIT_LOG_ID": LOG_ID})
    return subprocess.run([sys.executable, "-m", "hub.cli", "audit", "verify", *args],
                          env=env, cwd=PROJECT_ROOT, capture_output=True, text=True,
                          timeout=120, check=False)


def test_hub_audit_verify_says_what_the_anchor_shows(graph: neo4j.Driver,
                                                     neo4j_conn: Connection,
                                                     tmp_path: Path) -> None:
    anchored_log(neo4j_conn, tmp_path, 8)
    intact = audit_cli(neo4j_conn, tmp_path)
    assert intact.returncode == 0, intact.stdout + intact.stderr
    assert "anchor 8 in Neo4j: the file holds it" in intact.stdout
    cut(tmp_path, 5)
    truncated = audit_cli(neo4j_conn, tmp_path)
    assert truncated.returncode == 1
    assert "chain broken at line 6" in truncated.stdout
    assert "records 6–8 were cut off the end" in truncated.stdout
    # An emptied log is caught through the log id.
    cut(tmp_path, 0)
    emptied = audit_cli(neo4j_conn, tmp_path)
    assert emptied.returncode == 1 and "records 1–8 were cut off" in emptied.stdout
    # Without the database, verify still checks the chain and says what it could not.
    wipe = graph.execute_query("MATCH (a:AuditAnchor) DELETE a")
    assert wipe.summary.counters.nodes_deleted == 1
    lone = audit_cli(neo4j_conn, tmp_path, "--require-anchor")
    assert lone.returncode == 1 and "anchor not checked" in lone.stderr
