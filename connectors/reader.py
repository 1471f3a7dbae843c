"""Streaming readers for JSON Lines and CSV feeds, in constant memory.

Each item is ``(line_number, record)`` or ``(line_number, Reject)`` for lines that cannot
be parsed at all. Bytes that do not decode in the chosen encoding are reported per
record (most often a GBK export read as UTF-8), not as a crash halfway through a file.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from connectors.base import Reject
from hub.errors import HubError

Item = tuple[int, dict[str, Any] | Reject]
_REPLACEMENT = "\ufffd"


#: Encodings in which UTF-8 bytes decode "successfully" into mojibake (成都 → 鎴愰兘).
_GB_FAMILY = ("gb18030", "gbk", "gb2312", "cp936")
#: How far into a file to look for its first non-ASCII text (the encoding check).
_SNIFF_LIMIT = 8 << 20


def _looks_utf8(path: Path) -> bool:
    """Whether the file's first non-ASCII bytes are valid UTF-8 (real GB text never is)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    with open(path, "rb") as raw:
        while (chunk := raw.read(1 << 16)) and raw.tell() <= _SNIFF_LIMIT:
            if chunk.isascii():
                continue
            try:
                decoder.decode(chunk)  # a character cut at the chunk's end waits for more
            except UnicodeDecodeError:
                return False
            return True
    return False


def _encoding_hint(encoding: str) -> str:
    other = "gb18030" if encoding.lower().replace("-", "") in ("utf8",) else "utf-8"
    return f"bytes not valid in {encoding} (wrong encoding? try --encoding {other})"


class FeedReader:
    """Iterates a feed file; ``position`` tells how many bytes have been consumed."""

    def __init__(self, path: Path, encoding: str = "utf-8", fmt: str | None = None) -> None:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise HubError(f"unknown encoding {encoding!r}",
                           "Use utf-8 (default), gb18030 or gbk.") from None
        if not path.is_file():
            raise HubError(f"no such file: {path}")
        # Refused rather than warned about: garbled names would land for good, and a
        # warning scrolls past in a batch job. An ASCII-only file reads the same either way.
        if codecs.lookup(encoding).name in _GB_FAMILY and _looks_utf8(path):
            raise HubError(f"{path} is UTF-8 text, not {encoding}: reading it as {encoding} "
                           "would garble every Chinese character",
                           "Drop --encoding (UTF-8 is the default) or convert the file.")
        self.path = path
        self.encoding = encoding
        self.format = fmt or ("csv" if path.suffix.lower() == ".csv" else "jsonl")
        if self.format not in ("csv", "jsonl"):
            raise HubError(f"unknown format {self.format!r}", "Use jsonl or csv.")
        self.size = path.stat().st_size
        self._raw: BinaryIO | None = None

    @property
    def position(self) -> int:
        return self._raw.tell() if self._raw and not self._raw.closed else self.size

    def __iter__(self) -> Iterator[Item]:
        with open(self.path, "rb") as raw:
            self._raw = raw
            yield from (self._jsonl(raw) if self.format == "jsonl" else self._csv(raw))

    def _jsonl(self, raw: BinaryIO) -> Iterator[Item]:
        utf8 = self.encoding.lower().replace("-", "") in ("utf8", "utf8sig")
        for number, line in enumerate(raw, start=1):
            if number == 1 and line.startswith(codecs.BOM_UTF8):
                line = line[len(codecs.BOM_UTF8):]
            if not line.strip():
                continue
            try:
                data = line if utf8 else line.decode(self.encoding).encode()
                record = orjson.loads(data)
            except UnicodeDecodeError:
                yield number, Reject(number, None, "(line)", _encoding_hint(self.encoding))
                continue
            except orjson.JSONDecodeError as exc:
                reason = (_encoding_hint(self.encoding) if "utf-8" in str(exc).lower()
                          else f"not valid JSON: {exc}")
                yield number, Reject(number, None, "(line)", reason)
                continue
            if not isinstance(record, dict):
                yield number, Reject(number, None, "(line)", "a record must be a JSON object")
                continue
            yield number, record

    def _csv(self, raw: BinaryIO) -> Iterator[Item]:
        text = io.TextIOWrapper(raw, encoding=self.encoding, errors="replace", newline="")
        reader = csv.DictReader(text)
        try:
            if reader.fieldnames:
                reader.fieldnames = [name.lstrip("\ufeff").strip()
                                     for name in reader.fieldnames]
        except csv.Error as exc:
            raise HubError(f"{self.path}: the header line is not valid CSV ({exc})") from None
        done = reader.line_num  # the last line of the last record read
        while True:
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:  # e.g. a field over the limit: this record only
                number = done + 1
                done = max(reader.line_num, number)
                reason = (f"a field is longer than {csv.field_size_limit():,} characters"
                          if "field limit" in str(exc) else f"not valid CSV: {exc}")
                yield number, Reject(number, None, "(line)", reason)
                continue
            number = done = reader.line_num
            values = [v for v in row.values() if isinstance(v, str)]
            if any(_REPLACEMENT in v for v in values):
                yield number, Reject(number, row.get("record_id"), "(line)",
                                     _encoding_hint(self.encoding))
                continue
            if None in row:
                yield number, Reject(number, row.get("record_id"), "(line)",
                                     "more values than header columns")
                continue
            yield number, {k: v for k, v in row.items() if v not in (None, "")}
        text.detach()
