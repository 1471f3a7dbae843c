"""Persisted documents: the manifest's integrity and the per-request rules (pure)."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from hub.api.persisted import Manifest, ManifestError, PersistedError, build_manifest, document_id

DOC = "query($u: [String!]!) { complianceStatus(usccs: $u, purpose: ONBOARDING_CHECK) { uscc } }"


def manifest() -> Manifest:
    return Manifest.parse(orjson.dumps({document_id(DOC): DOC}), "m.json")


def test_ids_are_sha256_of_the_text() -> None:
    assert document_id(DOC).startswith("sha256:") and len(document_id(DOC)) == 7 + 64
    assert document_id(DOC) != document_id(DOC + " ")


def test_manifest_refuses_tampered_or_malformed_files(tmp_path: Path) -> None:
    edited = {document_id(DOC): DOC.replace("uscc", "uscc known")}
    with pytest.raises(ManifestError, match="not the SHA-256"):
        Manifest.parse(orjson.dumps(edited), "m.json")
    with pytest.raises(ManifestError, match="JSON object"):
        Manifest.parse(b"[]", "m.json")
    with pytest.raises(ManifestError, match="not JSON"):
        Manifest.parse(b"{", "m.json")
    with pytest.raises(ManifestError, match="cannot read"):
        Manifest.load(tmp_path / "missing.json")
    bare = {document_id(DOC).removeprefix("sha256:"): DOC}  # Relay writes bare hex ids
    assert Manifest.parse(orjson.dumps(bare), "m.json").documents == {document_id(DOC): DOC}


def test_build_manifest_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "cs.graphql"
    path.write_text(DOC, encoding="utf-8")
    built = build_manifest([path])
    assert Manifest.parse(orjson.dumps(built), "built").documents == {document_id(DOC): DOC}


def test_resolve_by_id_and_by_apollo_extension() -> None:
    m = manifest()
    assert m.resolve({"documentId": document_id(DOC)}, persisted_only=True) == DOC
    apollo = {"extensions": {"persistedQuery": {"version": 1,
                                                "sha256Hash": document_id(DOC)[7:]}}}
    assert m.resolve(apollo, persisted_only=False) == DOC
    assert m.resolve({"query": DOC, "documentId": document_id(DOC)}, persisted_only=True) == DOC


@pytest.mark.parametrize(("body", "only", "status", "code"), [
    ({"documentId": "sha256:" + "0" * 64}, False, 400, "PERSISTED_QUERY_NOT_FOUND"),
    ({"documentId": 7}, False, 400, "BAD_REQUEST"),
    ({"documentId": document_id(DOC), "query": "{ version }"}, False, 400, "BAD_REQUEST"),
    ({"query": "{ version }"}, True, 403, "PERSISTED_QUERY_REQUIRED"),
    ([{"query": "{ version }"}], True, 403, "PERSISTED_QUERY_REQUIRED"),
    ([{"documentId": document_id(DOC)}], False, 400, "BAD_REQUEST"),
])
def test_refusals(body: object, only: bool, status: int, code: str) -> None:
    with pytest.raises(PersistedError) as err:
        manifest().resolve(body, persisted_only=only)
    assert (err.value.status, err.value.code) == (status, code)


def test_free_text_passes_unless_the_party_is_persisted_only() -> None:
    m = manifest()
    assert m.resolve({"query": "{ version }"}, persisted_only=False) is None
    assert m.resolve({"query": DOC}, persisted_only=True) is None  # the listed text itself
    assert m.resolve([{"query": DOC}], persisted_only=True) is None
    assert Manifest.empty().resolve({"query": "{ me { party } }"}, persisted_only=False) is None
