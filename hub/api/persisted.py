"""Persisted documents: operations known in advance, sent by id, and an allow-list mode.

A platform's back end sends the same few operations all day. With a manifest of those
documents (``HUB_PERSISTED_QUERIES``: a JSON object of ``"sha256:<hex>": "<document>"``,
the shape Relay and GraphQL Code Generator emit), a client may send
``{"documentId": "sha256:<hex>", "variables": {...}}`` (the GraphQL-over-HTTP persisted
documents convention) or Apollo's ``extensions.persistedQuery.sha256Hash`` instead of the
text. A party whose policy says ``persisted_only: true`` (a per-party override in
``policies/access.yaml``) may run *only* manifest documents — a leaked token then cannot
be used to explore the graph with ad-hoc queries.

The manifest is checked when loaded: every id must be the SHA-256 of its document, so an
edited document cannot hide behind an old id.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from hub.errors import BadRequest, HubError

PREFIX = "sha256:"


class ManifestError(HubError):
    """The persisted-documents manifest cannot be used (named file, reason, fix)."""


class PersistedError(BadRequest):
    """A request the persisted-documents rules refuse (``BAD_REQUEST`` unless narrower)."""

    @property
    def status(self) -> int:
        return self.http_status


class PersistedQueryNotFound(PersistedError):
    code = "PERSISTED_QUERY_NOT_FOUND"


class PersistedQueryRequired(PersistedError):
    code = "PERSISTED_QUERY_REQUIRED"
    http_status = 403


def document_id(document: str) -> str:
    """The id of a document: ``sha256:`` and the hex digest of its UTF-8 text."""
    return PREFIX + hashlib.sha256(document.encode()).hexdigest()


@dataclass(frozen=True)
class Manifest:
    documents: dict[str, str]  # id → document text
    known_texts: frozenset[str]

    @classmethod
    def empty(cls) -> Manifest:
        return cls({}, frozenset())

    @classmethod
    def parse(cls, raw: bytes, source: str) -> Manifest:
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise ManifestError(f"{source} is not JSON: {exc}",
                                "Write a JSON object of \"sha256:<hex>\": \"<document>\".") \
                from None
        if not isinstance(data, dict):
            raise ManifestError(f"{source} must hold a JSON object (id → document)",
                                "Write a JSON object of \"sha256:<hex>\": \"<document>\".")
        documents: dict[str, str] = {}
        for key, text in data.items():
            if not isinstance(text, str) or not text.strip():
                raise ManifestError(f"{source}: the document of {key!r} is not a string")
            expected = document_id(text)
            if (key if key.startswith(PREFIX) else PREFIX + key) != expected:
                raise ManifestError(f"{source}: id {key!r} is not the SHA-256 of its document "
                                    f"(that is {expected})",
                                    "Regenerate the manifest: `hub persisted FILES...`.")
            documents[expected] = text
        return cls(documents, frozenset(documents.values()))

    @classmethod
    def load(cls, path: Path | None) -> Manifest:
        if path is None:
            return cls.empty()
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise ManifestError(f"cannot read the persisted-documents manifest {path}: "
                                f"{exc.strerror}",
                                "Fix HUB_PERSISTED_QUERIES or unset it.") from None
        return cls.parse(raw, str(path))

    def __bool__(self) -> bool:
        return bool(self.documents)

    def resolve(self, body: Any, *, persisted_only: bool) -> str | None:
        """The document text to run for a decoded request body, or None to run the body
        as sent. Refusals raise :class:`PersistedError`."""
        if isinstance(body, list):  # a batch: every item must pass on its own
            for item in body:
                if self.resolve(item, persisted_only=persisted_only) is not None:
                    raise PersistedError("Persisted documents cannot be "
                                         "referenced by id inside a batch; send the text.")
            return None
        if not isinstance(body, dict):
            return None  # strawberry answers malformed bodies with its own 400
        wanted = _requested_id(body)
        if wanted is not None:
            text = self.documents.get(wanted if wanted.startswith(PREFIX) else PREFIX + wanted)
            if text is None:
                raise PersistedQueryNotFound("No persisted document has this id.")
            sent = body.get("query")
            if isinstance(sent, str) and sent != text:
                raise PersistedError("The query text does not match the document id.")
            return text
        if persisted_only and body.get("query") not in self.known_texts:
            raise PersistedQueryRequired("This party may run persisted documents only; send "
                                         "{\"documentId\": \"sha256:...\"}.")
        return None


def _requested_id(body: dict[str, Any]) -> str | None:
    wanted = body.get("documentId")
    if wanted is None:
        ext = body.get("extensions")
        pq = ext.get("persistedQuery") if isinstance(ext, dict) else None
        wanted = pq.get("sha256Hash") if isinstance(pq, dict) else None
    if wanted is None:
        return None
    if not isinstance(wanted, str) or not wanted:
        raise PersistedError("A document id must be a string.")
    return wanted


def build_manifest(paths: list[Path]) -> dict[str, str]:
    """A manifest from ``.graphql`` files: one document per file, keyed by its id."""
    out: dict[str, str] = {}
    for path in paths:
        text = path.read_text(encoding="utf-8")
        out[document_id(text)] = text
    return out
