"""Batched, idempotent writes of canonical rows (one transaction per batch)."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import neo4j
import orjson

from connectors.base import Row
from hub.errors import HubError
from hub.graph import ingest_cypher


@dataclass
class WriteCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def add(self, other: WriteCounts) -> None:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged


def content_hash(data: dict[str, Any]) -> str:
    """Hash of what a row states, leaving out who said it and when (replays match)."""
    payload = {k: v for k, v in data.items() if k not in ("record", "stated", "h")}
    return hashlib.sha256(orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)).hexdigest()[:32]


def _kind_order(kind: str) -> tuple[int, str]:
    try:
        return ingest_cypher.ORDER.index(kind), kind
    except ValueError:
        return len(ingest_cypher.ORDER), kind


def party_type(driver: neo4j.Driver, database: str, party: str) -> str:
    """The supplying party must be known: provenance names a real party."""
    records, _, _ = driver.execute_query(
        "MATCH (p:Party {id: $id}) RETURN p.type AS type, coalesce(p.disabled, false) AS off",
        id=party, database_=database, routing_=neo4j.RoutingControl.READ)
    if not records:
        raise HubError(f"unknown party {party!r}",
                       "Create it first with `hub party add`, or check the id "
                       "(`hub party list`).")
    if records[0]["off"]:
        raise HubError(f"party {party!r} is disabled", "Re-enable it or use another party.")
    return str(records[0]["type"])


def _claims(kind: str, data: dict[str, Any]) -> tuple[str, ...]:
    """What a row compares and sets beyond its own key: two rows in one statement that
    claim the same thing would both see the pre-statement graph (Cypher's ``Eager``)."""
    claims = [f"key:{data['key']}"]
    if kind.startswith("role:legal_representative"):
        claims.append(f"rep:{data['uscc']}")  # a new open one ends the subject's others
    if kind.endswith(":person") and data.get("phone"):
        claims.append(f"person:{data['person']['key']}")  # a new phone ends the old one
    return tuple(claims)


Wave = tuple[str, list[dict[str, Any]]]


def group_rows(rows: Iterable[Row]) -> list[Wave]:
    """The statements a batch runs, in order: ``(kind, rows)`` with each row's content hash.

    Kinds go in write order. Within a kind, rows that claim the same key go to successive
    waves in file order, so a later record about a fact is applied after (and compared
    with) the earlier one: the last one wins and the earlier version becomes a Revision,
    exactly as if they had come in separate files.
    """
    by_kind: dict[str, list[list[dict[str, Any]]]] = defaultdict(list)
    taken: dict[str, list[set[str]]] = defaultdict(list)
    for row in rows:
        data = dict(row.data)
        data["h"] = content_hash(data)
        waves, claimed = by_kind[row.kind], taken[row.kind]
        claims = _claims(row.kind, data)
        # After the last wave holding any of its claims (so file order is kept).
        index = next((i + 1 for i in range(len(claimed) - 1, -1, -1)
                      if any(c in claimed[i] for c in claims)), 0)
        if index == len(waves):
            waves.append([])
            claimed.append(set())
        waves[index].append(data)
        claimed[index].update(claims)
    return [(kind, wave) for kind in sorted(by_kind, key=_kind_order)
            for wave in by_kind[kind]]


def _counts(record: neo4j.Record) -> WriteCounts:
    created, updated = int(record["created"]), int(record["updated"])
    return WriteCounts(created, updated, int(record["total"]) - created - updated)


async def write_async(driver: neo4j.AsyncDriver, database: str, party: str,
                      rows: Iterable[Row], now: datetime) -> WriteCounts:
    """The API's write path: same Cypher and statement model as the ingest."""
    grouped = group_rows(rows)

    async def work(tx: neo4j.AsyncManagedTransaction) -> WriteCounts:
        counts = WriteCounts()
        for kind, data in grouped:
            result = await tx.run(ingest_cypher.statement(kind), rows=data, party=party,
                                  now=now.isoformat())
            counts.add(_counts(await result.single(strict=True)))
        return counts

    async with driver.session(database=database) as session:
        return await session.execute_write(work)


class GraphWriter:
    """Writes batches of rows for one supplying party."""

    def __init__(self, driver: neo4j.Driver, database: str, party: str) -> None:
        self.driver = driver
        self.database = database
        self.party = party

    def subjects_of_stores(self, store_keys: Iterable[str]) -> set[str]:
        """Subjects operating these stores (a listing changes its operator's portrait)."""
        records, _, _ = self.driver.execute_query(
            ingest_cypher.SUBJECTS_OF_STORES, keys=sorted(set(store_keys)),
            database_=self.database, routing_=neo4j.RoutingControl.READ)
        return set(records[0]["usccs"])

    def write(self, rows: Iterable[Row], now: datetime) -> WriteCounts:
        grouped = group_rows(rows)
        if not grouped:
            return WriteCounts()
        stamp = now.isoformat()

        def work(tx: neo4j.ManagedTransaction) -> WriteCounts:
            counts = WriteCounts()
            for kind, data in grouped:
                counts.add(_counts(tx.run(ingest_cypher.statement(kind), rows=data,
                                          party=self.party, now=stamp).single(strict=True)))
            return counts

        with self.driver.session(database=self.database) as session:
            return session.execute_write(work)
