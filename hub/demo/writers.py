"""Streaming feed writers (JSON Lines or CSV) and the per-file bookkeeping.

Records are written as they are made — nothing is held beyond a write buffer — so memory
stays flat at any scale. The writer also assigns record ids, decides (with its own random
stream, so that the dirt rate does not change the clean data) which records to soil, and
counts everything the manifest reports.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path
from typing import IO, Any

import orjson

from hub.demo.common import Record
from hub.demo.dirty import INVALID_KINDS, soil
from hub.demo.feeds import SOURCES, header

_PREFIX = {"registry": "REG", "platform": "PLT", "complaints": "CMP", "enforcement": "ENF",
           "association": "ASN"}
_BUFFER = 4096
_JSON_OPTIONS = orjson.OPT_APPEND_NEWLINE


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, list):
        return ";".join(value)
    return str(value)


class _Jsonl:
    def __init__(self, path: Path, encoding: str) -> None:
        self._file: IO[bytes] = path.open("wb")
        self._utf8 = encoding.replace("-", "").lower() == "utf8"
        self._encoding = encoding
        self._buffer: list[bytes] = []

    def write(self, record: Record) -> None:
        line = orjson.dumps({k: v for k, v in record.items() if v is not None},
                            option=_JSON_OPTIONS)
        self._buffer.append(line if self._utf8 else line.decode().encode(self._encoding))
        if len(self._buffer) >= _BUFFER:
            self.flush()

    def flush(self) -> None:
        self._file.write(b"".join(self._buffer))
        self._buffer.clear()

    def close(self) -> None:
        self.flush()
        self._file.close()


class _Csv:
    def __init__(self, path: Path, encoding: str, source: str) -> None:
        self._file: IO[str] = path.open("w", encoding=encoding, newline="")
        self._fields = header(source)
        self._writer = csv.writer(self._file, lineterminator="\n")
        self._writer.writerow(self._fields)

    def write(self, record: Record) -> None:
        get = record.get
        self._writer.writerow([_cell(get(f)) for f in self._fields])

    def close(self) -> None:
        self._file.close()


class Feeds:
    """The five output files of one run, with ids, dirt and counts."""

    def __init__(self, out_dir: Path, fmt: str, encoding: str, dirty_rate: float,
                 dirt: random.Random) -> None:
        self.fmt, self.dirty_rate, self._dirt = fmt, dirty_rate, dirt
        self._sinks: dict[str, _Jsonl | _Csv] = {
            source: _Jsonl(out_dir / f"{source}.jsonl", encoding) if fmt == "jsonl"
            else _Csv(out_dir / f"{source}.csv", encoding, source) for source in SOURCES}
        self._ids = dict.fromkeys(SOURCES, 0)
        self.by_type: dict[str, dict[str, int]] = {s: {} for s in SOURCES}
        self.dirty: dict[str, dict[str, int]] = {s: {} for s in SOURCES}

    def add(self, source: str, record: Record, clean: bool = False) -> None:
        """Write ``record`` (its ``record_id`` is assigned here); maybe soil it first."""
        number = self._ids[source] = self._ids[source] + 1
        record["record_id"] = f"{_PREFIX[source]}{number:09d}"
        sink = self._sinks[source]
        counts = self.by_type[source]
        record_type = record["record_type"]
        copies = 1
        if not clean and self.dirty_rate and self._dirt.random() < self.dirty_rate:
            kind = soil(self._dirt, record)
            kinds = self.dirty[source]
            kinds[kind] = kinds.get(kind, 0) + 1
            if kind == "duplicate":
                copies = 2
        for _ in range(copies):
            sink.write(record)
        counts[record_type] = counts.get(record_type, 0) + copies

    def close(self) -> None:
        for sink in self._sinks.values():
            sink.close()

    def summary(self) -> dict[str, Any]:
        """The ``files`` part of the manifest."""
        files: dict[str, Any] = {}
        for source in SOURCES:
            dirty = {k: self.dirty[source][k] for k in sorted(self.dirty[source])}
            by_type = self.by_type[source]
            files[f"{source}.{self.fmt}"] = {
                "records": sum(by_type.values()), "by_type": by_type, "dirty": dirty,
                "invalid": sum(v for k, v in dirty.items() if k in INVALID_KINDS)}
        return files
