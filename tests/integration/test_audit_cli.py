"""``hub audit`` through the real entry point: exit codes and messages."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import orjson

from hub.audit import journal
from hub.settings import PROJECT_ROOT
from tests.integration.test_audit_log import sample, write_log


def audit(*args: str, directory: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEO4J_", "HUB_"))}
    env["HUB_AUDIT_DIR"] = str(directory)
    return subprocess.run([sys.executable, "-m", "hub.cli", "audit", *args], env=env,
                          cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120,
                          check=False)


def test_verify_intact_and_broken(tmp_path: Path) -> None:
    write_log(tmp_path, 12)
    ok = audit("verify", directory=tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert "12 records, chain intact" in ok.stdout
    head = ok.stdout.split("head ")[1].strip()
    assert audit("verify", "--expect-head", head, directory=tmp_path).returncode == 0

    lines = journal.log_file(tmp_path).read_bytes().splitlines(keepends=True)
    journal.log_file(tmp_path).write_bytes(b"".join(lines[:6] + lines[7:]))
    broken = audit("verify", directory=tmp_path)
    assert broken.returncode == 1
    assert "chain broken at line 7" in broken.stdout
    assert "a record is missing (removed)" in broken.stdout

    journal.log_file(tmp_path).write_bytes(b"".join(lines[:6]))
    cut = audit("verify", "--expect-head", head, directory=tmp_path)
    assert cut.returncode == 1 and "cut off the end" in cut.stdout


def test_verify_reports_a_torn_tail_without_failing(tmp_path: Path) -> None:
    write_log(tmp_path, 3)
    with journal.log_file(tmp_path).open("ab") as handle:
        handle.write(b'{"partial')
    result = audit("verify", directory=tmp_path)
    assert result.returncode == 0
    assert "3 records, chain intact" in result.stdout
    assert "torn last line" in result.stderr


def test_missing_log_and_bad_arguments_exit_1_with_a_hint(tmp_path: Path) -> None:
    result = audit("verify", directory=tmp_path / "none")
    assert result.returncode == 1
    assert "no audit log" in result.stderr and "hint:" in result.stderr
    write_log(tmp_path, 1)
    bad_head = audit("verify", "--expect-head", "nonsense", directory=tmp_path)
    assert bad_head.returncode == 1 and "SEQ:HASH" in bad_head.stderr
    bad_since = audit("who-read", "X", "--since", "last week", directory=tmp_path)
    assert bad_since.returncode == 1 and "ISO-8601" in bad_since.stderr


def test_who_read_and_tail(tmp_path: Path) -> None:
    records = write_log(tmp_path, 5)
    uscc = records[2].record_ids[0]
    result = audit("who-read", uscc, directory=tmp_path)
    assert result.returncode == 0, result.stderr
    rows = [line.split("\t") for line in result.stdout.splitlines()]
    r = records[2]
    assert rows == [[r.time, r.party, r.client, r.purpose, r.operation]]
    assert "1 record(s) released" in result.stderr

    later = audit("who-read", uscc, "--since", "2999-01-01", directory=tmp_path)
    assert later.returncode == 0 and later.stdout == ""

    as_json = audit("who-read", uscc, "--json", directory=tmp_path)
    assert orjson.loads(as_json.stdout)["hash"] == r.hash

    tail = audit("tail", "-n", "2", directory=tmp_path)
    assert tail.returncode == 0
    assert [line.split("\t")[0] for line in tail.stdout.splitlines()] == ["4", "5"]
    assert sample(0).party in audit("tail", directory=tmp_path).stdout


def test_bench_runs_in_a_scratch_directory(tmp_path: Path) -> None:
    result = audit("bench", "-c", "1", "-c", "8", "--count", "50", "--dir", str(tmp_path),
                   directory=tmp_path / "real")
    assert result.returncode == 0, result.stderr
    assert "concurrency    1" in result.stdout and "concurrency    8" in result.stdout
    assert list(tmp_path.iterdir()) == []  # scratch removed, the real log untouched


def test_every_replica_chain_is_verified_and_read(tmp_path: Path) -> None:
    """One chain per replica: verify checks each --dir, who-read merges them by time."""
    first, second = tmp_path / "hub-1", tmp_path / "hub-2"
    write_log(first, 3)
    write_log(second, 6)
    both = ["--dir", str(first), "--dir", str(second)]
    ok = audit("verify", *both, directory=first)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "3 records, chain intact" in ok.stdout and "6 records, chain intact" in ok.stdout

    code = "913300000000000000"  # released once in each chain (sample 0)
    merged = audit("who-read", code, *both, directory=first)
    assert merged.returncode == 0, merged.stderr
    rows = [line.split("\t") for line in merged.stdout.splitlines() if line]
    assert len(rows) == 2 and [r[0] for r in rows] == sorted(r[0] for r in rows)
    assert "2 record(s) released" in merged.stderr
    alone = audit("who-read", code, "--dir", str(first), directory=first)
    assert "1 record(s) released" in alone.stderr

    lines = journal.log_file(second).read_bytes().splitlines(keepends=True)
    journal.log_file(second).write_bytes(b"".join(lines[:2] + lines[3:]))
    broken = audit("verify", *both, directory=first)
    assert broken.returncode == 1
    assert "3 records, chain intact" in broken.stdout  # the good chain is still reported
    assert "1 of 2 chains failed" in broken.stdout
