"""The chain head, anchored in Neo4j: so ``hub audit verify`` sees a cut tail by itself.

A hash chain cannot show records cut off its end (the shorter file is a valid chain).
So after each group commit the log's newest ``(seq, hash)`` is written into the graph,
a system the log's own host cannot silently rewrite, as one ``:AuditAnchor`` node per
chain (migration 0010):

    (:AuditAnchor {chain, log, seq, hash, anchored_at})

``chain`` is the hash of the chain's first record (it names the chain wherever the file
is copied); ``log`` is ``HUB_AUDIT_LOG_ID`` (default: the host name), the replica the
chain belongs to. ``seq`` only grows: several processes appending to one file each
anchor the head they saw. Verification then knows where the chain ended at least:
an anchor ahead of the file means records were cut off the end.

The write is off the request path: the writer thread hands the head over after it has
woken the group's callers, and one task on the event loop writes only the newest head
it has (so a burst of groups costs one write). If Neo4j is down the log goes on
committing; the anchor catches up when the database is back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import neo4j
import orjson

from hub.audit.journal import Tail

log = logging.getLogger("hub.audit")

WRITE = """
MERGE (a:AuditAnchor {chain: $chain})
ON CREATE SET a.seq = 0
WITH a WHERE a.seq < $seq
SET a.seq = $seq, a.hash = $hash, a.log = $log, a.anchored_at = $now
"""

READ = """
MATCH (a:AuditAnchor) WHERE a.chain = $chain OR ($chain IS NULL AND a.log = $log)
RETURN a.chain AS chain, a.log AS log, a.seq AS seq, a.hash AS hash,
       toString(a.anchored_at) AS anchored_at
ORDER BY a.seq DESC
"""

WRITE_TIMEOUT = 10.0
CLOSE_TIMEOUT = 5.0  # the last anchor at shutdown; Neo4j may be down
RETRY_FIRST, RETRY_MAX = 0.5, 30.0


def default_log_id() -> str:
    return socket.gethostname()


@dataclass(frozen=True, slots=True)
class Anchor:
    """Where the chain was, as recorded in the graph."""

    chain: str
    log: str
    seq: int
    hash: str
    anchored_at: str


def first_hash(path: Path) -> str | None:
    """The hash of the file's first record (the chain's name), None for an empty log."""
    try:
        with path.open("rb") as handle:
            line = handle.readline()
    except FileNotFoundError:
        return None
    if not line.endswith(b"\n"):
        return None
    try:
        digest = orjson.loads(line).get("hash")
    except (orjson.JSONDecodeError, AttributeError):
        return None
    return digest if isinstance(digest, str) else None


def read(driver: neo4j.Driver, database: str, *, chain: str | None,
         log_id: str) -> list[Anchor]:
    """The anchors of ``chain`` (or, for an empty log, every anchor of ``log_id``)."""
    records, _, _ = driver.execute_query(READ, chain=chain, log=log_id, database_=database,
                                         routing_=neo4j.RoutingControl.READ)
    return [Anchor(r["chain"], r["log"], int(r["seq"]), r["hash"], r["anchored_at"])
            for r in records if r["hash"] is not None]


class Anchorer:
    """Writes the newest committed head into Neo4j, in the background, coalescing."""

    def __init__(self, driver: neo4j.AsyncDriver, database: str, path: Path,
                 log_id: str, loop: asyncio.AbstractEventLoop) -> None:
        self._driver, self._database, self._path, self.log_id = driver, database, path, log_id
        self._loop = loop
        self._latest: Tail | None = None
        self._chain: str | None = None
        self.anchored = 0  # the seq last written (for tests and the closing flush)
        self._wake = asyncio.Event()
        self._task = loop.create_task(self._run(), name="hub-audit-anchor")

    def advance(self, head: Tail, chain: str | None) -> None:
        """Called by the writer thread after each group commit."""
        def set_head() -> None:
            if self._latest is None or head.seq > self._latest.seq:
                self._latest = head
            self._chain = self._chain or chain
            self._wake.set()

        with contextlib.suppress(RuntimeError):  # the loop has closed
            self._loop.call_soon_threadsafe(set_head)

    async def _run(self) -> None:
        pause = RETRY_FIRST
        failing = False
        while True:
            await self._wake.wait()
            self._wake.clear()
            try:
                await self._write()
            except (neo4j.exceptions.Neo4jError, neo4j.exceptions.DriverError, OSError,
                    TimeoutError) as exc:
                if not failing:
                    log.warning("audit anchor not written; the log goes on and the anchor "
                                "catches up", extra={"error": type(exc).__name__})
                failing = True
                await asyncio.sleep(pause)
                pause = min(pause * 2, RETRY_MAX)
                self._wake.set()
                continue
            if failing:
                log.info("audit anchor caught up", extra={"seq": self.anchored})
            failing, pause = False, RETRY_FIRST

    async def _write(self) -> None:
        head = self._latest
        if head is None or head.seq <= self.anchored:
            return
        if self._chain is None:  # another process wrote the first record
            self._chain = await asyncio.to_thread(first_hash, self._path)
            if self._chain is None:
                return
        async with asyncio.timeout(WRITE_TIMEOUT):
            await self._driver.execute_query(
                WRITE, chain=self._chain, seq=head.seq, hash=head.hash, log=self.log_id,
                now=datetime.now(UTC), database_=self._database)
        self.anchored = max(self.anchored, head.seq)

    async def close(self) -> None:
        """Stop, then anchor the final head (a bounded wait: Neo4j may be down)."""
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        await asyncio.sleep(0)  # run a last advance() the writer thread scheduled
        with contextlib.suppress(Exception):
            async with asyncio.timeout(CLOSE_TIMEOUT):
                await self._write()
