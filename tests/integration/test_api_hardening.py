"""Protective limits, production hardening, rate limits, the 503 path and the audit trail."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import neo4j
import orjson

from hub.audit import verify
from hub.settings import Neo4jSettings, Settings
from tests.conftest import free_port, live_server
from tests.integration.api_world import IN_JJ, World, token, world

__all__ = ["world"]

STATUS = "query($c: [String!]!) { complianceStatus(usccs: $c, purpose: %s) { uscc known } }"


def codes(body: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors", [])]


def test_no_token_and_bad_token(world: World) -> None:
    assert world.data(None, "{ version }") == {"version": "0.1.0"}
    anonymous = world.gql(None, "{ me { party } }")
    assert anonymous.status_code == 401
    assert codes(anonymous.json()) == ["UNAUTHENTICATED"]
    assert anonymous.headers["www-authenticate"].startswith("Bearer")
    forged = world.gql(None, "{ me { party } }", headers={"authorization": "Bearer abc.def.ghi"})
    assert forged.status_code == 401
    assert 'error="invalid_token"' in forged.headers["www-authenticate"]


def test_insufficient_scope_is_403(world: World) -> None:
    from hub.auth import create_client

    assert world.graph is not None
    cid, secret = create_client(world.graph, "party-plat-01", ["compliance:read"])
    narrow = token(world.url, cid, secret)
    response = httpx.post(f"{world.url}/graphql", headers={"authorization": f"Bearer {narrow}"},
                          json={"query": "{ subjects(purpose: PERIODIC_SWEEP) { totalCount } }"})
    assert response.status_code == 403
    assert 'error="insufficient_scope"' in response.headers["www-authenticate"]


def test_query_limits(world: World) -> None:
    fields = " ".join(f"a{i}: version" for i in range(40))
    hidden = world.gql(None, f"query {{ ...F }} fragment F on Query {{ {fields} }}").json()
    assert "aliases" in hidden["errors"][0]["message"].lower()
    deep = world.gql("reg-cd", """query($u: String!) { relatedEntities(uscc: $u,
      purpose: SUPERVISION) { nodes { path { via { kind } } } } }""", {"u": IN_JJ})
    assert deep.status_code == 200 and "errors" not in deep.json()
    too_many_codes = world.gql("party-plat-01", STATUS % "ONBOARDING_CHECK",
                               {"c": [IN_JJ] * 1001}).json()
    assert codes(too_many_codes) == ["BAD_USER_INPUT"]
    page = world.gql("reg-cd", "{ subjects(purpose: SUPERVISION, first: 1001) { totalCount } }")
    assert codes(page.json()) == ["BAD_USER_INPUT"]
    batch = httpx.post(f"{world.url}/graphql", json=[{"query": "{ version }"}] * 2)
    assert batch.status_code == 400, "batching is off"
    tokens = world.gql(None, "{ " + "version " * 3000 + "}").json()
    assert "token" in tokens["errors"][0]["message"].lower()


def test_pagination_walks_every_subject_once(world: World) -> None:
    seen: list[str] = []
    after = None
    while True:
        data = world.data("reg-cd", """query($a: String) { subjects(purpose: SUPERVISION,
          first: 1, after: $a, orderBy: NAME) { totalCount pageInfo { hasNextPage endCursor }
          edges { node { uscc name } } } }""", {"a": after})["subjects"]
        seen += [e["node"]["uscc"] for e in data["edges"]]
        if not data["pageInfo"]["hasNextPage"]:
            break
        after = data["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)) == data["totalCount"] == 4
    # Pages of several rows keep the database's order within the page too.
    for order in ("USCC", "NAME", "SCORE_DESC"):
        page = world.data("reg-cd", f"""{{ subjects(purpose: SUPERVISION, first: 3,
          orderBy: {order}) {{ totalCount pageInfo {{ hasNextPage }}
          edges {{ node {{ uscc name score }} }} }} }}""")["subjects"]
        nodes = [e["node"] for e in page["edges"]]
        assert len(nodes) == 3 and page["pageInfo"]["hasNextPage"] and page["totalCount"] == 4
        if order == "USCC":
            assert [n["uscc"] for n in nodes] == sorted(seen)[:3]
        elif order == "NAME":
            assert [n["name"] for n in nodes] == sorted(n["name"] for n in nodes)
        else:
            scores = [-1.0 if n["score"] is None else n["score"] for n in nodes]
            assert scores == sorted(scores, reverse=True)


def test_audit_records_every_delivery_and_denial(world: World) -> None:
    world.data("party-plat-01", STATUS % "ONBOARDING_CHECK", {"c": [IN_JJ]})
    world.gql("party-plat-01", STATUS % "ENFORCEMENT", {"c": [IN_JJ]})
    assert world.audit_dir is not None
    report = verify(world.audit_dir)
    assert report.ok, report
    lines = [orjson.loads(line) for line in
             (world.audit_dir / "audit.jsonl").read_bytes().splitlines()]
    mine = [r for r in lines if r["party"] == "party-plat-01"]
    assert [(r["operation"], r["outcome"]) for r in mine[-2:]] == [
        ("complianceStatus", "allowed"), ("complianceStatus", "denied")]
    assert mine[-2]["record_ids"] == [IN_JJ] and mine[-2]["purpose"] == "onboarding_check"


def test_rate_limit_answers_429(world: World, hub_settings: Settings, tmp_path: Path,
                                graph: neo4j.Driver) -> None:
    settings = hub_settings.model_copy(update={
        "key_dir": tmp_path / "keys", "audit_dir": tmp_path / "audit2",
        "rate_limit_per_second": 0.5, "rate_limit_burst": 2})
    with live_server(settings) as url:
        statuses = []
        for _ in range(4):
            response = httpx.post(f"{url}/graphql", json={
                "query": STATUS % "ONBOARDING_CHECK", "variables": {"c": [IN_JJ]}},
                headers={"authorization": f"Bearer {world.tokens['party-plat-01']}"})
            statuses.append(response.status_code)
        assert statuses[:2] == [200, 200] and statuses[-1] == 429
        assert int(response.headers["retry-after"]) >= 1
        assert codes(response.json()) == ["RATE_LIMITED"]


def test_database_down_gives_503_without_details(world: World, hub_settings: Settings,
                                                 tmp_path: Path) -> None:
    port = free_port()
    settings = hub_settings.model_copy(update={
        "key_dir": tmp_path / "keys", "audit_dir": tmp_path / "audit3",
        "migrate_on_start": False, "db_timeout": 2.0,
        "neo4j": Neo4jSettings(uri=f"bolt://127.0.0.1:{port}", password="x")})  # type: ignore[arg-type]
    with live_server(settings) as url:
        response = httpx.post(f"{url}/graphql", json={
            "query": STATUS % "ONBOARDING_CHECK", "variables": {"c": [IN_JJ]}},
            headers={"authorization": f"Bearer {world.tokens['party-plat-01']}"}, timeout=60)
        assert response.status_code == 503
        assert response.elapsed.total_seconds() < 2.0 + 2.5  # HUB_DB_TIMEOUT, loaded CI
        assert response.headers["retry-after"] == "5"
        assert codes(response.json()) == ["UNAVAILABLE"]
        assert str(port) not in response.text and "bolt" not in response.text


def test_production_hardening(world: World, hub_settings: Settings, tmp_path: Path) -> None:
    settings = hub_settings.model_copy(update={
        "env": "production", "pii_key": "another-long-production-like-key",
        "key_dir": tmp_path / "keys", "audit_dir": tmp_path / "audit4"})
    auth = {"authorization": f"Bearer {world.tokens['reg-cd']}"}
    with live_server(settings) as url:
        intro = httpx.post(f"{url}/graphql", json={"query": "{ __schema { types { name } } }"},
                           headers=auth).json()
        assert "introspection" in intro["errors"][0]["message"].lower()
        typo = httpx.post(f"{url}/graphql", json={"query": "{ versio }"}, headers=auth).json()
        assert "Did you mean" not in typo["errors"][0]["message"]
        assert httpx.get(f"{url}/graphql", params={"query": "{ version }"}).status_code == 405
        assert httpx.get(f"{url}/graphql", headers={"accept": "text/html"}).status_code == 405
        form = httpx.post(f"{url}/graphql", data={"query": "{ version }"}, headers=auth)
        assert form.status_code == 415
        ok = httpx.post(f"{url}/graphql", json={"query": "{ version }"},
                        headers={**auth, "accept": "application/graphql-response+json"})
        assert ok.status_code == 200
        assert ok.headers["content-type"].startswith("application/graphql-response+json")
    with live_server(hub_settings.model_copy(update={
            "key_dir": tmp_path / "keys", "audit_dir": tmp_path / "audit5"})) as url:
        ide = httpx.get(f"{url}/graphql", headers={"accept": "text/html"})
        assert ide.status_code == 200 and "graphiql" in ide.text.lower()


def test_metrics_endpoint(world: World) -> None:
    world.data(None, "query Probe { version }")
    world.data(None, "query { ...V } fragment V on Query { v: version }")
    # Unauthenticated junk must not mint labels: only validated root fields do.
    for junk in ("{ made_up_field_1 }", "{ made_up_field_2 { x } }", "not graphql {",
                 "query { ...Missing }"):
        world.gql(None, junk)
    text = httpx.get(f"{world.url}/metrics").text
    assert 'hub_requests_total{operation="version",status="200"} 2' in text
    assert "hub_request_seconds_bucket" in text
    assert "made_up" not in text and "Missing" not in text
    labels = {line.split('operation="')[1].split('"')[0] for line in text.splitlines()
              if line.startswith("hub_requests_total{")}
    assert labels == {"version", "invalid"}


def test_subscription_over_http_is_a_clear_400(world: World) -> None:
    response = world.gql("party-plat-01", "subscription { alertNotifications("
                                          "purpose: PERIODIC_SWEEP) { id } }")
    assert response.status_code == 400
    assert "WebSocket" in response.json()["errors"][0]["message"]
    # The type is the selected operation's, from the parsed document (not a regex).
    mixed = ("query A { version } "
             "subscription B { alertNotifications(purpose: PERIODIC_SWEEP) { id } }")
    for name, status in (("B", 400), ("A", 200)):
        answer = httpx.post(f"{world.url}/graphql", timeout=30, json={
            "query": mixed, "operationName": name},
            headers={"authorization": f"Bearer {world.tokens['party-plat-01']}"})
        assert answer.status_code == status, answer.text
        assert "INTERNAL" not in answer.text
    assert "WebSocket" in httpx.post(f"{world.url}/graphql", timeout=30, json={
        "query": " # comment\n subscription { alertNotifications(purpose: PERIODIC_SWEEP) "
                 "{ id } }"}).json()["errors"][0]["message"]
