"""Tamper detection, who-read and tail on real log files."""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest

from hub.audit import journal
from hub.audit.log import AuditLog
from hub.audit.query import parse_since, tail, who_read
from hub.audit.record import AuditError, AuditRecord, sha256_hex
from hub.audit.verify import verify
from tests.integration.test_audit_log import sample, write_log


def lines_of(directory: Path) -> list[bytes]:
    return journal.log_file(directory).read_bytes().splitlines(keepends=True)


def rewrite(directory: Path, lines: list[bytes]) -> None:
    journal.log_file(directory).write_bytes(b"".join(lines))


@pytest.fixture
def log10(tmp_path: Path) -> Path:
    write_log(tmp_path, 10)
    return tmp_path


def test_edit_is_detected(log10: Path) -> None:
    lines = lines_of(log10)
    lines[4] = lines[4].replace(b"party-1", b"party-9")
    rewrite(log10, lines)
    report = verify(log10)
    assert not report.ok and report.bad_line == 5 and "edited" in (report.reason or "")
    assert report.records == 4


def test_edit_with_recomputed_hash_breaks_the_next_link(log10: Path) -> None:
    lines = lines_of(log10)
    data = orjson.loads(lines[4])
    data["party"] = "party-9"
    data["hash"] = sha256_hex(orjson.dumps({k: v for k, v in data.items() if k != "hash"},
                                           option=orjson.OPT_SORT_KEYS))
    lines[4] = orjson.dumps(data, option=orjson.OPT_SORT_KEYS) + b"\n"
    rewrite(log10, lines)
    report = verify(log10)
    assert not report.ok and report.bad_line == 6 and "prev" in (report.reason or "")


def test_delete_is_detected(log10: Path) -> None:
    lines = lines_of(log10)
    del lines[3]
    rewrite(log10, lines)
    report = verify(log10)
    assert not report.ok and report.bad_line == 4
    assert "seq 5 where 4 was expected" in (report.reason or "")
    assert "removed" in (report.reason or "")


def test_insert_is_detected(log10: Path) -> None:
    lines = lines_of(log10)
    lines.insert(6, lines[2])  # a replayed copy of an earlier record
    rewrite(log10, lines)
    report = verify(log10)
    assert not report.ok and report.bad_line == 7 and "inserted" in (report.reason or "")


def test_forged_insert_with_valid_hash_is_detected(log10: Path) -> None:
    lines = lines_of(log10)
    before = orjson.loads(lines[5])
    forged = AuditRecord.seal(sample(99), seq=7, time=before["time"], prev=before["hash"])
    lines.insert(6, forged.to_line())
    rewrite(log10, lines)
    report = verify(log10)
    assert not report.ok and report.bad_line == 8  # the real seq 7 no longer follows


def test_reorder_is_detected(log10: Path) -> None:
    lines = lines_of(log10)
    lines[2], lines[3] = lines[3], lines[2]
    rewrite(log10, lines)
    report = verify(log10)
    assert not report.ok and report.bad_line == 3
    assert "seq 4 where 3 was expected" in (report.reason or "")


def test_truncation_in_the_middle_is_detected(log10: Path) -> None:
    data = journal.log_file(log10).read_bytes()
    cut_from = data.index(b'"seq":4') - 40
    cut_to = data.index(b'"seq":6') + 10
    journal.log_file(log10).write_bytes(data[:cut_from] + data[cut_to:])
    report = verify(log10)
    assert not report.ok and report.bad_line == 4 and "not a valid record" in (report.reason or "")


def test_cut_off_end_is_caught_with_a_recorded_head(log10: Path) -> None:
    head = verify(log10)
    lines = lines_of(log10)
    rewrite(log10, lines[:7])
    assert verify(log10).ok  # a bare chain cannot see this...
    report = verify(log10, (head.head_seq, head.head_hash))
    assert not report.ok and "cut off the end" in (report.reason or "")  # ...an anchor can
    rewrite(log10, lines)
    assert verify(log10, (head.head_seq, head.head_hash)).ok
    assert verify(log10, (5, orjson.loads(lines[4])["hash"])).ok
    assert not verify(log10, (5, "f" * 64)).ok


def test_missing_log_is_a_friendly_error(tmp_path: Path) -> None:
    with pytest.raises(AuditError, match="no audit log"):
        verify(tmp_path / "nowhere")


def test_who_read_finds_exactly_the_records_listing_a_uscc(tmp_path: Path) -> None:
    target = "91330000MA27U8LX1A"

    async def run() -> list[int]:
        seqs = []
        async with await AuditLog.open(tmp_path) as log:
            for i in range(30):
                ids = (target, f"other-{i}") if i % 7 == 0 else (f"other-{i}",)
                record = await log.append(sample(i, ids))
                assert record is not None
                if i % 7 == 0:
                    seqs.append(record.seq)
            # A denial naming the subject is not a release of its data.
            await log.append(sample(99, (target,), outcome="denied", reason="out of scope"))
            # A prefix of the USCC is a different id.
            await log.append(sample(100, (target[:-1],)))
        return seqs

    expected = asyncio.run(run())
    found = list(who_read(tmp_path, target))
    assert [r.seq for r in found] == expected
    assert all(target in r.record_ids and r.outcome == "allowed" for r in found)
    assert list(who_read(tmp_path, target, datetime.now(UTC) + timedelta(days=1))) == []
    assert len(list(who_read(tmp_path, target, parse_since("2000-01-01")))) == len(expected)


def test_parse_since() -> None:
    assert parse_since("2025-01-31") == datetime(2025, 1, 31, tzinfo=UTC)
    assert parse_since("2025-01-31T08:00:00+08:00") == datetime(2025, 1, 31, tzinfo=UTC)
    with pytest.raises(AuditError, match="ISO-8601"):
        parse_since("yesterday")


def test_tail_reads_the_last_records(log10: Path) -> None:
    assert [r.seq for r in tail(log10, 3)] == [8, 9, 10]
    assert [r.seq for r in tail(log10, 50)] == list(range(1, 11))
    with journal.log_file(log10).open("ab") as handle:
        handle.write(b'{"torn')
    assert [r.seq for r in tail(log10, 1)] == [10]


def test_reverse_lines_across_chunk_boundaries(tmp_path: Path) -> None:
    path = tmp_path / "f"
    lines = [(b"x" * (i * 997 % 70000)) + str(i).encode() for i in range(60)]
    path.write_bytes(b"\n".join(lines) + b"\n")
    fd = os.open(path, os.O_RDONLY)
    try:
        assert list(journal.reverse_lines(fd)) == lines[::-1]
    finally:
        os.close(fd)
