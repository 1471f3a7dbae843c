"""Hashing and the canonical form of audit records (hub.audit.record)."""

from __future__ import annotations

import hashlib

import orjson
import pytest

from hub.audit.record import (
    GENESIS,
    AuditEntry,
    AuditRecord,
    canonical,
    hash_of_line,
    query_hash,
)

QH = query_hash("{ subject(uscc: $u) { name } }", {"u": "91330000MA27U8LX1A"})


def entry(**overrides: object) -> AuditEntry:
    fields: dict[str, object] = {"party": "regulator-zj", "client": "c-1",
                                 "purpose": "supervision", "operation": "subject",
                                 "query_hash": QH, "record_ids": ("91330000MA27U8LX1A",)}
    fields.update(overrides)
    return AuditEntry(**fields)  # type: ignore[arg-type]


def test_canonical_form_sorts_keys_and_is_compact() -> None:
    assert canonical({"b": 1, "a": [1, "é"], "c": None}) == '{"a":[1,"é"],"b":1,"c":null}'.encode()


def test_canonical_form_ignores_insertion_order() -> None:
    assert canonical({"x": 1, "y": {"q": 2, "p": 3}}) == canonical({"y": {"p": 3, "q": 2}, "x": 1})


def test_query_hash_covers_document_and_variables() -> None:
    doc = "query Q($u: String!) { subject(uscc: $u) { name } }"
    expected = hashlib.sha256(canonical({"query": doc, "variables": {"u": "X"}})).hexdigest()
    assert query_hash(doc, {"u": "X"}) == expected
    assert query_hash(doc, {"u": "Y"}) != expected
    assert query_hash(doc + " ", {"u": "X"}) != expected  # verbatim, not normalised
    assert query_hash(doc, None) == query_hash(doc, {})
    assert query_hash(doc, {"a": 1, "b": 2}) == query_hash(doc, {"b": 2, "a": 1})


def test_first_record_links_to_genesis_and_hash_covers_body() -> None:
    record = AuditRecord.seal(entry(), seq=1, time="2025-01-31T08:00:00.000001+00:00",
                              prev=GENESIS)
    assert record.prev == "0" * 64
    body = record.to_dict()
    del body["hash"]
    expected = hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()
    assert record.hash == expected
    assert hash_of_line(orjson.loads(record.to_line())) == record.hash


def test_line_round_trips() -> None:
    record = AuditRecord.seal(entry(outcome="denied", record_ids=(), reason="out of scope"),
                              seq=7, time="2025-01-31T08:00:00.000001+00:00", prev="a" * 64)
    line = record.to_line()
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    assert AuditRecord.from_dict(orjson.loads(line)) == record


def test_every_field_changes_the_hash() -> None:
    base = AuditRecord.seal(entry(), seq=1, time="2025-01-31T08:00:00.000001+00:00",
                            prev=GENESIS).to_dict()
    for name, value in [("seq", 2), ("party", "other"), ("record_ids", []),
                        ("outcome", "error"), ("reason", "x"), ("prev", "b" * 64),
                        ("time", "2025-01-31T08:00:00.000002+00:00")]:
        changed = {**base, name: value}
        assert hash_of_line(changed) != base["hash"], name
    assert hash_of_line({**base, "extra": 1}) != base["hash"]


def test_entry_validates_and_freezes() -> None:
    with pytest.raises(ValueError, match="outcome"):
        entry(outcome="maybe")
    with pytest.raises(ValueError, match="query_hash"):
        entry(query_hash="not-a-hash")
    with pytest.raises(TypeError, match="record_ids"):
        entry(record_ids="91330000MA27U8LX1A")
    listed = entry(record_ids=["a", "b"])
    assert listed.record_ids == ("a", "b")
    with pytest.raises(AttributeError):
        listed.party = "x"  # type: ignore[misc]


@pytest.mark.parametrize(("change", "message"), [
    ({"seq": 0}, "seq"), ({"seq": True}, "seq"), ({"party": 1}, "party"),
    ({"hash": "zz"}, "hash"), ({"record_ids": "x"}, "record_ids"),
    ({"outcome": "ok"}, "outcome"), ({"reason": 3}, "reason"), ({"extra": 1}, "unexpected"),
])
def test_from_dict_names_the_fault(change: dict[str, object], message: str) -> None:
    good = AuditRecord.seal(entry(), seq=1, time="t", prev=GENESIS).to_dict()
    with pytest.raises(ValueError, match=message):
        AuditRecord.from_dict({**good, **change})
    missing = dict(good)
    del missing["purpose"]
    with pytest.raises(ValueError, match="missing field"):
        AuditRecord.from_dict(missing)
