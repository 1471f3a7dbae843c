"""Replaying a feed changes nothing, whatever its batches hold (issue #12, item 1).

Two records about one fact in one batch used to run in one ``UNWIND`` statement, where
Cypher's ``Eager`` made both compare with the pre-batch value: every replay flipped the
fact back and forth, wrote a Revision each time and could end every current address.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import neo4j

from tests.conftest import wipe
from tests.faults.fingerprint import INGEST_TIMES, fingerprint
from tests.faults.ingest_world import add_party, code, feed, person, run, subject


def one(graph: neo4j.Driver, query: str, **params: Any) -> Any:
    records, _, _ = graph.execute_query(query, **params)
    assert len(records) == 1, records
    return records[0]


def role(rid: str, n: int, who: int, kind: str = "legal_representative", day: int = 1,
         **extra: Any) -> dict[str, Any]:
    return {"record_type": "role", "record_id": rid, "uscc": code(n), "role": kind,
            "person_id": person(who), "person_name": f"测试人{who}",
            "stated_at": f"2025-01-{day:02d}", **extra}


def tangled_feed(path: Path) -> Path:
    """Every kind of same-key collision the writer has to order, each in one batch."""
    return feed(path, [
        subject(1, "s1", address="旧地址1号", status="active"),
        subject(2, "s2"),
        subject(1, "s3", day=2, address="新地址2号", status="abnormal"),  # same key as s1
        subject(2, "s2"),  # an exact duplicate line (a resend)
        role("r1", 3, 1, start_on="2019-01-01"),
        role("r2", 3, 2, day=2, start_on="2025-01-15"),  # a new legal rep of subject 3
        role("r3", 4, 5, "shareholder", share=20.68),
        role("r4", 4, 5, "shareholder", share=79.32),  # the demo registry's pair
        role("r5", 5, 6, "shareholder", person_phone="13800000001", share=10),
        role("r6", 6, 6, "shareholder", day=2, person_phone="13800000002", share=10),
    ])


def test_same_key_twice_in_one_batch_applies_in_file_order_and_replays_change_nothing(
        graph: neo4j.Driver, tmp_path: Path) -> None:
    add_party(graph)
    path = feed(tmp_path / "r.jsonl", [
        subject(1, "s1", address="旧地址1号", status="active"),
        subject(1, "s2", day=2, address="新地址2号", status="abnormal"),
        subject(2, "s3")])
    first = run(graph, path)
    assert (first.created, first.updated, first.unchanged) == (2, 1, 0)
    held = one(graph, "MATCH (s:Subject {uscc: $u}) RETURN s", u=code(1))["s"]
    assert (held["status"], held["src_record"]) == ("abnormal", "s2"), "the last one wins"
    old = one(graph, "MATCH (r:Revision {of: 'Subject'}) RETURN r")["r"]
    assert (old["status"], old["src_record"]) == ("active", "s1")
    places = graph.execute_query(
        "MATCH (:Subject {uscc: $u})-[l:LOCATED_AT]->(a) RETURN a.text AS t, l.end AS end",
        u=code(1)).records
    assert {(r["t"], r["end"]) for r in places} == {("旧地址1号", "2025-01-02"),
                                                   ("新地址2号", None)}
    once = fingerprint(graph)
    for _ in range(3):
        again = run(graph, path)
        assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
        assert fingerprint(graph) == once


def test_replays_of_any_feed_in_any_batch_size_equal_one_clean_ingest(
        graph: neo4j.Driver, tmp_path: Path) -> None:
    path = tangled_feed(tmp_path / "tangled.jsonl")
    clean: set[str] = set()
    for batch_size in (1000, 3, 1):
        wipe(graph)
        add_party(graph)
        run(graph, path, batch_size=batch_size)
        clean.add(fingerprint(graph, volatile=INGEST_TIMES).digest)
        once = fingerprint(graph)
        for _ in range(2):
            run(graph, path, batch_size=batch_size)
            assert fingerprint(graph) == once, f"replay changed the graph (batch {batch_size})"
    assert len(clean) == 1, "the graph must not depend on where the batches split"
    # One open legal representative (the newer one), the older one ended on its start.
    reps = graph.execute_query(
        "MATCH (p:Person)-[r:LEGAL_REP_OF]->(:Subject {uscc: $u}) "
        "RETURN p.name AS name, r.end AS end", u=code(3)).records
    assert {(r["name"], r["end"]) for r in reps} == {("测试人1", "2025-01-15"), ("测试人2", None)}
    assert one(graph, "MATCH (:Person)-[r:SHAREHOLDER_OF]->(:Subject {uscc: $u}) "
                      "RETURN r.share AS s", u=code(4))["s"] == 79.32
    phones = graph.execute_query(
        "MATCH (:Person {name: '测试人6'})-[l:REACHABLE_AT]->(p) RETURN p.masked AS m, "
        "l.end AS end").records
    assert sorted((r["m"][-4:], r["end"]) for r in phones) == [("0001", "2025-01-02"),
                                                               ("0002", None)]
    assert fingerprint(graph).revisions == 2  # s1 (by s3) and r3 (by r4): nothing else
