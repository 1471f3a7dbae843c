"""The credit engine through the API: a write re-scores, alerts reach the right parties,
regulators drive the loop, plans are reproducible."""

from __future__ import annotations

from typing import Any

from tests.integration.api_world import IN_JJ, IN_JJ2, IN_WH, World, world

__all__ = ["world"]

ALERTS = """query($p: Purpose!) { alerts(purpose: $p, first: 50) { totalCount
  edges { node { id uscc rule severity status deadline evidence } } } }"""


def alerts(w: World, party: str, purpose: str) -> list[dict[str, Any]]:
    return [e["node"] for e in w.data(party, ALERTS, {"p": purpose})["alerts"]["edges"]]


def test_tobacco_listing_raises_alert_for_the_right_parties(world: World) -> None:
    before = world.data("party-plat-01", """query($c: [String!]!) { complianceStatus(
      usccs: $c, purpose: PERIODIC_SWEEP) { riskClass colour inSandbox openAlerts } }""",
                        {"c": [IN_WH]})["complianceStatus"][0]
    assert before["openAlerts"] == 0
    pushed = world.data("party-plat-01", """mutation { upsertProducts(idempotencyKey: "t1",
      purpose: PERIODIC_SWEEP, products: [{shopId: "W1", productId: "T1", title: "香烟",
      category: "tobacco"}]) { created } }""")
    assert pushed["upsertProducts"]["created"] == 1

    mine = [a for a in alerts(world, "party-plat-01", "PERIODIC_SWEEP") if a["uscc"] == IN_WH]
    assert mine, "the write re-scored the subject and raised a red-line alert"
    tobacco = next(a for a in mine if "tobacco" in str(a["evidence"]).lower()
                   or "banned" in a["rule"])
    assert tobacco["deadline"] and tobacco["status"] != "closed"
    # The other platform with a store of IN_WH is notified too; a platform without one,
    # and a regulator of another district, are not.
    assert any(a["id"] == tobacco["id"] for a in alerts(world, "party-plat-02",
                                                        "PERIODIC_SWEEP"))
    assert all(a["uscc"] != IN_WH for a in alerts(world, "reg-jj", "SUPERVISION"))
    assert any(a["id"] == tobacco["id"] for a in alerts(world, "reg-wh", "SUPERVISION"))
    after = world.data("party-plat-01", """query($c: [String!]!) { complianceStatus(
      usccs: $c, purpose: PERIODIC_SWEEP) { openAlerts nearestDeadline inSandbox } }""",
                       {"c": [IN_WH]})["complianceStatus"][0]
    assert after["openAlerts"] >= 1 and after["nearestDeadline"] == min(
        a["deadline"] for a in mine)
    assert after["inSandbox"] is False

    step = """mutation($a: String!, $s: String!) { advanceAlert(purpose: SUPERVISION,
      alertId: $a, step: $s, note: "核查") { status } }"""
    refused = world.gql("reg-jj", step, {"a": tobacco["id"], "s": "analyse"}).json()
    assert refused["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    moved = world.data("reg-wh", step, {"a": tobacco["id"], "s": "analyse"})
    assert moved["advanceAlert"]["status"] == "analyse"
    bad = world.gql("reg-wh", step, {"a": tobacco["id"], "s": "screen"}).json()
    assert bad["errors"][0]["extensions"]["code"] == "INVALID_STEP"
    closed = world.data("reg-wh", """mutation($a: String!) { recordRectification(
      purpose: SUPERVISION, alertId: $a, note: "已下架") { status } }""", {"a": tobacco["id"]})
    assert closed["recordRectification"]["status"] == "closed"
    reminders = world.data("reg-wh", """query($u: String!) { reminders(purpose: SUPERVISION,
      uscc: $u) { kind title } }""", {"u": IN_WH})["reminders"]
    assert reminders, "closing an alert opens the credit-repair path"


def test_portrait_explains_the_class(world: World) -> None:
    world.data("party-plat-01", """mutation($u: String!) { upsertStores(idempotencyKey: "s",
      purpose: PERIODIC_SWEEP, stores: [{shopId: "A1", uscc: $u, name: "甲的店",
      licenceDisplayed: true}]) { created updated } }""", {"u": IN_JJ})
    credit = world.data("reg-jj", """query($u: String!) { subject(uscc: $u,
      purpose: SUPERVISION) { credit { riskClass score colour version explanation } } }""",
                        {"u": IN_JJ})["subject"]["credit"]
    assert credit["riskClass"] in {"A", "B", "C", "D"} and credit["version"]
    assert credit["colour"] in {"blue", "yellow", "red"}
    assert "indicator" in str(credit["explanation"]).lower() or credit["explanation"]


def test_sandbox_stats_and_inspection_plan(world: World) -> None:
    world.data("party-plat-01", """mutation($u: String!) { upsertStores(idempotencyKey: "s2",
      purpose: PERIODIC_SWEEP, stores: [{shopId: "N2", uscc: $u, name: "乙",
      licenceDisplayed: true}]) { created } }""", {"u": IN_JJ2})
    stats = world.data("reg-cd", """{ sandboxStats(purpose: SUPERVISION) { division total
      byDivision { key count } byPlatform { key count } } }""")["sandboxStats"]
    assert stats["division"] == "510100" and stats["total"] >= 0
    outside = world.gql("reg-jj", """{ sandboxStats(purpose: SUPERVISION,
      division: "510107") { total } }""").json()
    assert outside["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    plan = """query($s: String!) { inspectionPlan(purpose: SUPERVISION, division: "510104",
      period: "2026Q4", seed: $s, roster: ["I1", "I2", "I3", "I4"]) { seed targets } }"""
    first = world.data("reg-jj", plan, {"s": "42"})["inspectionPlan"]
    again = world.data("reg-jj", plan, {"s": "42"})["inspectionPlan"]
    assert first["targets"] == again["targets"] and first["seed"] == "42"
