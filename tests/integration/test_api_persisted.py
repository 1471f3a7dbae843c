"""Persisted documents over real HTTP: by id (GraphQL-over-HTTP and Apollo forms), and a
platform that opted into allow-list mode cannot run anything else."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import neo4j
import orjson
import pytest

from hub.api.persisted import build_manifest, document_id
from hub.settings import PROJECT_ROOT, Settings
from tests.conftest import live_server
from tests.integration.api_world import HTTP_TIMEOUT, IN_JJ, World, build_graph, token
from tests.integration.delivery_world import WAIT, receive, subscribe

CHECK = """query Check($u: [String!]!) {
  complianceStatus(usccs: $u, purpose: ONBOARDING_CHECK) { uscc known riskClass }
}
"""
ME = "query Me { me { party } }\n"


@pytest.fixture
def pq_world(graph: neo4j.Driver, hub_settings: Settings, tmp_path: Path) -> Iterator[World]:
    creds = build_graph(graph, tmp_path)
    (tmp_path / "check.graphql").write_text(CHECK, encoding="utf-8")
    (tmp_path / "me.graphql").write_text(ME, encoding="utf-8")
    manifest = tmp_path / "persisted.json"
    manifest.write_bytes(orjson.dumps(build_manifest([tmp_path / "check.graphql",
                                                      tmp_path / "me.graphql"])))
    policy = (PROJECT_ROOT / "policies" / "access.yaml").read_text(encoding="utf-8")
    policy = policy.replace("overrides: {}",
                            "overrides:\n  party-plat-01: {persisted_only: true}")
    (tmp_path / "access.yaml").write_text(policy, encoding="utf-8")
    settings = hub_settings.model_copy(update={
        "key_dir": tmp_path / "keys", "audit_dir": tmp_path / "audit",
        "policy_file": tmp_path / "access.yaml", "persisted_queries": manifest})
    with live_server(settings) as url:
        w = World(url=url, graph=graph)
        for pid in ("party-plat-01", "reg-cd"):
            w.tokens[pid] = token(url, *creds[pid])
        yield w


def post(w: World, party: str, body: Any) -> httpx.Response:
    return httpx.post(f"{w.url}/graphql", json=body, timeout=HTTP_TIMEOUT,
                      headers={"authorization": f"Bearer {w.tokens[party]}"})


def code(response: httpx.Response) -> str:
    return str(response.json()["errors"][0]["extensions"]["code"])


def test_persisted_documents_and_allow_list_mode(pq_world: World) -> None:
    w, doc_id = pq_world, document_id(CHECK)
    by_id = post(w, "party-plat-01", {"documentId": doc_id, "variables": {"u": [IN_JJ]}})
    assert by_id.status_code == 200, by_id.text
    item = by_id.json()["data"]["complianceStatus"][0]
    assert item["uscc"] == IN_JJ and item["known"] is True
    apollo = post(w, "party-plat-01", {"variables": {"u": [IN_JJ]}, "extensions": {
        "persistedQuery": {"version": 1, "sha256Hash": doc_id.removeprefix("sha256:")}}})
    assert apollo.json() == by_id.json()
    # The listed text itself is allowed; anything else is refused before execution.
    assert post(w, "party-plat-01", {"query": CHECK, "variables": {"u": [IN_JJ]}}
                ).json() == by_id.json()
    ad_hoc = post(w, "party-plat-01", {"query": "{ me { party scopes } }"})
    assert (ad_hoc.status_code, code(ad_hoc)) == (403, "PERSISTED_QUERY_REQUIRED")
    assert "data" not in ad_hoc.json()
    unknown = post(w, "party-plat-01", {"documentId": "sha256:" + "0" * 64})
    assert (unknown.status_code, code(unknown)) == (400, "PERSISTED_QUERY_NOT_FOUND")
    swapped = post(w, "party-plat-01", {"documentId": doc_id, "query": "{ me { party } }"})
    assert (swapped.status_code, code(swapped)) == (400, "BAD_REQUEST")


def test_allow_list_covers_websocket_subscriptions(pq_world: World) -> None:
    async def first() -> dict[str, Any] | None:
        ws = await subscribe(pq_world, "party-plat-01", "PERIODIC_SWEEP")
        try:
            return await receive(ws, WAIT)
        finally:
            await ws.close()

    refused = asyncio.run(first())
    assert refused is not None and refused["type"] == "error", refused
    assert refused["payload"][0]["extensions"]["code"] == "PERSISTED_QUERY_REQUIRED"


def test_other_parties_keep_free_form_queries(pq_world: World) -> None:
    w = pq_world
    free = post(w, "reg-cd", {"query": "{ me { party } }"})
    assert free.status_code == 200 and free.json()["data"]["me"]["party"] == "reg-cd"
    by_id = post(w, "reg-cd", {"documentId": document_id(ME)})
    assert by_id.json() == {"data": {"me": {"party": "reg-cd"}}}


def test_a_tampered_manifest_stops_start_up(hub_settings: Settings, tmp_path: Path) -> None:
    from hub.api.persisted import ManifestError
    from hub.app import create_app

    bad = tmp_path / "persisted.json"
    bad.write_bytes(orjson.dumps({document_id(CHECK): CHECK + "# edited"}))
    with pytest.raises(ManifestError, match="not the SHA-256"):
        create_app(hub_settings.model_copy(update={"persisted_queries": bad}))
