"""A content fingerprint of the graph, for "replay changes nothing" and "resume equals a
clean ingest" comparisons.

Every node (labels + properties) and every relationship (type + properties + both ends'
identity) is rendered canonically and hashed, order-free. ``last_seen`` is left out by
default: it is the one property whose meaning is "the latest sighting", so a replay moves
it by design. Two *separate* ingests of one feed also differ in when the hub received the
rows; pass :data:`INGEST_TIMES` to compare those.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import neo4j
import orjson

#: Moved by every sighting, replays included (the statement model's "last seen").
SIGHTING = frozenset({"last_seen"})
#: Times of an ingest run: differ between two independent ingests of the same feed.
INGEST_TIMES = SIGHTING | {"first_seen", "received_at", "superseded_at"}
#: Bookkeeping outside the ingested graph.
_SKIP_LABELS = ["Migration", "Party"]

_QUERY = """
MATCH (n) WHERE none(l IN labels(n) WHERE l IN $skip)
RETURN elementId(n) AS id, labels(n) AS labels, properties(n) AS props
"""
_RELS = """
MATCH (a)-[r]->(b)
WHERE none(l IN labels(a) + labels(b) WHERE l IN $skip)
RETURN elementId(a) AS a, type(r) AS type, properties(r) AS props, elementId(b) AS b
"""


@dataclass(frozen=True)
class Fingerprint:
    nodes: int
    relationships: int
    revisions: int
    digest: str


def _canon(labels: list[str], props: dict[str, object], volatile: frozenset[str]) -> bytes:
    kept = {k: v for k, v in props.items() if k not in volatile}
    return orjson.dumps([sorted(labels), kept], option=orjson.OPT_SORT_KEYS)


def fingerprint(driver: neo4j.Driver, database: str = "neo4j",
                volatile: frozenset[str] = SIGHTING) -> Fingerprint:
    """Counts and an order-free digest of the ingested graph's content."""
    nodes, _, _ = driver.execute_query(_QUERY, skip=_SKIP_LABELS, database_=database)
    # A node is known by its own content, so that relationships compare across databases.
    ident = {r["id"]: hashlib.sha256(_canon(r["labels"], r["props"], volatile)).hexdigest()
             for r in nodes}
    rels, _, _ = driver.execute_query(_RELS, skip=_SKIP_LABELS, database_=database)
    lines = sorted(ident.values())
    lines += sorted(
        hashlib.sha256(ident[r["a"]].encode() + _canon([r["type"]], r["props"], volatile)
                       + ident[r["b"]].encode()).hexdigest() for r in rels)
    revisions = sum(1 for r in nodes if "Revision" in r["labels"])
    digest = hashlib.sha256("\n".join(lines).encode()).hexdigest()
    return Fingerprint(len(nodes), len(rels), revisions, digest)
