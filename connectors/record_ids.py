"""The record ids one feed file has used, to refuse a second, different record under one.

A file that states two different records under one ``record_id`` contradicts itself
(the id is the record's provenance and replay key), so the later one is rejected; the
same record twice (a resent line) is harmless and passes. Files can hold millions of
records, so ids are kept as 64-bit fingerprints in an open-addressing table of flat
arrays — 16 bytes a slot, at most 3/4 full — instead of a dict (~120 bytes an entry).
"""

from __future__ import annotations

from array import array

# Python's own (SipHash) string hash: keyed per process, which is all a table that lives
# for one ingest run needs (a resumed run rebuilds it from the lines it skips).
_U64 = (1 << 64) - 1
_U32 = (1 << 32) - 1


class RecordIds:
    def __init__(self, capacity: int = 1 << 12) -> None:
        self._allocate(capacity)

    def _allocate(self, capacity: int) -> None:
        self._mask = capacity - 1
        self._count = 0
        self._keys = array("Q", bytes(8 * capacity))  # 0 = empty slot
        self._content = array("I", bytes(4 * capacity))
        self._lines = array("I", bytes(4 * capacity))

    def __len__(self) -> int:
        return self._count

    def claim(self, record_id: str, content: bytes, line: int) -> int | None:
        """Remember ``record_id`` (with a fingerprint of ``content``) at ``line``; if the
        file already used it for different content, the line where it did."""
        key = hash(record_id) & _U64 or 1
        digest = hash(content) & _U32
        slot = self._find(key)
        if self._keys[slot] == key:
            return None if self._content[slot] == digest else int(self._lines[slot])
        self._keys[slot], self._content[slot] = key, digest
        self._lines[slot] = min(line, _U32)
        self._count += 1
        if self._count * 4 > (self._mask + 1) * 3:
            self._grow()
        return None

    def _find(self, key: int) -> int:
        slot = key & self._mask
        while self._keys[slot] not in (0, key):
            slot = (slot + 1) & self._mask
        return slot

    def _grow(self) -> None:
        keys, content, lines = self._keys, self._content, self._lines
        self._allocate(2 * (self._mask + 1))
        for key, digest, line in zip(keys, content, lines, strict=True):
            if key:
                slot = self._find(key)
                self._keys[slot], self._content[slot], self._lines[slot] = key, digest, line
                self._count += 1
