"""Mutations through real HTTP: idempotent replays, typed inputs, scope on writes."""

from __future__ import annotations

from typing import Any

from tests.integration.api_world import IN_JJ, IN_JJ2, IN_WH, World, world

__all__ = ["world"]

COMPLAINT = """mutation($k: String!, $u: String!, $on: String!) {
  reportComplaint(idempotencyKey: $k, purpose: COMPLAINT_HANDLING,
                  input: {uscc: $u, receivedOn: $on, category: "quality"}) {
    idempotencyKey replayed created updated unchanged ids rejected { index field reason } } }"""


def count(w: World, query: str, **params: Any) -> int:
    assert w.graph is not None
    records, _, _ = w.graph.execute_query(query, **params)
    return int(records[0][0])


def codes(body: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors", [])]


def test_report_complaint_is_idempotent(world: World) -> None:
    first = world.data("party-plat-01", COMPLAINT, {"k": "c-1", "u": IN_JJ, "on": "2026/3/5"})
    result = first["reportComplaint"]
    assert (result["created"], result["replayed"]) == (1, False)
    assert result["ids"] == ["party-plat-01:c-1"]
    again = world.data("party-plat-01", COMPLAINT, {"k": "c-1", "u": IN_JJ, "on": "2026/3/5"})
    assert again["reportComplaint"]["replayed"] is True
    assert again["reportComplaint"]["ids"] == result["ids"]
    assert count(world, "MATCH (c:Complaint {id: 'party-plat-01:c-1'}) RETURN count(c)") == 1
    stored = world.graph.execute_query(  # type: ignore[union-attr]
        "MATCH (c:Complaint {id: 'party-plat-01:c-1'})-[:VIA]->(p:Platform) "
        "RETURN c.src_party AS party, c.src_record AS rec, c.received_on AS on, p.id AS p"
    ).records[0]
    assert (stored["party"], stored["rec"], stored["on"], stored["p"]) == (
        "party-plat-01", "c-1", "2026-03-05", "plat-01"), "provenance from the token"
    clash = world.gql("party-plat-01", COMPLAINT, {"k": "c-1", "u": IN_WH, "on": "2026-03-05"})
    assert codes(clash.json()) == ["BAD_USER_INPUT"]
    bad = world.data("party-plat-01", COMPLAINT, {"k": "c-2", "u": "91510104MA6CJJ0101",
                                                  "on": "2026-03-05"})["reportComplaint"]
    assert bad["created"] == 0 and bad["rejected"][0]["field"] == "uscc"


def test_credit_evaluation_only_for_members(world: World) -> None:
    query = """mutation($k: String!, $u: String!) { submitCreditEvaluation(idempotencyKey: $k,
      purpose: CREDIT_EVALUATION, input: {uscc: $u, grade: "AAA", issuedOn: "2026-05-01",
      sharedWith: ["reg-jj"]}) { ids created } }"""
    ok = world.data("party-assoc-01", query, {"k": "ev-9", "u": IN_JJ})
    assert ok["submitCreditEvaluation"]["ids"] == ["assoc-01:ev-9"]
    assert count(world, "MATCH (:Association {id: 'assoc-01'})-[:ISSUED]->"
                        "(e:CreditEvaluation {id: 'assoc-01:ev-9'})-[:RATES]->(s) "
                        "RETURN count(e)") == 1
    refused = world.gql("party-assoc-01", query, {"k": "ev-10", "u": IN_WH}).json()
    assert codes(refused) == ["NOT_FOUND"], "a non-member is answered like an unknown code"
    assert count(world, "MATCH (e:CreditEvaluation {id: 'assoc-01:ev-10'}) RETURN count(e)") == 0
    assert codes(world.gql("party-plat-01", query, {"k": "x", "u": IN_JJ}).json()) == ["FORBIDDEN"]


def test_record_case_within_jurisdiction(world: World) -> None:
    query = """mutation($k: String!, $u: String!, $a: String!) { recordCase(idempotencyKey: $k,
      purpose: ENFORCEMENT, input: {uscc: $u, openedOn: "2026-06-01", authority: $a,
      outcome: PENALTY, fine: 2000}) { ids } }"""
    assert world.data("reg-jj", query, {"k": "k1", "u": IN_JJ, "a": "510104"})["recordCase"][
        "ids"] == ["reg-jj:k1"]
    assert codes(world.gql("reg-jj", query, {"k": "k2", "u": IN_WH, "a": "510104"}).json()) \
        == ["NOT_FOUND"]
    assert codes(world.gql("reg-jj", query, {"k": "k3", "u": IN_JJ, "a": "510107"}).json()) \
        == ["FORBIDDEN"]


def test_platform_pushes_stores_and_products(world: World) -> None:
    stores = """mutation($k: String!, $s: [StoreInput!]!) { upsertStores(idempotencyKey: $k,
      purpose: PERIODIC_SWEEP, stores: $s) { created updated ids rejected { index field } } }"""
    result = world.data("party-plat-01", stores, {"k": "s1", "s": [
        {"shopId": "N1", "uscc": IN_JJ2, "name": "乙的新店", "licenceDisplayed": True},
        {"shopId": "A1", "uscc": IN_JJ, "name": "甲的店(改名)", "licenceDisplayed": True},
    ]})["upsertStores"]
    assert (result["created"], result["updated"]) == (1, 1)
    assert set(result["ids"]) == {"plat-01/N1", "plat-01/A1"}
    revisions = count(world, "MATCH (r:Revision {of: 'Store', key: 'plat-01/A1'}) "
                             "RETURN count(r)")
    assert revisions == 1, "the old store name is kept as a revision"
    products = """mutation($k: String!, $p: [ProductInput!]!) { upsertProducts(
      idempotencyKey: $k, purpose: PERIODIC_SWEEP, products: $p) { created rejected {
      index field reason } } }"""
    pushed = world.data("party-plat-01", products, {"k": "p1", "p": [
        {"shopId": "N1", "productId": "X1", "title": "卷烟", "category": "tobacco"},
        {"shopId": "N1", "productId": "X2", "title": "?", "category": "weapons"},
    ]})["upsertProducts"]
    assert pushed["created"] == 1
    assert pushed["rejected"] == [{"index": 1, "field": "category",
                                   "reason": pushed["rejected"][0]["reason"]}]
    assert "weapons" in pushed["rejected"][0]["reason"]


def test_platform_action_only_on_own_merchants(world: World) -> None:
    query = """mutation($k: String!, $u: String!) { recordPlatformAction(idempotencyKey: $k,
      purpose: PERIODIC_SWEEP, input: {uscc: $u, action: SUSPEND, note: "劣质"}) { ids
      replayed } }"""
    ok = world.data("party-plat-01", query, {"k": "a1", "u": IN_JJ})["recordPlatformAction"]
    assert ok["ids"] == ["plat-01:a1"]
    assert world.data("party-plat-01", query, {"k": "a1", "u": IN_JJ})["recordPlatformAction"][
        "replayed"] is True
    assert count(world, "MATCH (x:PlatformAction)-[:AGAINST]->(:Subject {uscc: $u}) "
                        "RETURN count(x)", u=IN_JJ) == 1
    assert codes(world.gql("party-plat-01", query, {"k": "a2", "u": IN_JJ2}).json()) \
        == ["NOT_FOUND"]
