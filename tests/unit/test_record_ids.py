"""RecordIds: a file's record ids, refusing a second, different record under one id."""

from __future__ import annotations

from connectors.record_ids import RecordIds


def test_a_different_record_under_a_used_id_names_the_first_line() -> None:
    ids = RecordIds()
    assert ids.claim("r1", b"one", 1) is None
    assert ids.claim("r2", b"two", 2) is None
    assert ids.claim("r1", b"one", 3) is None, "the same record resent is harmless"
    assert ids.claim("r1", b"changed", 4) == 1
    assert ids.claim("r2", b"changed", 9) == 2
    assert len(ids) == 2


def test_the_table_grows_and_keeps_every_id() -> None:
    ids = RecordIds(capacity=4)
    for n in range(5000):
        assert ids.claim(f"id-{n}", str(n).encode(), n + 1) is None
    assert len(ids) == 5000
    assert all(ids.claim(f"id-{n}", b"other", 0) == n + 1 for n in range(0, 5000, 7))
    assert all(ids.claim(f"id-{n}", str(n).encode(), 0) is None for n in range(0, 5000, 3))
