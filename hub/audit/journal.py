"""The log file itself: opening it private, locking it, finding and repairing its tail.

Plain blocking functions on a file descriptor, called from the writer thread (never on
the event loop) and by the readers. Several hub processes may append to one file; they
take turns under an exclusive ``flock`` and each reads the chain's tail *under the lock*
before writing, so every process extends the same, single chain.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson

from hub.audit.record import GENESIS, AuditCorrupt

log = logging.getLogger("hub.audit")

FILE_NAME = "audit.jsonl"
_CHUNK = 64 * 1024


@dataclass(frozen=True, slots=True)
class Tail:
    """Where the chain ends: the next record gets ``seq + 1`` and ``prev = hash``."""

    seq: int
    hash: str


EMPTY = Tail(0, GENESIS)


def log_file(directory: str | os.PathLike[str]) -> Path:
    return Path(directory) / FILE_NAME


def open_for_append(path: Path) -> int:
    """Open (creating if needed) the log, readable and writable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        os.fchmod(fd, 0o600)  # an older file may have been created with a wider mode
        # Make the file's directory entry durable too, or a crash could lose the file.
        dir_fd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except BaseException:
        os.close(fd)
        raise
    return fd


@contextlib.contextmanager
def locked(fd: int) -> Iterator[None]:
    """Hold the exclusive, cross-process lock on the log file."""
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)


def reverse_lines(fd: int, end: int | None = None) -> Iterator[bytes]:
    """Complete lines from the end backwards (without their newline), in bounded memory.

    Bytes after the last newline (a torn write) are skipped. Memory is one chunk plus
    the longest line.
    """
    pos = os.fstat(fd).st_size if end is None else end
    buffer = b""
    started = False
    while pos > 0:
        size = min(_CHUNK, pos)
        pos -= size
        buffer = os.pread(fd, size, pos) + buffer
        if not started:
            cut = buffer.rfind(b"\n")
            if cut < 0:
                continue
            buffer, started = buffer[:cut], True
        while (cut := buffer.rfind(b"\n")) >= 0:
            line, buffer = buffer[cut + 1:], buffer[:cut]
            yield line
    if started:
        yield buffer


def read_tail(fd: int) -> Tail:
    """The seq and hash of the last complete line (``EMPTY`` for an empty log)."""
    for line in reverse_lines(fd):
        try:
            data = orjson.loads(line)
            seq, digest = data["seq"], data["hash"]
            if not isinstance(seq, int) or not isinstance(digest, str):
                raise TypeError
        except (orjson.JSONDecodeError, TypeError, KeyError) as exc:
            raise AuditCorrupt(
                "the audit log's last line is not a valid record, so the chain cannot be "
                "extended",
                "run `hub audit verify` to locate the damage; restore the file from a copy",
            ) from exc
        return Tail(seq, digest)
    return EMPTY


def repair_tail(fd: int, path: Path) -> int:
    """Cut off a torn last line (bytes after the last newline); returns bytes removed.

    A line without its newline is a write that never completed: its fsync never
    returned, so no response waited on it was sent. Removing it loses nothing that
    was acknowledged. Call with the lock held.
    """
    size = os.fstat(fd).st_size
    if size == 0 or os.pread(fd, 1, size - 1) == b"\n":
        return 0
    keep = size
    while keep > 0:
        start = max(0, keep - _CHUNK)
        cut = os.pread(fd, keep - start, start).rfind(b"\n")
        if cut >= 0:
            keep = start + cut + 1
            break
        keep = start
    torn = os.pread(fd, min(size - keep, 200), keep)
    os.ftruncate(fd, keep)
    sync(fd)
    log.warning("audit log: removed a torn last line (an interrupted, unacknowledged write)",
                extra={"file": str(path), "offset": keep, "bytes": size - keep,
                       "start": torn.decode("utf-8", "replace")})
    return size - keep


def write_all(fd: int, data: bytes) -> None:
    """Write every byte (``os.write`` may write fewer than asked)."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def sync(fd: int) -> None:
    """Flush the file's data (and the size that locates it) to stable storage."""
    if hasattr(os, "fdatasync"):
        os.fdatasync(fd)
    else:  # pragma: no cover - macOS
        os.fsync(fd)
