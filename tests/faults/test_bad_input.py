"""Bad input is rejected with its line and reason while valid neighbours land (issue #12,
item 7): each case used to crash the file, land garbled or overwrite silently."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import neo4j
import orjson
import pytest

from hub.errors import HubError
from tests.faults.ingest_world import add_party, code, feed, run, subject

HEADER = "record_type,record_id,uscc,name,kind,registered_on,stated_at\n"


def csv_line(n: int, rid: str, name: str | None = None) -> str:
    name = name or f"测试商贸{n}有限公司"
    return f"subject,{rid},{code(n)},{name},enterprise,2016-04-01,2025-01-01\n"


def rejects(summary: Any) -> list[tuple[int, str, str]]:
    assert summary.rejects_file is not None
    return [(r["line"], r["field"], r["reason"]) for r in
            map(orjson.loads, Path(summary.rejects_file).read_bytes().splitlines())]


def names(graph: neo4j.Driver) -> dict[str, str]:
    records, _, _ = graph.execute_query("MATCH (s:Subject) RETURN s.uscc AS u, s.name AS n")
    return {r["u"]: r["n"] for r in records}


@pytest.fixture
def parties(graph: neo4j.Driver) -> neo4j.Driver:
    return add_party(graph)


def test_an_oversized_csv_field_rejects_its_record_only(parties: neo4j.Driver,
                                                       tmp_path: Path) -> None:
    path = tmp_path / "registry.csv"
    path.write_text(HEADER + csv_line(1, "ok1") + csv_line(2, "huge", "名" * 140_000)
                    + csv_line(3, "ok2"), encoding="utf-8")
    summary = run(parties, path)
    assert (summary.read, summary.created, summary.rejected) == (3, 2, 1)
    [(line, field, reason)] = rejects(summary)
    assert (line, field) == (3, "(line)") and "longer than 131,072 characters" in reason
    assert set(names(parties)) == {code(1), code(3)}


def test_a_different_record_under_a_used_record_id_is_rejected(parties: neo4j.Driver,
                                                               tmp_path: Path) -> None:
    path = feed(tmp_path / "r.jsonl", [
        subject(1, "s1"),
        subject(1, "s1"),  # the same record resent: harmless
        subject(1, "s1", name="另一个名字有限公司"),  # a different record under s1
        subject(2, "s2"),
    ])
    summary = run(parties, path, batch_size=2)  # the reuse spans batches
    assert (summary.created, summary.unchanged, summary.rejected) == (2, 1, 1)
    assert rejects(summary) == [
        (3, "record_id", "record_id 's1' is already used on line 1 by a different record")]
    assert names(parties)[code(1)] == "测试商贸1有限公司"
    records, _, _ = parties.execute_query("MATCH (r:Revision) RETURN count(r) AS n")
    assert records[0]["n"] == 0, "nothing was overwritten"


def test_control_characters_are_rejected(parties: neo4j.Driver, tmp_path: Path) -> None:
    path = feed(tmp_path / "r.jsonl", [
        subject(1, "ok1"),
        subject(2, "nul", name="测试\u0000商贸有限公司"),
        subject(3, "bel", industry="零售\u0007"),
        subject(4, "id\u0000x"),
        subject(5, "ok2", name="测试\t商贸 有限公司"),  # whitespace folds to one space
    ])
    summary = run(parties, path)
    assert rejects(summary) == [
        (2, "name", "contains the control character U+0000"),
        (3, "industry", "contains the control character U+0007"),
        (4, "record_id", "contains the control character U+0000")]
    assert names(parties) == {code(1): "测试商贸1有限公司", code(5): "测试 商贸 有限公司"}
    # A raw NUL byte in a CSV field, too.
    csv_path = tmp_path / "registry.csv"
    csv_path.write_text(HEADER + csv_line(6, "nul", "测试\x00商贸") + csv_line(7, "ok3"),
                        encoding="utf-8")
    summary = run(parties, csv_path)
    assert rejects(summary) == [(2, "name", "contains the control character U+0000")]
    assert code(7) in names(parties) and code(6) not in names(parties)


def test_json_values_of_the_wrong_kind_are_rejected(parties: neo4j.Driver,
                                                    tmp_path: Path) -> None:
    path = feed(tmp_path / "r.jsonl", [
        subject(1, "obj", name={"zh": "测试"}),
        subject(2, "num", name=12345),
        subject(3, "list", industry=["零售"]),
        {**subject(4, "code"), "uscc": {"v": code(4)}},
        subject(5, "bool", status=True),
        {"record_type": "subject", "record_id": {"id": 1}},
        subject(6, "ok"),
        subject(7, 8),  # an integer record id has one exact text form: accepted
    ])
    summary = run(parties, path)
    assert rejects(summary) == [
        (1, "name", "expected text, got a JSON object"),
        (2, "name", "expected text, got a number"),
        (3, "industry", "expected text, got a list"),
        (4, "uscc", "expected text, got a JSON object"),
        (5, "status", "expected text, got true/false"),
        (6, "record_id", "expected text, got a JSON object")]
    assert set(names(parties)) == {code(6), code(7)}
    records, _, _ = parties.execute_query("MATCH (s:Subject {uscc: $u}) RETURN s.src_record "
                                          "AS r", u=code(7))
    assert records[0]["r"] == "8"


def test_a_uscc_of_zeros_is_rejected(parties: neo4j.Driver, tmp_path: Path) -> None:
    path = feed(tmp_path / "r.jsonl", [
        {**subject(1, "zero"), "uscc": "000000000000000000"}, subject(2, "ok")])
    summary = run(parties, path)
    [(line, field, reason)] = rejects(summary)
    assert (line, field) == (1, "uscc") and "registration authority" in reason
    assert set(names(parties)) == {code(2)}


def test_utf8_read_as_gb18030_is_refused_before_anything_lands(parties: neo4j.Driver,
                                                               tmp_path: Path) -> None:
    path = feed(tmp_path / "r.jsonl", [subject(1, "s1"), subject(2, "s2")])
    with pytest.raises(HubError, match="is UTF-8 text, not gb18030") as refused:
        run(parties, path, encoding="gb18030")
    assert "Drop --encoding" in (refused.value.suggestion or "")
    assert names(parties) == {}
    # An ASCII-only file reads the same in both encodings and is not refused.
    ascii_feed = feed(tmp_path / "a.jsonl", [subject(3, "s3", name="Chengdu Trading Co")])
    assert run(parties, ascii_feed, encoding="gb18030").created == 1
    # A real GB18030 file still reads (and its Chinese lands intact).
    gb = tmp_path / "gb.csv"
    gb.write_bytes((HEADER + csv_line(4, "g1")).encode("gb18030"))
    assert run(parties, gb, encoding="gb18030").created == 1
    assert names(parties)[code(4)] == "测试商贸4有限公司"
