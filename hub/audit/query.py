"""Questions asked of the log: who received a subject's data, and what happened last.

``who_read`` serves a subject's right to know which parties received its data: it
streams the file forwards in constant memory. ``tail``
reads backwards from the end, so its cost depends on ``n``, not on the log's size.
"""

from __future__ import annotations

import heapq
import os
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime

import orjson

from hub.audit.journal import reverse_lines
from hub.audit.record import AuditError, AuditRecord
from hub.audit.verify import open_log, records


def parse_since(text: str) -> datetime:
    """A date (``2025-01-31``, midnight UTC) or an ISO-8601 time (naive means UTC)."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise AuditError(f"cannot read {text!r} as a date or time",
                         "use ISO-8601, e.g. 2025-01-31 or 2025-01-31T08:00:00+08:00") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def who_read(directory: str | os.PathLike[str], record_id: str,
             since: datetime | None = None) -> Iterator[AuditRecord]:
    """Allowed responses that carried ``record_id`` (e.g. a USCC), oldest first."""
    for record in records(directory):
        if record.outcome != "allowed" or record_id not in record.record_ids:
            continue
        if since is not None and datetime.fromisoformat(record.time) < since:
            continue
        yield record


def who_read_all(directories: Iterable[str | os.PathLike[str]], record_id: str,
                 since: datetime | None = None) -> Iterator[AuditRecord]:
    """:func:`who_read` across several chains (one per replica), merged by time."""
    return heapq.merge(*(who_read(d, record_id, since) for d in directories),
                       key=lambda record: record.time)


def tail(directory: str | os.PathLike[str], n: int = 10) -> list[AuditRecord]:
    """The last ``n`` complete records, oldest first."""
    if n <= 0:
        return []
    path = open_log(directory)
    found: list[AuditRecord] = []
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        for line in reverse_lines(fd):
            try:
                found.append(AuditRecord.from_dict(orjson.loads(line)))
            except (orjson.JSONDecodeError, ValueError, TypeError) as exc:
                raise AuditError(f"a line near the end of {path} is not a record: {exc}",
                                 "run `hub audit verify`") from exc
            if len(found) == n:
                break
    finally:
        os.close(fd)
    found.reverse()
    return found
