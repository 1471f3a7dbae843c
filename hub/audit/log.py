"""``AuditLog``: append a record and return only once it is on stable storage.

Why a single writer thread with group commit: an fsync costs milliseconds whatever it
flushes, and a response must not leave before its record is durable. So callers queue
their entries; one thread takes everything queued (the *group*), seals the records
under the file lock, writes them with one ``write`` and flushes them with one fsync,
then wakes every caller in the group. While one group is being flushed the next one
gathers, so throughput grows with concurrency at no extra latency
(``HUB_AUDIT_GROUP_WINDOW`` can make a group wait a little longer for company).

A thread rather than an asyncio task because fsync and ``flock`` (which waits for
other hub processes) block, and a dedicated thread keeps them off the event loop and
off the shared default executor.

If a write or fsync fails the log stops taking appends (fail closed): after a failed
fsync the kernel may have dropped the dirty pages, and a response whose record might
not exist must not be sent. Restarting the process reopens the log, whose recovery
removes any torn line.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import queue
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import neo4j

from hub.audit import anchor as anchor_mod
from hub.audit import journal
from hub.audit.record import AuditEntry, AuditError, AuditRecord, AuditUnavailable, utc_now
from hub.settings import Settings

log = logging.getLogger("hub.audit")


def audit_dir(settings: Settings) -> Path:
    """``HUB_AUDIT_DIR``, or ``<state_dir>/audit`` when unset."""
    return settings.audit_dir or settings.state_dir / "audit"


@dataclass(slots=True)
class _Pending:
    entry: AuditEntry
    time: str
    future: asyncio.Future[AuditRecord]
    loop: asyncio.AbstractEventLoop


_STOP = object()


@dataclass(frozen=True, slots=True)
class AnchorTarget:
    """Where the chain head is anchored: a Neo4j database and this log's id."""

    driver: neo4j.AsyncDriver
    database: str
    log_id: str


class AuditLog:
    """The hash-chained, append-only access log in one directory.

    Open with ``await AuditLog.open(directory)`` (or ``from_settings``), share the one
    instance across requests, ``await log.close()`` at shutdown.
    """

    def __init__(self, path: Path | None, fd: int | None, *, group_window: float,
                 max_group: int, anchor: AnchorTarget | None = None) -> None:
        self.path = path
        self._fd = fd
        self._chain = anchor_mod.first_hash(path) if path is not None else None
        self.anchorer: anchor_mod.Anchorer | None = None
        if anchor is not None and path is not None and fd is not None:
            self.anchorer = anchor_mod.Anchorer(anchor.driver, anchor.database, path,
                                                anchor.log_id, asyncio.get_running_loop())
        self._window = group_window
        self._max_group = max_group
        self._queue: queue.SimpleQueue[_Pending | object] = queue.SimpleQueue()
        self._failure: BaseException | None = None
        self._closed = False
        self.groups = 0  # groups committed (one fsync each): for tests and benchmarks
        self._thread: threading.Thread | None = None
        if fd is not None:
            self._thread = threading.Thread(target=self._run, name="hub-audit-writer",
                                            daemon=True)
            self._thread.start()

    @classmethod
    async def open(cls, directory: str | os.PathLike[str], *, enabled: bool = True,
                   group_window: float = 0.0, max_group: int = 1024,
                   anchor: AnchorTarget | None = None) -> AuditLog:
        """Open the log in ``directory``, removing a torn last line left by a crash.

        With ``anchor``, the chain head is anchored into that Neo4j after each group
        commit (``hub.audit.anchor``)."""
        if not enabled:
            return cls(None, None, group_window=group_window, max_group=max_group)
        path = journal.log_file(directory)
        fd = await asyncio.to_thread(cls._open_and_recover, path)
        return cls(path, fd, group_window=group_window, max_group=max_group, anchor=anchor)

    @classmethod
    async def from_settings(cls, settings: Settings, driver: neo4j.AsyncDriver | None = None,
                            database: str = "neo4j") -> AuditLog:
        """Open the log the settings describe (``HUB_AUDIT_*``), anchored into ``driver``'s
        database when one is given."""
        target = None if driver is None else AnchorTarget(
            driver, database, settings.audit_log_id or anchor_mod.default_log_id())
        return await cls.open(audit_dir(settings), enabled=settings.audit_enabled,
                              group_window=settings.audit_group_window,
                              max_group=settings.audit_max_group, anchor=target)

    @staticmethod
    def _open_and_recover(path: Path) -> int:
        try:
            fd = journal.open_for_append(path)
        except OSError as exc:
            raise AuditUnavailable(f"cannot open the audit log {path}: {exc.strerror}",
                                   "check HUB_AUDIT_DIR and its permissions") from exc
        try:
            with journal.locked(fd):
                journal.repair_tail(fd, path)
                journal.read_tail(fd)  # fail now, not on the first request, if unreadable
        except BaseException:
            os.close(fd)
            raise
        return fd

    @property
    def enabled(self) -> bool:
        return self._fd is not None

    async def append(self, entry: AuditEntry) -> AuditRecord | None:
        """Seal ``entry`` into the chain; returns once the record is fsync'ed.

        Returns None (and writes nothing) when the log is disabled. Raises
        ``AuditUnavailable`` if the log cannot be written: do not send the response.
        """
        if self._fd is None:
            return None
        if self._failure is not None:
            raise self._unavailable()
        if self._closed:
            raise AuditError("the audit log is closed")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[AuditRecord] = loop.create_future()
        self._queue.put(_Pending(entry, utc_now(), future, loop))
        # Shielded: a caller cancelled mid-flush must not lose the record's outcome for
        # the group; the record is written either way.
        return await asyncio.shield(future)

    async def close(self) -> None:
        """Flush what is queued, stop the writer and close the file."""
        if self._closed:
            return
        self._closed = True
        if self._thread is not None:
            self._queue.put(_STOP)
            await asyncio.to_thread(self._thread.join)
        if self.anchorer is not None:
            await self.anchorer.close()
        if self._fd is not None:
            os.close(self._fd)

    async def __aenter__(self) -> AuditLog:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        await self.close()

    # -- the writer thread -------------------------------------------------------------

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is _STOP:
                return
            group, stop = self._gather(first)
            self._commit(group)
            if stop:
                return

    def _gather(self, first: object) -> tuple[list[_Pending], bool]:
        """Take ``first`` and whatever else is queued (waiting up to the window)."""
        assert isinstance(first, _Pending)
        group = [first]
        deadline = time.monotonic() + self._window
        while len(group) < self._max_group:
            try:
                wait = deadline - time.monotonic()
                item = self._queue.get(timeout=wait) if wait > 0 else self._queue.get_nowait()
            except queue.Empty:
                break
            if item is _STOP:
                return group, True
            assert isinstance(item, _Pending)
            group.append(item)
        return group, False

    def _commit(self, group: list[_Pending]) -> None:
        assert self.path is not None and self._fd is not None
        try:
            if self._failure is not None:
                raise self._failure
            records = []
            with journal.locked(self._fd):
                journal.repair_tail(self._fd, self.path)
                tail = journal.read_tail(self._fd)
                seq, prev = tail.seq, tail.hash
                for pending in group:
                    seq += 1
                    record = AuditRecord.seal(pending.entry, seq=seq, time=pending.time,
                                              prev=prev)
                    records.append(record)
                    prev = record.hash
                journal.write_all(self._fd, b"".join(r.to_line() for r in records))
                journal.sync(self._fd)
            self.groups += 1
        except BaseException as exc:
            if self._failure is None:
                self._failure = exc
                log.error("audit log write failed; refusing further appends",
                          extra={"file": str(self.path), "error": repr(exc)})
            for pending in group:
                _settle(pending, error=self._unavailable())
            return
        for pending, record in zip(group, records, strict=True):
            _settle(pending, record=record)
        if self._chain is None and records[0].seq == 1:
            self._chain = records[0].hash
        if self.anchorer is not None:  # after the callers are woken: off their path
            self.anchorer.advance(journal.Tail(records[-1].seq, records[-1].hash), self._chain)

    def _unavailable(self) -> AuditError:
        failure = self._failure
        if isinstance(failure, AuditError):
            return failure
        return AuditUnavailable(f"the audit log {self.path} could not be written ({failure!r})",
                                "free disk space or fix the file system, then restart the hub")


def _settle(pending: _Pending, *, record: AuditRecord | None = None,
            error: BaseException | None = None) -> None:
    """Hand a result to the awaiting coroutine on its own event loop."""

    def resolve() -> None:
        if pending.future.done():
            return
        if error is not None:
            pending.future.set_exception(error)
        else:
            pending.future.set_result(record)  # type: ignore[arg-type]

    with contextlib.suppress(RuntimeError):  # the caller's loop has closed
        pending.loop.call_soon_threadsafe(resolve)
