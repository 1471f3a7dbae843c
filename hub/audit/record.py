"""What one access-log line says, and the canonical bytes its hash is taken over.

A record's ``hash`` is SHA-256 over ``orjson.dumps(record_without_hash, OPT_SORT_KEYS)``.
Sorted keys and orjson's fixed output (no whitespace, UTF-8, no float formatting in
play) make the serialisation canonical, so a verifier in any language that sorts keys
and emits compact UTF-8 JSON gets the same bytes. ``prev`` holds the hash of the record
before, which chains the log: changing, removing or moving any line breaks a link.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Literal, get_args

import orjson

from hub.errors import HubError

GENESIS = "0" * 64
"""The ``prev`` of the first record: there is nothing before it."""

Outcome = Literal["allowed", "denied", "error"]
OUTCOMES: frozenset[str] = frozenset(get_args(Outcome))

# Every key a line carries, no more: an added key would otherwise ride along unseen by
# readers even though the hash (taken over the whole object) would still catch it.
FIELDS: frozenset[str] = frozenset({
    "seq", "time", "party", "client", "purpose", "operation", "query_hash",
    "record_ids", "outcome", "reason", "prev", "hash",
})
_HEX64 = re.compile(r"[0-9a-f]{64}")


class AuditError(HubError):
    """The access log cannot be read or written as asked."""

    code = "AUDIT_ERROR"
    http_status = 500


class AuditUnavailable(AuditError):
    """A write failed: the log refuses further appends (the API must not release data)."""

    code = "AUDIT_UNAVAILABLE"
    http_status = 503
    public_message = "The access log is unavailable; retry shortly."


class AuditCorrupt(AuditError):
    """The log's last complete line cannot be parsed, so the chain cannot be extended."""


def canonical(fields: Mapping[str, Any]) -> bytes:
    """The bytes a hash is taken over: compact JSON with sorted keys."""
    return orjson.dumps(fields, option=orjson.OPT_SORT_KEYS)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def query_hash(document: str, variables: Mapping[str, Any] | None = None) -> str:
    """SHA-256 of a GraphQL request: the document as sent, and its variables.

    The document is hashed verbatim (no whitespace normalisation): the log proves what
    was asked, byte for byte. No variables and empty variables hash alike.
    """
    return sha256_hex(canonical({"query": document, "variables": dict(variables or {})}))


def utc_now() -> str:
    """Now, in UTC, ISO-8601 with microseconds (``2025-01-31T08:00:00.123456+00:00``)."""
    return datetime.now(UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """What the caller knows about one response: who, why, what was asked and returned.

    ``record_ids`` are the ids of the records the response carried (subject USCCs,
    alert ids, ...); use an empty tuple for a denial. Use ``""`` for a party or client
    that is unknown (an unauthenticated request that was denied).
    """

    party: str
    client: str
    purpose: str
    operation: str
    query_hash: str
    record_ids: tuple[str, ...] = ()
    outcome: Outcome = "allowed"
    reason: str | None = None

    def __post_init__(self) -> None:
        if self.outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {sorted(OUTCOMES)}, not {self.outcome!r}")
        ids: Sequence[object] = self.record_ids
        if isinstance(ids, str) or not all(isinstance(i, str) for i in ids):
            raise TypeError("record_ids must be a sequence of strings")
        if not isinstance(ids, tuple):  # accept a list; store a tuple (frozen means frozen)
            object.__setattr__(self, "record_ids", tuple(ids))
        if not _HEX64.fullmatch(self.query_hash):
            raise ValueError("query_hash must be 64 lowercase hex digits (use query_hash())")


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One sealed line of the log: an entry plus its place in the chain."""

    seq: int
    time: str
    party: str
    client: str
    purpose: str
    operation: str
    query_hash: str
    record_ids: tuple[str, ...]
    outcome: Outcome
    reason: str | None
    prev: str
    hash: str = field(default="")

    @classmethod
    def seal(cls, entry: AuditEntry, *, seq: int, time: str, prev: str) -> AuditRecord:
        """Place ``entry`` after the record whose hash is ``prev`` and compute its hash."""
        unsealed = cls(seq=seq, time=time, party=entry.party, client=entry.client,
                       purpose=entry.purpose, operation=entry.operation,
                       query_hash=entry.query_hash, record_ids=entry.record_ids,
                       outcome=entry.outcome, reason=entry.reason, prev=prev)
        return replace(unsealed, hash=sha256_hex(canonical(unsealed.body())))

    def body(self) -> dict[str, Any]:
        """Every field but ``hash``: what the hash covers."""
        return {"seq": self.seq, "time": self.time, "party": self.party,
                "client": self.client, "purpose": self.purpose,
                "operation": self.operation, "query_hash": self.query_hash,
                "record_ids": list(self.record_ids), "outcome": self.outcome,
                "reason": self.reason, "prev": self.prev}

    def to_dict(self) -> dict[str, Any]:
        return {**self.body(), "hash": self.hash}

    def to_line(self) -> bytes:
        """The record as written: canonical JSON and a newline."""
        return canonical(self.to_dict()) + b"\n"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AuditRecord:
        """Read a parsed line back, checking its shape; raises ValueError naming the fault."""
        keys = set(data)
        if missing := FIELDS - keys:
            raise ValueError(f"missing field(s): {', '.join(sorted(missing))}")
        if extra := keys - FIELDS:
            raise ValueError(f"unexpected field(s): {', '.join(sorted(extra))}")
        seq = data["seq"]
        if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
            raise ValueError("seq must be a positive integer")
        for name in ("time", "party", "client", "purpose", "operation"):
            if not isinstance(data[name], str):
                raise ValueError(f"{name} must be a string")
        for name in ("query_hash", "prev", "hash"):
            if not isinstance(data[name], str) or not _HEX64.fullmatch(data[name]):
                raise ValueError(f"{name} must be 64 lowercase hex digits")
        ids = data["record_ids"]
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise ValueError("record_ids must be a list of strings")
        if data["outcome"] not in OUTCOMES:
            raise ValueError(f"outcome must be one of {sorted(OUTCOMES)}")
        if data["reason"] is not None and not isinstance(data["reason"], str):
            raise ValueError("reason must be a string or null")
        return cls(seq=seq, time=data["time"], party=data["party"], client=data["client"],
                   purpose=data["purpose"], operation=data["operation"],
                   query_hash=data["query_hash"], record_ids=tuple(ids),
                   outcome=data["outcome"], reason=data["reason"], prev=data["prev"],
                   hash=data["hash"])


def hash_of_line(data: Mapping[str, Any]) -> str:
    """Recompute a parsed line's hash over everything it holds except ``hash`` itself."""
    return sha256_hex(canonical({k: v for k, v in data.items() if k != "hash"}))
