"""Several processes on one log, and a writer killed with SIGKILL under load."""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from hub.audit.log import AuditLog
from hub.audit.query import tail
from hub.audit.verify import records, verify
from hub.settings import PROJECT_ROOT

# A child that appends from several tasks and prints "seq hash" the moment each append
# returns (i.e. once the record is acknowledged as durable). count < 0: forever.
APPENDER = '''
import asyncio, itertools, sys, time
from hub.audit import AuditEntry, AuditLog, query_hash

async def main(directory, party, count, concurrency, start_at):
    log = await AuditLog.open(directory)
    numbers = iter(range(count)) if count >= 0 else itertools.count()
    await asyncio.sleep(max(0.0, start_at - time.time()))

    async def worker():
        for i in numbers:
            entry = AuditEntry(party=party, client="c", purpose="p", operation="op",
                               query_hash=query_hash("q", {"i": i, "party": party}),
                               record_ids=(f"{party}-{i}",))
            record = await log.append(entry)
            sys.stdout.write(f"{record.seq} {record.hash}\\n")
            sys.stdout.flush()

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    await log.close()

directory, party, count, concurrency, start_at = sys.argv[1:]
asyncio.run(main(directory, party, int(count), int(concurrency), float(start_at)))
'''


def appender(tmp_path: Path, directory: Path, party: str, count: int, concurrency: int,
             start_at: float) -> subprocess.Popen[str]:
    script = tmp_path / "appender.py"
    script.write_text(APPENDER)
    return subprocess.Popen(
        [sys.executable, str(script), str(directory), party, str(count), str(concurrency),
         str(start_at)],
        cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def acked(output: str) -> dict[int, str]:
    pairs = (line.split() for line in output.splitlines() if line.strip())
    return {int(seq): digest for seq, digest in pairs}


def test_two_processes_keep_one_linear_chain(tmp_path: Path) -> None:
    directory = tmp_path / "audit"
    start_at = time.time() + 1.5  # both interpreters are up by then
    children = [appender(tmp_path, directory, party, 400, 4, start_at)
                for party in ("alpha", "beta")]
    outputs = [child.communicate(timeout=120) for child in children]
    for child, (_, err) in zip(children, outputs, strict=True):
        assert child.returncode == 0, err
    report = verify(directory)
    assert report.ok, report
    assert report.records == 800
    acks = [acked(out) for out, _ in outputs]
    assert len(acks[0]) == len(acks[1]) == 400
    assert set(acks[0]) | set(acks[1]) == set(range(1, 801))  # disjoint and gap-free
    in_file = {r.seq: r for r in records(directory)}
    for ack in acks:
        assert all(in_file[seq].hash == digest for seq, digest in ack.items())
    parties = [r.party for r in in_file.values()]
    switches = sum(a != b for a, b in itertools.pairwise(parties))
    assert switches >= 2, "the two writers should have interleaved"


def test_kill_under_load_loses_no_acknowledged_record(tmp_path: Path) -> None:
    directory = tmp_path / "audit"
    child = appender(tmp_path, directory, "victim", -1, 16, 0.0)
    assert child.stdout is not None
    lines: list[str] = []
    while len(lines) < 500:
        line = child.stdout.readline()
        assert line, f"the appender stopped early: {child.communicate()[1]}"
        lines.append(line)
    os.kill(child.pid, signal.SIGKILL)  # mid-way: it is appending as fast as it can
    rest, _ = child.communicate(timeout=30)
    assert child.returncode == -signal.SIGKILL
    acks = acked("".join(lines) + rest)  # every acknowledgement printed before the kill
    assert len(acks) >= 500

    # Reopening recovers (drops a torn line, if the kill left one); then everything
    # acknowledged must be there, unchanged, in a chain that verifies.
    asyncio.run(_reopen(directory))
    report = verify(directory)
    assert report.ok, report
    assert report.torn_tail_bytes == 0
    assert report.records >= max(acks)
    in_file = {r.seq: r.hash for r in records(directory)}
    missing = [seq for seq, digest in acks.items() if in_file.get(seq) != digest]
    assert missing == []
    assert [r.seq for r in tail(directory, 1)] == [report.records]


async def _reopen(directory: Path) -> None:
    log = await AuditLog.open(directory)
    await log.close()
