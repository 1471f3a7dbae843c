"""Leases in Neo4j: one holder at a time for work that must run once across processes.

A lease is one node (``(:<Label> {id})``, unique id) with a holder and an expiry. Taking
the node's write lock first (SET then REMOVE a dummy property) makes the read of
holder/expiry that follows see the latest commit, so two processes cannot both win; a
holder that dies is taken over once its lease expires. Optionally the lease is also
*due*-gated: a periodic job records when it may next run, so that several processes run
it once per period, not once each.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from typing import Any

import neo4j

_TAKE = """
MERGE (l:{label} {{id: $id}})
SET l._lock = true REMOVE l._lock
WITH l, (l.holder IS NULL OR l.until < datetime())
        AND ($due_gated = false OR l.next_due IS NULL OR l.next_due <= datetime()) AS free
SET l.holder = CASE WHEN free THEN $holder ELSE l.holder END,
    l.until = CASE WHEN free THEN datetime() + duration({{seconds: $seconds}})
                   ELSE l.until END
RETURN free, l.holder AS holder, toString(l.until) AS until
"""
_RENEW = """
MATCH (l:{label} {{id: $id, holder: $holder}})
SET l.until = datetime() + duration({{seconds: $seconds}})
RETURN count(l) AS renewed
"""
_RELEASE = """
MATCH (l:{label} {{id: $id, holder: $holder}})
SET l.holder = null, l.until = null,
    l.next_due = CASE WHEN $next_in IS NULL THEN l.next_due
                      ELSE datetime() + duration({{seconds: $next_in}}) END,
    l.last_run_at = CASE WHEN $ran THEN datetime() ELSE l.last_run_at END,
    l.runs = coalesce(l.runs, 0) + CASE WHEN $ran THEN 1 ELSE 0 END,
    l.last_result = coalesce($result, l.last_result)
"""


def holder_id(tag: object = "") -> str:
    """Who holds a lease: host, process and an optional tag (e.g. the driver's id)."""
    return f"{socket.gethostname()}:{os.getpid()}:{tag}"


@dataclass(frozen=True)
class Taken:
    ok: bool
    holder: str | None
    until: str | None


@dataclass(frozen=True)
class Lease:
    label: str  # a constant of the caller's, never user input (it is part of the text)
    id: str
    holder: str
    seconds: int

    async def take(self, driver: neo4j.AsyncDriver, database: str, *,
                   due_gated: bool = False) -> Taken:
        records, _, _ = await driver.execute_query(
            _TAKE.format(label=self.label), id=self.id, holder=self.holder,
            seconds=self.seconds, due_gated=due_gated, database_=database)
        rec = records[0]
        return Taken(bool(rec["free"]), rec["holder"], rec["until"])

    async def renew(self, driver: neo4j.AsyncDriver, database: str) -> bool:
        """Extend a lease this holder has; False if it was lost (expired and taken)."""
        records, _, _ = await driver.execute_query(
            _RENEW.format(label=self.label), id=self.id, holder=self.holder,
            seconds=self.seconds, database_=database)
        return bool(records[0]["renewed"])

    async def release(self, driver: neo4j.AsyncDriver, database: str, *,
                      next_in: float | None = None, ran: bool = False,
                      result: Any = None) -> None:
        """Give the lease up; ``next_in`` seconds until a due-gated job may run again."""
        await driver.execute_query(
            _RELEASE.format(label=self.label), id=self.id, holder=self.holder,
            next_in=next_in, ran=ran, result=result, database_=database)
