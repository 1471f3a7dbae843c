"""A small, hand-made world for the API tests: two districts, two platforms, one
association, related-entity clusters, and a live hub with a token per party.

Subjects (all valid USCCs):
  IN_JJ   Jinjiang 510104, store on plat-01 (licence shown), member of assoc-01
  IN_JJ2  Jinjiang 510104, store on plat-02 only, shares IN_JJ's legal representative
  IN_WH   Wuhou 510107, stores on plat-01 and plat-02, shares IN_JJ's address
  LONE    Jinjiang 510104, no store, no membership
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import neo4j
import orjson
import pytest

from hub.auth import clear_caches, create_agreement, create_client, create_party
from hub.identity import resident_id, uscc
from hub.ingest import IngestOptions, ingest
from hub.settings import Settings
from tests.conftest import live_server

KEY = b"test-pii-key-not-for-production"
# Generous: on a loaded machine a write that re-scores takes long; an idle one answers fast.
HTTP_TIMEOUT = 120.0
IN_JJ = uscc.make("91510104MA6CJJ010")
IN_JJ2 = uscc.make("91510104MA6CJJ020")
IN_WH = uscc.make("91510107MA6CWH010")
LONE = uscc.make("92510104MA6CLN010")
REP = resident_id.make("51010419800101123")
OTHER = resident_id.make("51010719900202456")

PARTIES: dict[str, dict[str, Any]] = {
    "reg-jj": {"party_type": "regulator", "name": "锦江区市场监管局", "jurisdictions": ["510104"]},
    "reg-wh": {"party_type": "regulator", "name": "武侯区市场监管局", "jurisdictions": ["510107"]},
    "reg-cd": {"party_type": "regulator", "name": "成都市市场监管局", "jurisdictions": ["510100"]},
    "party-plat-01": {"party_type": "platform", "name": "蓉品直播", "platform_id": "plat-01"},
    "party-plat-02": {"party_type": "platform", "name": "天府优选", "platform_id": "plat-02"},
    "party-assoc-01": {"party_type": "association", "name": "成都网商协会",
                       "association_id": "assoc-01"},
    "public": {"party_type": "public", "name": "公众"},
}


def _subject(code: str, name: str, **extra: Any) -> dict[str, Any]:
    return {"record_type": "subject", "record_id": f"s-{code}", "uscc": code, "name": name,
            "kind": "individual" if code.startswith("92") else "enterprise",
            "registered_on": "2015-06-01", **extra}


FEEDS: dict[str, tuple[str, list[dict[str, Any]]]] = {
    "registry": ("reg-cd", [
        _subject(IN_JJ, "锦江甲商贸有限公司", address="成都市锦江区红星路1号", phone="13800000001"),
        _subject(IN_JJ2, "锦江乙商贸有限公司"),
        _subject(IN_WH, "武侯丙商贸有限公司", address="成都市锦江区红星路1号"),
        _subject(LONE, "锦江丁小吃店"),
        {"record_type": "role", "record_id": "r1", "uscc": IN_JJ, "role": "legal_representative",
         "person_id": REP, "person_name": "王小红", "person_phone": "13900000000"},
        {"record_type": "role", "record_id": "r2", "uscc": IN_JJ2, "role": "legal_representative",
         "person_id": REP, "person_name": "王小红"},
        {"record_type": "role", "record_id": "r3", "uscc": IN_WH, "role": "legal_representative",
         "person_id": OTHER, "person_name": "李四"},
        {"record_type": "licence", "record_id": "l1", "uscc": IN_JJ, "licence_no": "JY1",
         "licence_type": "food_business", "valid_from": "2020-01-01", "valid_to": "2030-01-01"},
    ]),
    "platform": ("party-plat-01", [
        {"record_type": "store", "record_id": "st1", "platform_id": "plat-01", "shop_id": "A1",
         "uscc": IN_JJ, "name": "甲的店", "licence_displayed": True},
        {"record_type": "store", "record_id": "st2", "platform_id": "plat-01", "shop_id": "W1",
         "uscc": IN_WH, "name": "丙的店1", "licence_displayed": False},
        {"record_type": "product", "record_id": "g1", "platform_id": "plat-01", "shop_id": "A1",
         "product_id": "G1", "title": "火锅底料", "category": "food"},
    ]),
    "platform2": ("party-plat-02", [
        {"record_type": "store", "record_id": "st3", "platform_id": "plat-02", "shop_id": "B1",
         "uscc": IN_JJ2, "name": "乙的店", "licence_displayed": True},
        {"record_type": "store", "record_id": "st4", "platform_id": "plat-02", "shop_id": "W2",
         "uscc": IN_WH, "name": "丙的店2", "licence_displayed": True},
        {"record_type": "product", "record_id": "g2", "platform_id": "plat-02", "shop_id": "W2",
         "product_id": "G2", "title": "电动车", "category": "e_bikes"},
    ]),
    "complaints": ("reg-cd", [
        {"record_type": "complaint", "record_id": "c1", "complaint_id": "C-P1", "uscc": IN_WH,
         "channel": "platform", "platform_id": "plat-01", "received_on": "2026-01-02"},
        {"record_type": "complaint", "record_id": "c2", "complaint_id": "C-P2", "uscc": IN_WH,
         "channel": "platform", "platform_id": "plat-02", "received_on": "2026-01-03"},
    ]),
    "enforcement": ("reg-cd", [
        {"record_type": "case", "record_id": "k1", "case_id": "K-1", "uscc": IN_JJ,
         "opened_on": "2026-02-01", "authority": "510104", "outcome": "light"},
    ]),
    "association": ("party-assoc-01", [
        {"record_type": "association", "record_id": "a0", "association_id": "assoc-01",
         "name": "成都网商协会"},
        {"record_type": "membership", "record_id": "m1", "association_id": "assoc-01",
         "uscc": IN_JJ, "joined_on": "2021-01-01"},
        {"record_type": "evaluation", "record_id": "e1", "evaluation_id": "EV-1",
         "association_id": "assoc-01", "uscc": IN_JJ, "grade": "AA", "issued_on": "2026-01-01",
         "shared_with": ["reg-jj"]},
        {"record_type": "evaluation", "record_id": "e2", "evaluation_id": "EV-2",
         "association_id": "assoc-01", "uscc": IN_WH, "grade": "B", "issued_on": "2026-01-01",
         "shared_with": []},
    ]),
}


@dataclass
class World:
    url: str
    tokens: dict[str, str] = field(default_factory=dict)
    graph: neo4j.Driver | None = None
    audit_dir: Path | None = None

    def gql(self, party: str | None, query: str, variables: dict[str, Any] | None = None,
            **kw: Any) -> httpx.Response:
        headers = {"authorization": f"Bearer {self.tokens[party]}"} if party else {}
        headers.update(kw.pop("headers", {}))
        return httpx.post(f"{self.url}/graphql", json={"query": query,
                                                       "variables": variables or {}},
                          headers=headers, timeout=HTTP_TIMEOUT, **kw)

    def data(self, party: str | None, query: str, variables: dict[str, Any] | None = None
             ) -> dict[str, Any]:
        response = self.gql(party, query, variables)
        body = response.json()
        assert "errors" not in body, body
        assert response.status_code == 200, body
        return body["data"]  # type: ignore[no-any-return]


def build_graph(graph: neo4j.Driver, tmp: Path) -> dict[str, tuple[str, str | None]]:
    """Parties, agreements, clients and the feeds above; returns client credentials."""
    clear_caches()
    creds = {}
    for pid, spec in PARTIES.items():
        create_party(graph, party_id=pid, **spec)
        if spec["party_type"] == "platform":
            today = date.today()
            create_agreement(graph, party_id=pid, valid_from=today - timedelta(days=30),
                             valid_to=today + timedelta(days=365))
        creds[pid] = create_client(graph, pid)
    for name, (party, records) in FEEDS.items():
        path = tmp / f"{name}.jsonl"
        path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
        source = "platform" if name.startswith("platform") else name
        summary = ingest(graph, "neo4j", source, path, IngestOptions(party=party), KEY)
        assert summary.rejected == 0, summary
    return creds


def token(url: str, client_id: str, secret: str | None) -> str:
    response = httpx.post(f"{url}/oauth/token", data={"grant_type": "client_credentials"},
                          auth=(client_id, secret or ""), timeout=HTTP_TIMEOUT)
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


@pytest.fixture
def world(graph: neo4j.Driver, hub_settings: Settings, tmp_path: Path) -> Iterator[World]:
    creds = build_graph(graph, tmp_path)
    settings = hub_settings.model_copy(update={
        "key_dir": tmp_path / "keys", "audit_dir": tmp_path / "audit"})
    with live_server(settings) as url:
        w = World(url=url, graph=graph, audit_dir=tmp_path / "audit")
        for pid, (cid, secret) in creds.items():
            w.tokens[pid] = token(url, cid, secret)
        yield w


# -- The policy world: the world above plus what the generated policy test needs --------
# (a second association, closed stores in and past the grace period, alerts pushed to
# one platform, facts with properties outside the allow-lists).
ASSOC2_MEMBER = IN_WH
CLOSED_OLD = uscc.make("91510104MA6CCL010")   # Jinjiang; plat-01 store closed in 2020
CLOSED_NEW = uscc.make("91510104MA6CCL020")   # Jinjiang; plat-01 store closed yesterday

POLICY_PARTIES: dict[str, dict[str, Any]] = {
    "party-assoc-02": {"party_type": "association", "name": "四川电商诚信联盟",
                       "association_id": "assoc-02"},
}


def _policy_feeds() -> dict[str, tuple[str, list[dict[str, Any]]]]:
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    return {
        "registry": ("reg-cd", [
            _subject(CLOSED_OLD, "锦江戊商贸有限公司"),
            _subject(CLOSED_NEW, "锦江己商贸有限公司"),
            {"record_type": "annual_report", "record_id": "ar1", "uscc": IN_JJ, "year": 2025,
             "filed_on": "2026-03-01"},
            {"record_type": "registration_change", "record_id": "rc1", "uscc": IN_WH,
             "change_id": "RC-WH-1", "changed_on": "2026-02-02", "item": "address",
             "before": "旧址", "after": "新址", "published": False},
        ]),
        "platform": ("party-plat-01", [
            {"record_type": "store", "record_id": "st5", "platform_id": "plat-01",
             "shop_id": "CL-OLD", "uscc": CLOSED_OLD, "name": "戊的店",
             "closed_on": "2020-01-01"},
            {"record_type": "store", "record_id": "st6", "platform_id": "plat-01",
             "shop_id": "CL-NEW", "uscc": CLOSED_NEW, "name": "己的店", "closed_on": yesterday},
        ]),
        "platform2": ("party-plat-02", [
            {"record_type": "product", "record_id": "g3", "platform_id": "plat-02",
             "shop_id": "W2", "product_id": "G3-FOOD", "title": "腊肉", "category": "food"},
        ]),
        "enforcement": ("reg-cd", [
            {"record_type": "inspection", "record_id": "i1", "inspection_id": "INS-WH-1",
             "uscc": IN_WH, "inspected_on": "2026-03-03", "authority": "510107",
             "result": "issues", "inspector_ids": ["INSPECTOR-SECRET-7"]},
            {"record_type": "case", "record_id": "k2", "case_id": "K-WH-2", "uscc": IN_WH,
             "opened_on": "2026-03-04", "authority": "510107", "outcome": "penalty",
             "fine": 5000, "legal_basis": "电子商务法第七十六条"},
        ]),
        "association2": ("party-assoc-02", [
            {"record_type": "association", "record_id": "b0", "association_id": "assoc-02",
             "name": "四川电商诚信联盟"},
            {"record_type": "membership", "record_id": "bm1", "association_id": "assoc-02",
             "uscc": ASSOC2_MEMBER, "joined_on": "2022-01-01"},
            {"record_type": "evaluation", "record_id": "be1", "evaluation_id": "EV-3",
             "association_id": "assoc-02", "uscc": IN_WH, "grade": "A",
             "issued_on": "2026-02-01", "shared_with": ["reg-wh", "party-assoc-01"]},
        ]),
    }


#: Alerts written as the credit engine would (ids, rule, NOTIFIES to the platforms told).
POLICY_ALERTS = [
    {"id": "AL-JJ-1", "uscc": IN_JJ, "notify": ["party-plat-01", "reg-jj"]},
    {"id": "AL-WH-1", "uscc": IN_WH, "notify": ["party-plat-02", "reg-wh"]},
    {"id": "AL-WH-2", "uscc": IN_WH, "notify": ["reg-wh"]},
]


def build_policy_graph(graph: neo4j.Driver, tmp: Path) -> dict[str, tuple[str, str | None]]:
    """:func:`build_graph` plus the policy world's parties, feeds and alerts."""
    creds = build_graph(graph, tmp)
    for pid, spec in POLICY_PARTIES.items():
        create_party(graph, party_id=pid, **spec)
        creds[pid] = create_client(graph, pid)
    for name, (party, records) in _policy_feeds().items():
        path = tmp / f"policy-{name}.jsonl"
        path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
        source = ("platform" if name.startswith("platform") else
                  "association" if name.startswith("association") else name)
        summary = ingest(graph, "neo4j", source, path, IngestOptions(party=party), KEY)
        assert summary.rejected == 0, summary
    graph.execute_query("""
        UNWIND $alerts AS x
        MATCH (s:Subject {uscc: x.uscc})
        CREATE (a:Alert {id: x.id, uscc: x.uscc, rule: 'change_unpublished',
                         severity: 'high', status: 'screen', created_at: '2026-03-05',
                         deadline: '2026-04-05', division: s.division})-[:ABOUT]->(s)
        WITH a, x UNWIND x.notify AS p
        MATCH (party:Party {id: p}) CREATE (a)-[:NOTIFIES]->(party)""",
                        alerts=POLICY_ALERTS)
    return creds
