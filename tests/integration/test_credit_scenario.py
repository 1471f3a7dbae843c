"""The credit engine end to end on the real Neo4j, with a moved clock.

A good subject is scored A and admitted to the sandbox; a red line (tobacco online)
fires with evidence and notifies exactly the right parties; deadlines pass and escalate;
rectification — by new data or by a regulator — closes the loop and opens credit repair.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import neo4j
import orjson
import pytest

from hub.credit import alerts as alert_engine
from hub.credit.backtest import backtest
from hub.credit.clock import now, set_clock
from hub.credit.config import load_policies
from hub.credit.engine import make_ingest_hook, rescore
from hub.credit.errors import InvalidParty, InvalidStep
from hub.credit.inspections import plan_inspections
from hub.credit.queries import alerts_for_party, credit_of, mark_delivered, pending_notifications
from hub.credit.reminders import reminders_for
from hub.credit.sandbox import sandbox_stats
from hub.credit.workflow import (
    advance_alert,
    record_platform_action,
    record_rectification,
    run_escalations,
)
from hub.identity import uscc
from hub.ingest import IngestOptions, ingest

KEY = b"test-pii-key-not-for-production"
DB = "neo4j"
A = uscc.make("91510104MA6C00010")  # Jinjiang district, Chengdu
B = uscc.make("91510104MA6C00020")
OTHERS = [uscc.make(f"9151010{4 + i % 2}MA6C1{i:04d}") for i in range(10)]


def feed(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    return path


def load(graph: neo4j.Driver, tmp: Path, name: str, source: str, party: str,
         records: list[dict[str, Any]]) -> None:
    hook = make_ingest_hook(graph, DB)
    summary = ingest(graph, DB, source, feed(tmp / f"{name}.jsonl", records),
                     IngestOptions(party=party), KEY, on_batch=hook)
    assert summary.rejected == 0, Path(summary.rejects_file or "").read_text()


def one(graph: neo4j.Driver, query: str, **params: Any) -> Any:
    records, _, _ = graph.execute_query(query, params, database_=DB)
    assert len(records) == 1, records
    return records[0]


@pytest.fixture
def parties(graph: neo4j.Driver) -> neo4j.Driver:
    graph.execute_query("""
        MERGE (:Party {id: 'reg-510100', type: 'regulator', jurisdictions: ['510100']})
        MERGE (:Party {id: 'reg-510000', type: 'regulator', jurisdictions: ['510000']})
        MERGE (:Party {id: 'reg-510107', type: 'regulator', jurisdictions: ['510107']})
        MERGE (:Party {id: 'reg-320100', type: 'regulator', jurisdictions: ['320100']})
        MERGE (:Party {id: 'party-plat-01', type: 'platform', platform_id: 'plat-01'})
        MERGE (:Party {id: 'party-plat-02', type: 'platform', platform_id: 'plat-02'})
        MERGE (:Party {id: 'party-plat-03', type: 'platform', platform_id: 'plat-03'})""",
                        database_=DB)
    return graph


def registry(code: str, rid: str, **extra: Any) -> dict[str, Any]:
    return {"record_type": "subject", "record_id": rid, "uscc": code, "name": f"测试商贸{rid}",
            "kind": "enterprise", "registered_on": "2016-04-01", **extra}


def reports(code: str) -> list[dict[str, Any]]:
    return [{"record_type": "annual_report", "record_id": f"ar-{code}-{y}", "uscc": code,
             "year": y, "filed_on": f"{y + 1}-04-01"} for y in (2022, 2023, 2024, 2025)]


def test_scenario(parties: neo4j.Driver, tmp_path: Path) -> None:
    g = parties
    set_clock(g, DB, "2026-07-01T09:00:00+00:00")
    assert now(g, DB).date().isoformat() == "2026-07-01"
    load(g, tmp_path, "reg", "registry", "reg-510100", [
        registry(A, "a"), registry(B, "b"), *reports(A), *reports(B),
        {"record_type": "licence", "record_id": "l1", "uscc": A, "licence_no": "JY1",
         "licence_type": "food_business", "valid_from": "2020-01-01", "valid_to": "2030-01-01"},
        # B changed its address a month ago and has not published it (warning rule).
        {"record_type": "registration_change", "record_id": "rc1", "uscc": B,
         "change_id": "CH-B1", "changed_on": "2026-06-01", "item": "address",
         "published": False},
        *[registry(c, f"o{i}") for i, c in enumerate(OTHERS)],
        *[r for c in OTHERS for r in reports(c)],
    ])
    load(g, tmp_path, "p1", "platform", "party-plat-01", [
        {"record_type": "store", "record_id": "s1", "platform_id": "plat-01", "shop_id": "S1",
         "uscc": A, "name": "A店", "licence_displayed": True},
        {"record_type": "product", "record_id": "g1", "platform_id": "plat-01",
         "shop_id": "S1", "product_id": "G1", "title": "辣酱", "category": "food"},
    ])
    load(g, tmp_path, "p2", "platform", "party-plat-02", [
        {"record_type": "store", "record_id": "s2", "platform_id": "plat-02", "shop_id": "S2",
         "uscc": A, "name": "A二店", "licence_displayed": True},
        {"record_type": "store", "record_id": "s3", "platform_id": "plat-02", "shop_id": "S3",
         "uscc": B, "name": "B店", "licence_displayed": True},
    ])

    # 1. A good subject: class A, blue, in the sandbox with reasons, explanation stored.
    a = credit_of(g, DB, A)
    assert (a["credit_class"], a["credit_colour"], a["in_sandbox"]) == ("A", "blue", True)
    assert a["credit_version"] == load_policies().credit.version
    assert a["sandbox_events"][0]["kind"] == "admitted"
    assert "class A" in a["sandbox_events"][0]["reasons"]
    assert a["minor_first_violation_exempt_eligible"] is True
    assert a["explanation"]["class"] == "A" and len(a["explanation"]["indicators"]) == 4
    b = credit_of(g, DB, B)
    assert b["in_sandbox"] is True  # a warning alert does not block admission
    assert [x["rule"] for x in alerts_for_party(g, DB, "reg-510100", uscc=B)] == [
        "unpublished_change"]

    # 2. A red line: tobacco listed online on plat-01.
    set_clock(g, DB, "2026-07-02T09:00:00+00:00")
    # (A product row names no subject: the store row in the same feed marks A touched.)
    load(g, tmp_path, "p1b", "platform", "party-plat-01", [
        {"record_type": "store", "record_id": "s1", "platform_id": "plat-01", "shop_id": "S1",
         "uscc": A, "name": "A店", "licence_displayed": True},
        {"record_type": "product", "record_id": "g2", "platform_id": "plat-01",
         "shop_id": "S1", "product_id": "T1", "title": "香烟", "category": "tobacco",
         "listed_on": "2026-07-01"},
    ])
    tob = one(g, "MATCH (a:Alert {rule: 'tobacco_online'})-[:ABOUT]->(:Subject {uscc: $u}) "
                 "RETURN a", u=A)["a"]
    assert (tob["severity"], tob["status"], tob["division"]) == ("red_line", "screen", "510104")
    assert tob["deadline"].startswith("2026-07-05") and tob["guidance"]
    evidence = orjson.loads(tob["evidence_json"])  # references, not copies of the facts
    assert evidence["refs"] == [{"kind": "Store", "id": "plat-01/S1"},
                                {"kind": "Product", "id": "plat-01/T1"}]
    assert "g2" not in tob["evidence_json"] and "香烟" not in tob["evidence_json"]
    notified = one(g, "MATCH (:Alert {id: $id})-[:NOTIFIES]->(p) RETURN collect(p.id) AS ps",
                   id=tob["id"])["ps"]
    assert sorted(notified) == ["party-plat-01", "party-plat-02", "reg-510000", "reg-510100"]
    outbox = pending_notifications(g, DB, "party-plat-01")
    assert [n["alert_id"] for n in outbox] == [tob["id"]]
    assert outbox[0]["alert"]["evidence"]["refs"][0] == {"kind": "Store", "id": "plat-01/S1"}
    assert pending_notifications(g, DB, "party-plat-03") == []
    assert pending_notifications(g, DB, "reg-510107") == []
    assert mark_delivered(g, DB, "party-plat-01", [outbox[0]["id"]], now(g, DB)) == 1
    assert pending_notifications(g, DB, "party-plat-01") == []
    a = credit_of(g, DB, A)
    assert (a["credit_class"], a["credit_colour"], a["in_sandbox"]) == ("C", "yellow", False)
    removed = a["sandbox_events"][0]
    assert removed["kind"] == "removed"
    assert any(tob["id"] in reason for reason in removed["reasons"])
    explained = str(a["explanation"])
    assert "plat-01/T1" in explained and "g2" not in explained
    assert a["class_changes"][0]["from"] == "A" and a["class_changes"][0]["to"] == "C"

    # Re-evaluating raises nothing new (deterministic ids).
    before = one(g, "MATCH (a:Alert) RETURN count(a) AS n")["n"]
    again = alert_engine.evaluate(g, DB, load_policies(), [A, B], now(g, DB))
    assert sum(r.raised for r in again) == 0
    assert one(g, "MATCH (a:Alert) RETURN count(a) AS n")["n"] == before

    # 3. The closed loop: steps recorded, invalid moves refused.
    advance_alert(g, DB, tob["id"], "analyse", "reg-510100", "confirmed on the shop page")
    with pytest.raises(InvalidStep, match="cannot move"):
        advance_alert(g, DB, tob["id"], "follow_up", "reg-510100", "skip")
    with pytest.raises(InvalidParty):
        advance_alert(g, DB, tob["id"], "transfer", "party-plat-01", "not a regulator")
    advance_alert(g, DB, tob["id"], "transfer", "reg-510100", "to the Jinjiang bureau")

    # 4. Deadlines pass: both alerts escalate; B (only a warning) leaves the sandbox.
    set_clock(g, DB, "2026-07-17T09:00:00+00:00")
    escalated = {r["id"]: r for r in run_escalations(g, DB)}
    assert escalated[tob["id"]]["action"] == "suspend"  # a red line starts at suspend
    b_alert = alerts_for_party(g, DB, "reg-510100", uscc=B)[0]
    assert escalated[b_alert["id"]]["action"] == "warn"
    assert b_alert["escalated_at"] and b_alert["recommended_action"] == "warn"
    b = credit_of(g, DB, B)
    assert b["in_sandbox"] is False and b["credit_class"] == "C"
    assert any("rectification overdue" in r for r in b["sandbox_events"][0]["reasons"])
    assert b["credit_scored_at"].startswith("2026-07-17")
    esc = [n for n in pending_notifications(g, DB, "party-plat-01") if n["kind"] == "escalation"]
    assert esc and esc[0]["recommended_action"] == "suspend"

    # The platform suspends A in response (a red line of its own: platform_suspension).
    action = record_platform_action(g, DB, "party-plat-01", A, "suspend", alert_id=tob["id"])
    assert action["platform_id"] == "plat-01"
    assert [x["rule"] for x in alerts_for_party(g, DB, "reg-510100", uscc=A,
                                                rule="platform_suspension")] == [
        "platform_suspension"]

    # 5. Rectification by new data: the tobacco listing is gone → the alert closes.
    set_clock(g, DB, "2026-07-18T09:00:00+00:00")
    load(g, tmp_path, "p1c", "platform", "party-plat-01", [
        {"record_type": "store", "record_id": "s1", "platform_id": "plat-01", "shop_id": "S1",
         "uscc": A, "name": "A店", "licence_displayed": True},
        {"record_type": "product", "record_id": "g3", "platform_id": "plat-01",
         "shop_id": "S1", "product_id": "T1", "title": "香烟", "category": "tobacco",
         "listed_on": "2026-07-01", "delisted_on": "2026-07-18"},
    ])
    closed = alerts_for_party(g, DB, "reg-510100", uscc=A, rule="tobacco_online")[0]
    assert closed["status"] == "closed" and closed["rectified_at"]
    assert [s["step"] for s in closed["steps"]] == [
        "screen", "analyse", "transfer", "escalated", "closed"]
    assert all(s["by_party"] and s["at"] and s["note"] for s in closed["steps"])
    a = credit_of(g, DB, A)
    assert a["credit_repair_open"] is True
    assert "credit_repair" in {r["kind"] for r in reminders_for(g, DB, A)}
    assert "risk_points" in {r["kind"] for r in reminders_for(g, DB, A)}

    # Rectification recorded by a regulator closes B's alert; the upgrade waits for the
    # observation period of class C.
    with pytest.raises(InvalidParty):
        record_rectification(g, DB, b_alert["id"], "party-plat-02", "published")
    done = record_rectification(g, DB, b_alert["id"], "reg-510100", "change published")
    assert done["status"] == "closed"
    b = credit_of(g, DB, B)
    assert b["credit_class"] == "C" and b["credit_repair_open"] is True
    assert b["explanation"]["computed_class"] in ("A", "B")
    assert "observation period" in b["explanation"]["why"]
    # A person's closure is not undone by the data (the change is still unpublished).
    rescore(g, DB, [B])
    assert alerts_for_party(g, DB, "reg-510100", uscc=B)[0]["status"] == "closed"

    # Sandbox statistics by division and platform.
    stats = sandbox_stats(g, DB, "510100")
    assert stats["total"] == len(OTHERS)
    assert set(stats["by_division"]) == {"510104", "510105"}
    assert sandbox_stats(g, DB, "510107")["total"] == 0


def test_inspection_plan_and_backtest(parties: neo4j.Driver, tmp_path: Path) -> None:
    g = parties
    set_clock(g, DB, "2026-07-10T09:00:00+00:00")
    load(g, tmp_path, "reg", "registry", "reg-510100",
         [registry(c, f"o{i}") for i, c in enumerate([A, B, *OTHERS])])
    load(g, tmp_path, "p1", "platform", "party-plat-01", [
        {"record_type": "product", "record_id": "g2", "platform_id": "plat-01",
         "shop_id": "S1", "product_id": "T1", "title": "香烟", "category": "tobacco",
         "listed_on": "2026-07-01"},
        {"record_type": "store", "record_id": "s1", "platform_id": "plat-01", "shop_id": "S1",
         "uscc": A, "name": "A店", "licence_displayed": True},
    ])
    roster = ["INS-1", "INS-2", "INS-3", "INS-4"]
    first = plan_inspections(g, DB, "510104", "2026Q3", 7, roster)
    same = plan_inspections(g, DB, "510104", "2026Q3", 7, roster)
    other = plan_inspections(g, DB, "510104", "2026Q3", 8, roster)
    assert first["targets"] == same["targets"] and first["targets"]
    assert first["snapshot_hash"] == same["snapshot_hash"]
    assert other["targets"] != first["targets"]
    assert all(len(set(t["inspectors"])) == 2 for t in first["targets"])
    assert {t["uscc"][2:8] for t in first["targets"]} == {"510104"}
    plan = one(g, "MATCH (p:InspectionPlan {id: $id}) RETURN p", id=first["id"])["p"]
    assert plan["seed"] == "7" and plan["rule_version"] and plan["snapshot_hash"]

    alerts_before = one(g, "MATCH (a:Alert) RETURN count(a) AS n")["n"]
    result = backtest(g, DB, "tobacco_online", date(2026, 5, 1),
                      date(2026, 7, 10))
    assert [m["new_alerts"] for m in result["months"]] == [0, 0, 1]
    assert one(g, "MATCH (a:Alert) RETURN count(a) AS n")["n"] == alerts_before
