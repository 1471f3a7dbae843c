"""Check the whole chain, line by line, in constant memory.

For every line: it parses and has exactly the record's fields; its hash is the hash of
its content (else it was edited); its seq is one more than the line before (else a
record was removed, inserted or moved); its prev is the line before's hash (else the
same, or a line was forged). The first failure is reported with its line number.

What a bare hash chain cannot show is records cut off the *end*: the shorter file is
a valid chain. Record the head (``head_seq``/``head_hash`` in the report, printed by
``hub audit verify``) somewhere else from time to time, and pass it back with
``--expect-head`` to prove nothing after it was removed.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson

from hub.audit.journal import log_file
from hub.audit.record import GENESIS, AuditError, AuditRecord, hash_of_line


@dataclass(frozen=True, slots=True)
class VerifyReport:
    """The verdict. ``records`` counts the lines that verified before any failure."""

    ok: bool
    records: int
    head_seq: int
    head_hash: str
    bad_line: int | None = None
    reason: str | None = None
    torn_tail_bytes: int = 0  # an interrupted last write, removed when the log next opens


def open_log(directory: str | os.PathLike[str]) -> Path:
    """The log file in ``directory``, or a friendly error if there is none."""
    path = log_file(directory)
    if not path.is_file():
        raise AuditError(f"no audit log at {path}",
                         "check HUB_AUDIT_DIR (default: <HUB_STATE_DIR>/audit)")
    return path


def lines(path: Path) -> Iterator[tuple[int, bytes]]:
    """(line number, raw line) pairs, streamed; the last may lack its newline."""
    with path.open("rb") as handle:
        yield from enumerate(handle, start=1)


def records(directory: str | os.PathLike[str]) -> Iterator[AuditRecord]:
    """Every complete record in file order, streamed, shape-checked (not chain-checked)."""
    for number, raw in lines(open_log(directory)):
        if not raw.endswith(b"\n"):
            return  # a torn tail: never acknowledged
        try:
            yield AuditRecord.from_dict(orjson.loads(raw))
        except (orjson.JSONDecodeError, ValueError, TypeError) as exc:
            raise AuditError(f"line {number} of the audit log is not a record: {exc}",
                             "run `hub audit verify`") from exc


def verify(directory: str | os.PathLike[str],
           expect_head: tuple[int, str] | None = None) -> VerifyReport:
    """Recompute every hash and check every link; see the module docstring.

    ``expect_head`` is a (seq, hash) pair recorded earlier: the chain must still hold
    that record, unchanged, which also proves nothing up to it was cut off the end.
    """
    seq, prev, torn = 0, GENESIS, 0

    def bad(number: int, reason: str) -> VerifyReport:
        return VerifyReport(False, seq, seq, prev, bad_line=number, reason=reason)

    for number, raw in lines(open_log(directory)):
        if not raw.endswith(b"\n"):
            torn = len(raw)  # the last line: an interrupted write, never acknowledged
            break
        try:
            data = orjson.loads(raw)
            if not isinstance(data, dict):
                raise ValueError("not a JSON object")
            record = AuditRecord.from_dict(data)
        except (orjson.JSONDecodeError, ValueError, TypeError) as exc:
            return bad(number, f"not a valid record ({exc})")
        if hash_of_line(data) != record.hash:
            return bad(number, "hash does not match the content: the record was edited")
        if record.seq != seq + 1:
            what = "missing (removed)" if record.seq > seq + 1 else "inserted or out of order"
            return bad(number, f"seq {record.seq} where {seq + 1} was expected: "
                               f"a record is {what}")
        if record.prev != prev:
            return bad(number, "prev does not match the hash of the record before: "
                               "a record was removed, inserted or replaced")
        if expect_head is not None and record.seq == expect_head[0] != 0 \
                and record.hash != expect_head[1]:
            return bad(number, f"seq {record.seq} does not have the hash recorded for it")
        seq, prev = record.seq, record.hash
    if expect_head is not None and seq < expect_head[0]:
        return bad(seq + 1, f"the log ends at seq {seq} but seq {expect_head[0]} was "
                            "recorded earlier: records were cut off the end")
    return VerifyReport(True, seq, seq, prev, torn_tail_bytes=torn)
