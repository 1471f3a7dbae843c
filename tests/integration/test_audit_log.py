"""AuditLog on real files: durability contract, group commit, recovery, fail-closed."""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import re
import stat
from pathlib import Path

import orjson
import pytest

from hub.audit import journal
from hub.audit.log import AuditLog, audit_dir
from hub.audit.record import (
    GENESIS,
    AuditCorrupt,
    AuditEntry,
    AuditError,
    AuditRecord,
    AuditUnavailable,
    query_hash,
)
from hub.audit.verify import verify
from tests.conftest import make_settings


def sample(i: int, ids: tuple[str, ...] | None = None, **overrides: object) -> AuditEntry:
    fields: dict[str, object] = {
        "party": f"party-{i % 3}", "client": f"client-{i % 3}", "purpose": "risk-assessment",
        "operation": "subjects", "query_hash": query_hash("{ subjects { uscc } }", {"i": i}),
        "record_ids": ids if ids is not None else (f"9133000000000{i:05d}",),
    }
    fields.update(overrides)
    return AuditEntry(**fields)  # type: ignore[arg-type]


def write_log(directory: Path, count: int, concurrency: int = 1) -> list[AuditRecord]:
    """Append ``count`` sample records; returns them in seq order."""

    async def run() -> list[AuditRecord]:
        async with await AuditLog.open(directory) as log:
            out: list[AuditRecord] = []
            numbers = iter(range(count))

            async def worker() -> None:
                for i in numbers:
                    record = await log.append(sample(i))
                    assert record is not None
                    out.append(record)

            await asyncio.gather(*(worker() for _ in range(concurrency)))
            return sorted(out, key=lambda r: r.seq)

    return asyncio.run(run())


def read_lines(directory: Path) -> list[dict[str, object]]:
    return [orjson.loads(line) for line in journal.log_file(directory).read_bytes().splitlines()]


def test_append_then_verify_intact(tmp_path: Path) -> None:
    records = write_log(tmp_path, 20)
    assert [r.seq for r in records] == list(range(1, 21))
    assert records[0].prev == GENESIS
    assert all(b.prev == a.hash for a, b in itertools.pairwise(records))
    assert [line["hash"] for line in read_lines(tmp_path)] == [r.hash for r in records]
    report = verify(tmp_path)
    assert report.ok and report.records == 20 and report.head_hash == records[-1].hash


def test_file_is_private_and_time_is_utc_with_microseconds(tmp_path: Path) -> None:
    records = write_log(tmp_path / "new", 1)
    mode = stat.S_IMODE(journal.log_file(tmp_path / "new").stat().st_mode)
    assert mode == 0o600
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00", records[0].time)


def test_existing_wide_file_is_made_private(tmp_path: Path) -> None:
    path = journal.log_file(tmp_path)
    path.touch(mode=0o644)
    os.chmod(path, 0o644)
    write_log(tmp_path, 1)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_reopen_continues_the_chain(tmp_path: Path) -> None:
    first = write_log(tmp_path, 3)
    second = write_log(tmp_path, 2)
    assert second[0].seq == 4 and second[0].prev == first[-1].hash
    assert verify(tmp_path).records == 5


def test_group_commit_many_concurrent_appenders_linear_chain(tmp_path: Path) -> None:
    async def run() -> tuple[list[AuditRecord], int]:
        log = await AuditLog.open(tmp_path)
        results = await asyncio.gather(*(log.append(sample(i)) for i in range(500)))
        await log.close()
        return [r for r in results if r is not None], log.groups

    records, groups = asyncio.run(run())
    assert sorted(r.seq for r in records) == list(range(1, 501))  # no gaps, no repeats
    assert groups < 100, "concurrent appends should share fsyncs"
    assert {r.query_hash for r in records} == {sample(i).query_hash for i in range(500)}
    report = verify(tmp_path)
    assert report.ok and report.records == 500


def test_disabled_log_is_a_no_op(tmp_path: Path) -> None:
    settings = make_settings(audit_enabled=False, audit_dir=tmp_path / "audit")

    async def run() -> object:
        log = await AuditLog.from_settings(settings)
        assert not log.enabled
        result = await log.append(sample(1))
        await log.close()
        return result

    assert asyncio.run(run()) is None
    assert not (tmp_path / "audit").exists()


def test_audit_dir_defaults_under_state_dir(tmp_path: Path) -> None:
    assert audit_dir(make_settings(state_dir=tmp_path)) == tmp_path / "audit"
    assert audit_dir(make_settings(audit_dir=tmp_path / "x")) == tmp_path / "x"


def test_torn_last_line_is_removed_at_open(tmp_path: Path,
                                          caplog: pytest.LogCaptureFixture) -> None:
    records = write_log(tmp_path, 5)
    path = journal.log_file(tmp_path)
    intact = path.read_bytes()
    with path.open("ab") as handle:
        handle.write(b'{"client":"c","hash":"ab')  # a write cut short by a crash
    assert verify(tmp_path).torn_tail_bytes > 0
    with caplog.at_level(logging.WARNING, logger="hub.audit"):
        more = write_log(tmp_path, 1)
    assert "torn last line" in caplog.text
    assert path.read_bytes().startswith(intact)
    assert more[0].seq == 6 and more[0].prev == records[-1].hash
    report = verify(tmp_path)
    assert report.ok and report.records == 6 and report.torn_tail_bytes == 0


def test_torn_tail_without_any_complete_line(tmp_path: Path) -> None:
    journal.log_file(tmp_path).write_bytes(b'{"seq":1,"ti')
    records = write_log(tmp_path, 1)
    assert records[0].seq == 1 and records[0].prev == GENESIS
    assert verify(tmp_path).ok


def test_unparseable_complete_last_line_refuses_to_open(tmp_path: Path) -> None:
    write_log(tmp_path, 2)
    with journal.log_file(tmp_path).open("ab") as handle:
        handle.write(b"garbage\n")
    with pytest.raises(AuditCorrupt, match="last line"):
        write_log(tmp_path, 1)


def test_write_failure_fails_closed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_log(tmp_path, 2)

    def broken_sync(fd: int) -> None:
        raise OSError(5, "Input/output error")

    async def run() -> None:
        log = await AuditLog.open(tmp_path)
        monkeypatch.setattr(journal, "sync", broken_sync)
        with pytest.raises(AuditUnavailable, match="could not be written"):
            await log.append(sample(1))
        monkeypatch.undo()
        with pytest.raises(AuditUnavailable):  # stays closed: the kernel may have lost pages
            await log.append(sample(2))
        await log.close()

    asyncio.run(run())


def test_append_after_close_raises(tmp_path: Path) -> None:
    async def run() -> None:
        log = await AuditLog.open(tmp_path)
        await log.close()
        await log.close()  # idempotent
        with pytest.raises(AuditError, match="closed"):
            await log.append(sample(1))

    asyncio.run(run())


def test_close_flushes_queued_appends(tmp_path: Path) -> None:
    async def run() -> list[AuditRecord | None]:
        log = await AuditLog.open(tmp_path, group_window=0.05)
        tasks = [asyncio.create_task(log.append(sample(i))) for i in range(10)]
        await asyncio.sleep(0)  # let every task queue its entry
        await log.close()
        return await asyncio.gather(*tasks)

    results = asyncio.run(run())
    assert all(r is not None for r in results)
    assert verify(tmp_path).records == 10
