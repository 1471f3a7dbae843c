"""Derived artefacts rendered for their reader (issue #11): the credit explanation and
alert evidence through the real HTTP stack on the real Neo4j, the subscription message
and the signed webhook body.

IN_WH (Wuhou 510107) has stores on plat-01 and plat-02, a complaint via each, tobacco
listed in its plat-02 store, a penalty case with a fine, an inspection, an evaluation
shared with no one, and a legal representative shared with LONE (Jinjiang 510104: outside
Wuhou's jurisdiction, inside Chengdu's).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import neo4j
import orjson
import pytest

from hub.credit.engine import rescore
from hub.credit.explain_render import WITHHELD_OLD
from hub.delivery.webhooks import add_webhook, verify
from hub.ingest import IngestOptions, ingest
from hub.settings import Settings
from tests.conftest import wait_until
from tests.integration.api_world import IN_WH, KEY, LONE, OTHER, World
from tests.integration.delivery_world import hub_world, receive, receiver, subscribe

DAY = date.today()
CASE, INSPECTION, FINE = "K-WH-1", "I-WH-1", 54321.0
PORTRAIT = """query($u: String!, $p: Purpose!) { subject(uscc: $u, purpose: $p) {
  credit { riskClass score explanation } alerts { id rule evidence } } }"""
ALERTS = """query($p: Purpose!) {
  alerts(purpose: $p) { edges { node { id uscc rule evidence } } } }"""
# What plat-01 must never read about IN_WH, in any artefact.
FOREIGN = ["plat-02", CASE, str(int(FINE)), INSPECTION, "EV-2", LONE, "C-P2"]


def _feed(graph: neo4j.Driver, tmp: Path, name: str, source: str, party: str,
          records: list[dict[str, Any]]) -> None:
    path = tmp / f"{name}.jsonl"
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    assert ingest(graph, "neo4j", source, path, IngestOptions(party=party), KEY).rejected == 0


def enrich(graph: neo4j.Driver, tmp: Path) -> None:
    """The facts above, then a re-score (which raises the alerts and notifies)."""
    _feed(graph, tmp, "enf", "enforcement", "reg-cd", [
        {"record_type": "case", "record_id": "kw1", "case_id": CASE, "uscc": IN_WH,
         "opened_on": (DAY - timedelta(days=30)).isoformat(), "authority": "510107",
         "outcome": "penalty", "fine": FINE, "legal_basis": "电子商务法第十二条"},
        {"record_type": "inspection", "record_id": "iw1", "inspection_id": INSPECTION,
         "uscc": IN_WH, "inspected_on": (DAY - timedelta(days=20)).isoformat(),
         "authority": "510107", "result": "issues"},
    ])
    _feed(graph, tmp, "reg", "registry", "reg-cd", [
        {"record_type": "role", "record_id": "r4", "uscc": LONE,
         "role": "legal_representative", "person_id": OTHER, "person_name": "李四"},
    ])
    _feed(graph, tmp, "tob", "platform", "party-plat-02", [
        {"record_type": "product", "record_id": "tw2", "platform_id": "plat-02",
         "shop_id": "W2", "product_id": "TW2", "title": "香烟", "category": "tobacco",
         "listed_on": DAY.isoformat()},
    ])
    rescore(graph, "neo4j", [IN_WH, LONE], neighbours=False)


@pytest.fixture
def w(graph: neo4j.Driver, hub_settings: Settings, tmp_path: Path) -> Iterator[World]:
    with hub_world(graph, hub_settings, tmp_path) as world:
        enrich(graph, tmp_path)
        yield world


def leaves(explanation: dict[str, Any]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}

    def walk(nodes: list[dict[str, Any]]) -> None:
        for node in nodes:
            if "children" in node:
                walk(node["children"])
            else:
                out[node["id"]] = node

    walk(explanation["indicators"])
    return out


def by_scorer(explanation: dict[str, Any], scorer: str) -> list[dict[str, Any]]:
    return [n for n in leaves(explanation).values() if n["scorer"] == scorer]


def withheld(node: dict[str, Any]) -> dict[str, int]:
    return {x["reason"]: x["count"] for x in node["withheld"]}


def portrait(w: World, party: str, purpose: str) -> dict[str, Any]:
    data: dict[str, Any] = w.data(party, PORTRAIT, {"u": IN_WH, "p": purpose})["subject"]
    return data


def test_explanation_shows_each_reader_only_what_it_may_see(w: World) -> None:
    plat = portrait(w, "party-plat-01", "PERIODIC_SWEEP")
    reg_wh = portrait(w, "reg-wh", "SUPERVISION")
    reg_cd = portrait(w, "reg-cd", "SUPERVISION")
    # Scores and classes are the same for everyone.
    assert plat["credit"]["score"] == reg_wh["credit"]["score"] == reg_cd["credit"]["score"]
    assert plat["credit"]["riskClass"] == reg_wh["credit"]["riskClass"]

    mine = plat["credit"]["explanation"]
    text = orjson.dumps(plat).decode()
    for secret in FOREIGN:
        assert secret not in text, secret
    (platforms,) = by_scorer(mine, "platforms_active")
    assert [f["id"] for f in platforms["facts"]] == ["plat-01/W1"]
    assert withheld(platforms) == {"held by other parties": 1}
    assert "value" not in platforms and platforms["points"] is not None
    assert platforms["withheld_note"] == "1 fact held by other parties"
    fines = by_scorer(mine, "fines_total")[0]
    assert fines["facts"] == [] and withheld(fines) == {"not shared with a platform": 1}
    assert "value" not in fines
    (inspected,) = by_scorer(mine, "inspections_weighted")
    assert withheld(inspected) == {"not shared with a platform": 1}
    (grade,) = by_scorer(mine, "evaluation_grade")
    assert withheld(grade) == {"not shared with a platform": 1} and "note" not in grade
    (related,) = by_scorer(mine, "related_count")
    assert withheld(related) == {"not shared with a platform": 1}
    complaints = next(n for n in by_scorer(mine, "complaints_count")
                      if n["facts"] or n["withheld"])
    assert [f["id"] for f in complaints["facts"]] == ["C-P1"]
    assert withheld(complaints) == {"held by other parties": 1}
    assert "held by other parties" in mine["withheld_note"]

    # The regulator of the district sees its subject's case, fine, inspection, both
    # platforms' stores; not the unshared evaluation, not the related subject in Jinjiang.
    theirs = reg_wh["credit"]["explanation"]
    fines = by_scorer(theirs, "fines_total")[0]
    assert [(f["id"], f["fine"], f["value"]) for f in fines["facts"]] == [(CASE, FINE, FINE)]
    assert fines["value"] == FINE and fines["withheld"] == []
    (inspected,) = by_scorer(theirs, "inspections_weighted")
    assert [f["id"] for f in inspected["facts"]] == [INSPECTION]
    (platforms,) = by_scorer(theirs, "platforms_active")
    assert sorted(f["id"] for f in platforms["facts"]) == ["plat-01/W1", "plat-02/W2"]
    assert platforms["value"] == 2
    (grade,) = by_scorer(theirs, "evaluation_grade")
    assert withheld(grade) == {"not shared with your party": 1}
    (related,) = by_scorer(theirs, "related_count")
    assert withheld(related) == {"outside your jurisdiction": 1}
    # The city regulator's jurisdiction covers Jinjiang: the related subject is shown.
    (related,) = by_scorer(reg_cd["credit"]["explanation"], "related_count")
    assert [(f["id"], f["via"]) for f in related["facts"]] == [(LONE, "person")]
    assert related["value"] == 1


def test_alert_evidence_is_rendered_for_the_reader(w: World) -> None:
    plat = portrait(w, "party-plat-01", "PERIODIC_SWEEP")
    alerts = {a["rule"]: a for a in plat["alerts"]}
    tobacco = alerts["tobacco_online"]["evidence"]
    assert tobacco["facts"] == [] and withheld(tobacco) == {"held by other parties": 2}
    assert tobacco["withheld_note"] == "2 facts held by other parties"
    case = alerts["penalty_case"]["evidence"]
    assert case["facts"] == [] and withheld(case) == {"not shared with a platform": 1}
    listed = w.data("party-plat-01", ALERTS, {"p": "PERIODIC_SWEEP"})["alerts"]["edges"]
    assert {e["node"]["rule"] for e in listed} >= {"tobacco_online", "penalty_case"}
    text = orjson.dumps([plat, listed]).decode()
    for secret in FOREIGN:
        assert secret not in text, secret
    reg = w.data("reg-wh", ALERTS, {"p": "SUPERVISION"})["alerts"]["edges"]
    seen = {e["node"]["rule"]: e["node"]["evidence"] for e in reg}
    facts = {(f["kind"], f["id"]) for f in seen["tobacco_online"]["facts"]}
    assert facts == {("Store", "plat-02/W2"), ("Product", "plat-02/TW2")}
    assert seen["penalty_case"]["facts"][0]["fine"] == FINE


def test_stored_blobs_of_the_older_format_are_withheld(w: World) -> None:
    assert w.graph is not None
    w.graph.execute_query("""
        MATCH (c:CreditAssessment {current: true})-[:ASSESSES]->(:Subject {uscc: $u})
        SET c.explanation_json = $old""", u=IN_WH, old=orjson.dumps({
        "uscc": IN_WH, "score": 50, "class": "C", "indicators": [{
            "id": "fines", "scorer": "fines_total", "points": 0, "contribution": 0,
            "value": FINE, "evidence": [{"kind": "Case", "id": CASE, "value": FINE}]}]}).decode())
    w.graph.execute_query("MATCH (a:Alert {uscc: $u}) SET a.evidence_json = $old", u=IN_WH,
                          old=orjson.dumps({"rule": "x", "store": "plat-02/W2",
                                            "case_id": CASE, "fine": FINE}).decode())
    plat = portrait(w, "reg-wh", "SUPERVISION")
    text = orjson.dumps(plat).decode()
    for secret in (CASE, str(int(FINE)), "plat-02"):
        assert secret not in text, secret
    (fines,) = leaves(plat["credit"]["explanation"]).values()
    assert withheld(fines) == {WITHHELD_OLD: 1} and fines["points"] == 0
    assert all(withheld(a["evidence"]) == {WITHHELD_OLD: 1} for a in plat["alerts"])


def test_push_payloads_are_rendered_for_the_recipient(graph: neo4j.Driver,
                                                      hub_settings: Settings,
                                                      tmp_path: Path) -> None:
    with receiver([200]) as rx, hub_world(graph, hub_settings, tmp_path,
                                          webhooks_enabled=True,
                                          webhook_poll_seconds=0.2) as w:
        _, secret = add_webhook(graph, "party-plat-01", rx.url)

        async def scenario() -> dict[str, Any]:
            ws = await subscribe(w, "party-plat-02", "PERIODIC_SWEEP")
            try:
                await asyncio.to_thread(enrich, graph, tmp_path)
                deadline = time.monotonic() + 30
                while time.monotonic() < deadline:
                    message = await receive(ws, deadline - time.monotonic())
                    assert message is not None and message["type"] == "next", message
                    note: dict[str, Any] = message["payload"]["data"]["alertNotifications"]
                    if note["alert"]["rule"] == "tobacco_online":
                        return note
                raise AssertionError("no tobacco alert reached plat-02")
            finally:
                await ws.close()

        # plat-02 listed the tobacco: its subscription shows its own store and listing.
        note = asyncio.run(scenario())
        facts = {(f["kind"], f["id"]) for f in note["alert"]["evidence"]["facts"]}
        assert facts == {("Store", "plat-02/W2"), ("Product", "plat-02/TW2")}
        # plat-01's signed webhook body: the same alert, none of plat-02's facts.
        bodies: dict[str, dict[str, Any]] = {}

        def both_delivered() -> bool:
            for r in rx.ok():
                assert verify(secret, r.body, r.headers["x-hub-signature"])
                payload = orjson.loads(r.body)
                bodies[payload["alert"]["rule"]] = payload
            return {"tobacco_online", "penalty_case"} <= set(bodies)

        wait_until(both_delivered, 30, "both alerts' webhook bodies")
        raw = b"".join(r.body for r in rx.ok()).decode()
        for secret_text in FOREIGN:
            assert secret_text not in raw, secret_text
        tobacco = bodies["tobacco_online"]["alert"]["evidence"]
        assert tobacco["facts"] == [] and withheld(tobacco) == {"held by other parties": 2}
        assert withheld(bodies["penalty_case"]["alert"]["evidence"]) == {
            "not shared with a platform": 1}
        assert bodies["tobacco_online"]["alert"]["uscc"] == IN_WH
