"""group_rows: same-key rows of one batch go to successive statements, in file order."""

from __future__ import annotations

from typing import Any

from connectors.base import Row
from hub.graph.writer import content_hash, group_rows


def row(kind: str, key: str, record: str, **data: Any) -> Row:
    return Row(kind, {"key": key, "props": data.pop("props", {}), "record": record,
                      "stated": "2025-01-01", **data})


def test_same_key_rows_go_to_successive_waves_in_file_order() -> None:
    waves = group_rows([
        row("subject", "A", "r1", props={"name": "one"}),
        row("subject", "B", "r2"),
        row("subject", "A", "r3", props={"name": "two"}),
        row("platform", "P", "r4"),
        row("subject", "A", "r5", props={"name": "three"}),
        row("subject", "C", "r6"),
    ])
    assert [(kind, [d["record"] for d in data]) for kind, data in waves] == [
        ("platform", ["r4"]),
        ("subject", ["r1", "r2", "r6"]),
        ("subject", ["r3"]),
        ("subject", ["r5"]),
    ]


def test_a_row_never_overtakes_an_earlier_claim() -> None:
    # r3 shares nothing with r2 but must not land before r1 either: it shares r1's key.
    waves = group_rows([row("branch", "A", "r1"), row("branch", "A", "r2"),
                        row("branch", "B", "r3"), row("branch", "A", "r4"),
                        row("branch", "B", "r5")])
    assert [[d["record"] for d in data] for _, data in waves] == [
        ["r1", "r3"], ["r2", "r5"], ["r4"]]


def test_legal_representatives_of_one_subject_and_one_persons_phones_are_serialised() -> None:
    def rep(key: str, record: str, subject: str, who: str, phone: bool) -> Row:
        return row("role:legal_representative:person", key, record, uscc=subject,
                   person={"key": who}, phone={"key": "x"} if phone else None)

    waves = group_rows([rep("p1>S", "r1", "S", "p1", False), rep("p2>S", "r2", "S", "p2", False),
                        rep("p3>T", "r3", "T", "p3", True), rep("p3>U", "r4", "U", "p3", True),
                        rep("p4>V", "r5", "V", "p4", False)])
    assert [[d["record"] for d in data] for _, data in waves] == [["r1", "r3", "r5"],
                                                                 ["r2", "r4"]]


def test_content_hash_ignores_provenance() -> None:
    waves = group_rows([row("subject", "A", "r1", props={"n": 1})])
    data = waves[0][1][0]
    assert data["h"] == content_hash({**data, "record": "other", "stated": "2020-01-01"})
    assert data["h"] != content_hash({**data, "props": {"n": 2}})
