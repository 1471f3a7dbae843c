"""What every connector shares: canonical rows, rejects, and the dispatch on record_type."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from connectors.fields import FieldError, Fields, check_control

#: JSON-compatible property values written to the graph.
Props = dict[str, Any]


@dataclass(frozen=True)
class Row:
    """One canonical fact for the writer: ``kind`` picks the Cypher, ``data`` fills it.

    ``data`` always has ``key`` (the node or relationship key), ``props`` (the fact's
    properties), ``record`` (the source record id) and ``stated`` (when the source stated
    it); kinds add the keys of the nodes they link to.
    """

    kind: str
    data: dict[str, Any]
    #: subjects whose credit portrait this fact touches (for incremental re-scoring)
    subjects: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class Reject:
    """An invalid record: where it was, which field, why."""

    line: int
    record_id: str | None
    field: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "record_id": self.record_id, "field": self.field,
                "reason": self.reason}


Mapper = Callable[[Fields, "Context"], Row]


@dataclass(frozen=True)
class Context:
    """What a mapper needs besides the record: the PII key and the ingest time."""

    pii_key: bytes
    received_at: datetime

    @classmethod
    def now(cls, pii_key: bytes) -> Context:
        return cls(pii_key=pii_key, received_at=datetime.now(UTC))


class Connector:
    """Maps the record types of one source kind; unknown types are rejected."""

    def __init__(self, source: str, mappers: Mapping[str, Mapper]) -> None:
        self.source = source
        self.mappers = dict(mappers)

    def map(self, raw: Mapping[str, Any], line: int, ctx: Context) -> Row | Reject:
        raw_id = raw.get("record_id")
        if isinstance(raw_id, bool) or not isinstance(raw_id, str | int | None):
            return Reject(line, None, "record_id", "expected text, got a JSON "
                          f"{'object' if isinstance(raw_id, dict) else 'value'}")
        record_id = str(raw_id).strip() if raw_id not in (None, "") else None
        if record_id is not None:
            try:
                check_control("record_id", record_id)
            except FieldError as exc:
                return Reject(line, None, exc.field, exc.reason)
        record_type = str(raw.get("record_type") or "").strip()
        mapper = self.mappers.get(record_type)
        if mapper is None:
            allowed = ", ".join(sorted(self.mappers))
            reason = (f"missing record_type (expected one of: {allowed})" if not record_type
                      else f"record_type {record_type!r} is not part of the {self.source!r} "
                           f"feed (expected one of: {allowed})")
            return Reject(line, record_id, "record_type", reason)
        fields = Fields(raw)
        try:
            if record_id is None:
                raise FieldError("record_id", "required field is missing")
            return mapper(fields, ctx)
        except FieldError as exc:
            return Reject(line, record_id, exc.field, exc.reason)


def base_data(f: Fields, ctx: Context, key: str, props: Props) -> dict[str, Any]:
    """The fields every row carries: key, props, provenance."""
    stated = f.timestamp("stated_at") or ctx.received_at.isoformat()
    return {"key": key, "props": props, "record": str(f.raw["record_id"]).strip(),
            "stated": stated}
