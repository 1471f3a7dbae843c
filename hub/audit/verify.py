"""Check the whole chain, line by line, in constant memory.

For every line: it parses and has exactly the record's fields; its hash is the hash of
its content (else it was edited); its seq is one more than the line before (else a
record was removed, inserted or moved); its prev is the line before's hash (else the
same, or a line was forged). The first failure is reported with its line number.

What a bare hash chain cannot show is records cut off the *end*: the shorter file is
a valid chain. So the chain head is anchored in Neo4j at each group commit
(``hub.audit.anchor``); ``verify`` takes those anchors (and any head recorded by hand,
``--expect-head``) and fails if the file no longer holds an anchored record unchanged,
or ends before it: an anchor ahead of the file is a cut tail.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import orjson

from hub.audit.anchor import Anchor
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
    anchor_seq: int | None = None  # the newest anchored seq checked (None: no anchor)


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
           expect_head: tuple[int, str] | None = None,
           anchors: Sequence[Anchor] = ()) -> VerifyReport:
    """Recompute every hash and check every link; see the module docstring.

    ``expect_head`` is a (seq, hash) pair recorded earlier, ``anchors`` the heads
    anchored in Neo4j: the chain must still hold each of those records, unchanged,
    which also proves nothing up to it was cut off the end.
    """
    seq, prev, torn = 0, GENESIS, 0
    # seq → (hash, where that head was recorded), for the messages
    expected: dict[int, tuple[str, str]] = {}
    for a in anchors:
        expected.setdefault(a.seq, (a.hash, f"anchored in Neo4j for log {a.log!r} "
                                            f"at {a.anchored_at}"))
    if expect_head is not None and expect_head[0] != 0:
        expected[expect_head[0]] = (expect_head[1], "recorded earlier")
    newest = max((a.seq for a in anchors), default=None)

    def bad(number: int, reason: str) -> VerifyReport:
        return VerifyReport(False, seq, seq, prev, bad_line=number, reason=reason,
                            anchor_seq=newest)

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
        known = expected.get(record.seq)
        if known is not None and record.hash != known[0]:
            return bad(number, f"seq {record.seq} does not have the hash {known[1]}: "
                               "the record was replaced")
        seq, prev = record.seq, record.hash
    if expected and (last := max(expected)) > seq:
        return bad(seq + 1, f"the log ends at seq {seq} but seq {last} was "
                            f"{expected[last][1]}: records {seq + 1}–{last} were cut off "
                            "the end")
    return VerifyReport(True, seq, seq, prev, torn_tail_bytes=torn, anchor_seq=newest)
