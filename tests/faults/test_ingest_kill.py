"""``hub ingest`` killed (SIGKILL, at exact points) and resumed (issue #12, items 1 and 2).

The process kills itself through the test-only ``HUB_INGEST_KILL_AT=point:batch``:
``after_commit`` (written, not yet checkpointed — as a Neo4j crash between commit and
checkpoint would leave it), ``after_checkpoint`` (before the batch's re-score) and
``after_rescore`` (before its owed re-scores are cleared).
"""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import neo4j
import pytest

from hub.graph.driver import Connection
from tests.conftest import wipe
from tests.faults.fingerprint import INGEST_TIMES, fingerprint
from tests.faults.ingest_world import add_party, code, feed, hub_ingest, run, subject

SUBJECTS = 25
BATCH = "10"  # batches of 10, 10 and 5: batch 3 is the last


def registry(path: Path) -> Path:
    """Subjects, each later restated with a new address; two in the same batch."""
    records: list[dict[str, Any]] = []
    for n in range(1, SUBJECTS + 1):
        records.append(subject(n, f"s{n}", address=f"旧地址{n}号"))
        if n in (3, 12, 21):  # a restatement in the same batch ...
            records.append(subject(n, f"s{n}b", day=2, address=f"新地址{n}号"))
    records.append(subject(1, "s1c", day=3, address="新地址1号"))  # ... and in another one
    return feed(path, records)


def killed_then_resumed(conn: Connection, tmp_path: Path, path: Path, kill_at: str,
                        *args: str) -> None:
    state = tmp_path / "state"
    killed = hub_ingest(conn, state, path, "--batch-size", BATCH, *args, kill_at=kill_at)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    # Killed before its first checkpoint, a run starts over (and re-writes batch 1).
    checkpointed = kill_at != "after_commit:1"
    assert any((state / "ingest").glob("*.json")) == checkpointed
    resumed = hub_ingest(conn, state, path, "--batch-size", BATCH, *args)
    assert resumed.returncode == 0, resumed.stderr
    assert ("resumed after line" in resumed.stderr) == checkpointed
    assert not any((state / "ingest").glob("*.json"))


@pytest.mark.parametrize("kill_at", ["after_commit:2", "after_commit:3"])
def test_resume_after_a_kill_at_any_moment_equals_one_clean_ingest(
        graph: neo4j.Driver, neo4j_conn: Connection, tmp_path: Path, kill_at: str) -> None:
    path = registry(tmp_path / "registry.jsonl")
    add_party(graph)
    run(graph, path, batch_size=int(BATCH))
    clean = fingerprint(graph, volatile=INGEST_TIMES)
    assert clean.revisions == 4

    wipe(graph)
    add_party(graph)
    killed_then_resumed(neo4j_conn, tmp_path, path, kill_at, "--no-rescore")
    assert fingerprint(graph, volatile=INGEST_TIMES) == clean
    settled = fingerprint(graph)
    run(graph, path, batch_size=int(BATCH))
    assert fingerprint(graph) == settled, "a replay after the resume changed the graph"


def assessed(graph: neo4j.Driver) -> dict[str, int]:
    records, _, _ = graph.execute_query(
        "MATCH (s:Subject) RETURN s.uscc AS uscc, "
        "COUNT { (:CreditAssessment {current: true})-[:ASSESSES]->(s) } AS current")
    return {r["uscc"]: r["current"] for r in records}


@pytest.mark.parametrize("kill_at", ["after_checkpoint:1", "after_rescore:1", "after_commit:2"])
def test_every_owed_rescore_survives_a_kill(graph: neo4j.Driver, neo4j_conn: Connection,
                                            tmp_path: Path, kill_at: str) -> None:
    path = registry(tmp_path / "registry.jsonl")
    add_party(graph)
    killed_then_resumed(neo4j_conn, tmp_path, path, kill_at)
    everyone = {code(n): 1 for n in range(1, SUBJECTS + 1)}
    assert assessed(graph) == everyone, "each subject has exactly one current assessment"
    # Re-scores are not doubled either: one assessment per subject, none superseded.
    records, _, _ = graph.execute_query("MATCH (c:CreditAssessment) RETURN count(c) AS n")
    assert records[0]["n"] == SUBJECTS
