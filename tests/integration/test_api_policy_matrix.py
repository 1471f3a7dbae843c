"""The policy matrix: each party type × operation × objects inside / outside its scope.

One party must never see another party's data — asked directly, through a nested edge,
through a filter on a related node, through a count, or by guessing ids.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.api_world import IN_JJ, IN_JJ2, IN_WH, LONE, World, world

__all__ = ["world"]

STATUS = """query($c: [String!]!, $p: Purpose!) { complianceStatus(usccs: $c, purpose: $p) {
  uscc known reason name registrationStatus riskClass colour inSandbox openAlerts
  licenceDisplay recommendedAction } }"""

PORTRAIT = """query($u: String!, $p: Purpose!) { subject(uscc: $u, purpose: $p) {
  uscc name status provenance { party record }
  people { role person { name idNumber } }
  stores { platformId shopId products { productId category } }
  complaints { id details } evaluations { id issuer } cases { id } } }"""

LIST = """query($p: Purpose!, $f: SubjectFilter) { subjects(purpose: $p, filter: $f, first: 50) {
  totalCount edges { node { uscc } } } }"""


def statuses(w: World, party: str, codes: list[str], purpose: str) -> dict[str, Any]:
    data = w.data(party, STATUS, {"c": codes, "p": purpose})
    return {item["uscc"]: item for item in data["complianceStatus"]}


def errors(w: World, party: str, query: str, variables: dict[str, Any]) -> list[str]:
    body = w.gql(party, query, variables).json()
    return [e["extensions"]["code"] for e in body.get("errors", [])]


def test_compliance_status_views_per_party(world: World) -> None:
    codes = [IN_JJ, IN_JJ2, IN_WH, LONE]
    plat1 = statuses(world, "party-plat-01", codes, "ONBOARDING_CHECK")
    # Own merchants: the full view. Everyone else: the minimal status view.
    assert plat1[IN_JJ]["openAlerts"] == 0 and plat1[IN_JJ]["recommendedAction"] == "NONE"
    assert plat1[IN_JJ2]["known"] and plat1[IN_JJ2]["openAlerts"] is None
    assert plat1[IN_JJ2]["licenceDisplay"] is None and plat1[IN_JJ2]["registrationStatus"]
    assert plat1[LONE]["name"] == "锦****店", "an individual business's name is masked"
    # Licence display counts only the caller's own stores, never another platform's.
    assert plat1[IN_WH]["licenceDisplay"] == "SOME_MISSING"
    plat2 = statuses(world, "party-plat-02", codes, "PERIODIC_SWEEP")
    assert plat2[IN_WH]["licenceDisplay"] == "ALL_DISPLAYED"
    assert plat2[IN_JJ]["openAlerts"] is None

    jj = statuses(world, "reg-jj", codes, "SUPERVISION")
    assert jj[IN_JJ]["known"] and jj[LONE]["known"]
    assert jj[IN_WH] == {**jj[IN_WH], "known": False, "name": None,
                         "registrationStatus": None}, "outside the jurisdiction = unknown"
    city = statuses(world, "reg-cd", codes, "SUPERVISION")
    assert all(city[c]["known"] for c in codes)

    public = statuses(world, "public", codes, "PUBLIC_DISCLOSURE")
    assert public[IN_JJ]["known"] and public[IN_JJ]["registrationStatus"] is None
    assert public[IN_JJ]["openAlerts"] is None and public[IN_JJ]["inSandbox"] is None
    assert public[IN_WH]["licenceDisplay"] == "SOME_MISSING"  # across all platforms


@pytest.mark.parametrize(("party", "purpose"), [
    ("party-plat-01", "ENFORCEMENT"), ("reg-jj", "ONBOARDING_CHECK"),
    ("public", "SUPERVISION")])
def test_purpose_outside_the_partys_list_is_refused(world: World, party: str,
                                                    purpose: str) -> None:
    assert errors(world, party, STATUS, {"c": [IN_JJ], "p": purpose}) == ["FORBIDDEN"]


def test_operations_outside_the_policy_are_refused(world: World) -> None:
    assert errors(world, "party-assoc-01", STATUS,
                  {"c": [IN_JJ], "p": "CREDIT_EVALUATION"}) == ["FORBIDDEN"]
    assert errors(world, "public", LIST, {"p": "PUBLIC_DISCLOSURE"}) == ["FORBIDDEN"]
    related = "query { relatedEntities(uscc: \"%s\", purpose: ONBOARDING_CHECK) { root } }"
    assert errors(world, "party-plat-01", related % IN_JJ, {}) == ["FORBIDDEN"]


def test_portrait_nested_edges_stay_in_scope(world: World) -> None:
    p1 = world.data("party-plat-01", PORTRAIT, {"u": IN_WH, "p": "COMPLAINT_HANDLING"})
    portrait = p1["subject"]
    assert [s["shopId"] for s in portrait["stores"]] == ["W1"], "only plat-01's own store"
    assert [c["id"] for c in portrait["complaints"]] == ["C-P1"]
    assert portrait["people"] is None and portrait["evaluations"] is None
    assert portrait["cases"] is None
    assert portrait["provenance"]["party"] == "reg-cd"
    # A guessed id outside the platform's merchants reveals nothing.
    assert world.data("party-plat-01", PORTRAIT,
                      {"u": IN_JJ2, "p": "ONBOARDING_CHECK"})["subject"] is None

    reg = world.data("reg-jj", PORTRAIT, {"u": IN_JJ, "p": "SUPERVISION"})["subject"]
    [rep] = reg["people"]
    assert rep["person"]["name"] == "王小红"
    assert rep["person"]["idNumber"].count("*") == 8
    assert [e["id"] for e in reg["evaluations"]] == ["EV-1"]  # shared with reg-jj
    assert [c["id"] for c in reg["cases"]] == ["K-1"]
    assert world.data("reg-jj", PORTRAIT, {"u": IN_WH, "p": "SUPERVISION"})["subject"] is None
    wh = world.data("reg-wh", PORTRAIT, {"u": IN_WH, "p": "SUPERVISION"})["subject"]
    assert wh["evaluations"] == [], "EV-2 was shared with nobody"
    assert {s["shopId"] for s in wh["stores"]} == {"W1", "W2"}

    assoc = world.data("party-assoc-01", PORTRAIT, {"u": IN_JJ, "p": "CREDIT_EVALUATION"})
    assert [e["id"] for e in assoc["subject"]["evaluations"]] == ["EV-1"]
    assert assoc["subject"]["people"] is None and assoc["subject"]["stores"] is None
    assert world.data("party-assoc-01", PORTRAIT,
                      {"u": IN_WH, "p": "CREDIT_EVALUATION"})["subject"] is None


def listed(w: World, party: str, purpose: str, flt: dict[str, Any] | None = None
           ) -> tuple[int, set[str]]:
    data = w.data(party, LIST, {"p": purpose, "f": flt})["subjects"]
    return data["totalCount"], {e["node"]["uscc"] for e in data["edges"]}


def test_listing_and_counts_stay_in_scope(world: World) -> None:
    assert listed(world, "party-plat-01", "PERIODIC_SWEEP") == (2, {IN_JJ, IN_WH})
    assert listed(world, "party-plat-02", "PERIODIC_SWEEP") == (2, {IN_JJ2, IN_WH})
    assert listed(world, "reg-jj", "SUPERVISION") == (3, {IN_JJ, IN_JJ2, LONE})
    assert listed(world, "reg-wh", "SUPERVISION") == (1, {IN_WH})
    assert listed(world, "party-assoc-01", "CREDIT_EVALUATION") == (1, {IN_JJ})
    # A filter on a related node cannot probe another platform's data.
    assert errors(world, "party-plat-01", LIST, {"p": "PERIODIC_SWEEP",
                                                 "f": {"platform": "plat-02"}}) == ["FORBIDDEN"]
    # Category filter sees only the caller's own listings: IN_WH sells e-bikes on plat-02.
    assert listed(world, "party-plat-01", "PERIODIC_SWEEP",
                  {"productCategory": "e_bikes"}) == (0, set())
    assert listed(world, "party-plat-02", "PERIODIC_SWEEP",
                  {"productCategory": "e_bikes"}) == (1, {IN_WH})
    assert listed(world, "reg-cd", "SUPERVISION", {"division": "510107"}) == (1, {IN_WH})


def test_related_entities_respects_jurisdiction_and_relations(world: World) -> None:
    query = """query($u: String!, $d: Int, $v: [Relation!]) {
      relatedEntities(uscc: $u, depth: $d, via: $v, purpose: SUPERVISION) {
        truncated nodes { uscc depth reasons path { source target relation via { kind label } } }
        edges { source target relation } counts { subjects links } } }"""
    city = world.data("reg-cd", query, {"u": IN_JJ, "d": 2})["relatedEntities"]
    by = {n["uscc"]: n for n in city["nodes"]}
    assert set(by) == {IN_JJ2, IN_WH}
    assert by[IN_JJ2]["reasons"] == ["LEGAL_REPRESENTATIVE"]
    assert by[IN_JJ2]["path"][0]["via"] == {"kind": "person", "label": "王小红"}
    assert by[IN_WH]["reasons"] == ["SHARED_ADDRESS"]
    assert city["counts"]["subjects"] == 2 and not city["truncated"]
    # Every hop keeps the jurisdiction: reg-jj never reaches the Wuhou subject.
    district = world.data("reg-jj", query, {"u": IN_JJ, "d": 3})["relatedEntities"]
    assert {n["uscc"] for n in district["nodes"]} == {IN_JJ2}
    only_address = world.data("reg-cd", query, {"u": IN_JJ, "d": 2,
                                                "v": ["SHARED_ADDRESS"]})["relatedEntities"]
    assert {n["uscc"] for n in only_address["nodes"]} == {IN_WH}
    too_deep = world.gql("reg-cd", query, {"u": IN_JJ, "d": 9}).json()
    assert too_deep["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


def test_credit_evaluations_issued_or_shared(world: World) -> None:
    query = """query($p: Purpose!) { creditEvaluations(purpose: $p) {
      totalCount edges { node { id issuer uscc } } } }"""
    own = world.data("party-assoc-01", query, {"p": "CREDIT_EVALUATION"})
    assert {e["node"]["id"] for e in own["creditEvaluations"]["edges"]} == {"EV-1", "EV-2"}
    shared = world.data("reg-jj", query, {"p": "SUPERVISION"})["creditEvaluations"]
    assert [e["node"]["id"] for e in shared["edges"]] == ["EV-1"] and shared["totalCount"] == 1
    assert world.data("reg-wh", query, {"p": "SUPERVISION"})["creditEvaluations"][
        "totalCount"] == 0
    assert errors(world, "party-plat-01", query, {"p": "PERIODIC_SWEEP"}) == ["FORBIDDEN"]


def test_me(world: World) -> None:
    me = world.data("party-plat-01", "{ me { party partyType purposes operations "
                                      "remainingBudget scopes } }")["me"]
    assert me["party"] == "party-plat-01" and me["partyType"] == "platform"
    assert me["purposes"] == ["ONBOARDING_CHECK", "PERIODIC_SWEEP", "COMPLAINT_HANDLING"]
    assert "relatedEntities" not in me["operations"]
    assert 0 < me["remainingBudget"] <= 2_000_000
