"""Several processes on one log, and a writer killed with SIGKILL under load."""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import subprocess
import sys
from pathlib import Path

from hub.audit.log import AuditLog
from hub.audit.query import tail
from hub.audit.verify import records, verify
from hub.settings import PROJECT_ROOT
from tests.conftest import wait_until

# A child that appends from several tasks and prints "seq hash" the moment each append
# returns (i.e. once the record is acknowledged as durable). count < 0: forever.
APPENDER = '''
import asyncio, itertools, sys, time
from pathlib import Path
from hub.audit import AuditEntry, AuditLog, query_hash

async def main(directory, party, count, concurrency, gate):
    log = await AuditLog.open(directory)
    numbers = iter(range(count)) if count >= 0 else itertools.count()
    if gate:  # say we are ready, then wait for the go (a condition, not a clock)
        Path(gate, party).touch()
        deadline = time.monotonic() + 300
        while not Path(gate, "go").exists() and time.monotonic() < deadline:
            await asyncio.sleep(0.005)

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

directory, party, count, concurrency, gate = sys.argv[1:]
asyncio.run(main(directory, party, int(count), int(concurrency), gate))
'''


def appender(tmp_path: Path, directory: Path, party: str, count: int, concurrency: int,
             gate: Path | None) -> subprocess.Popen[str]:
    """An appending process; with ``gate`` it starts once ``gate/go`` exists."""
    script = tmp_path / "appender.py"
    script.write_text(APPENDER)
    return subprocess.Popen(
        [sys.executable, str(script), str(directory), party, str(count), str(concurrency),
         str(gate or "")],
        cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def acked(output: str) -> dict[int, str]:
    pairs = (line.split() for line in output.splitlines() if line.strip())
    return {int(seq): digest for seq, digest in pairs}


def test_two_processes_keep_one_linear_chain(tmp_path: Path) -> None:
    directory = tmp_path / "audit"
    gate = tmp_path / "gate"
    gate.mkdir()
    parties = ("alpha", "beta")
    children = [appender(tmp_path, directory, party, 400, 4, gate) for party in parties]

    def both_ready() -> bool:
        assert all(c.poll() is None for c in children), \
            [c.communicate() for c in children if c.poll() is not None]
        return all((gate / party).exists() for party in parties)

    # interpreters start slowly on a loaded machine
    wait_until(both_ready, 300, "both appenders to open the log", every=0.01)
    (gate / "go").touch()  # both are up with the log open: start together
    outputs = [child.communicate(timeout=300) for child in children]
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
    writers = [r.party for r in in_file.values()]
    switches = sum(a != b for a, b in itertools.pairwise(writers))
    assert switches >= 2, "the two writers should have interleaved"


def test_kill_under_load_loses_no_acknowledged_record(tmp_path: Path) -> None:
    directory = tmp_path / "audit"
    child = appender(tmp_path, directory, "victim", -1, 16, None)
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
