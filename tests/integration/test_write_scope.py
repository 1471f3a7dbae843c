"""Writes are scoped like reads (issue #11): every mutation × party type, real HTTP, real
Neo4j. An out-of-scope subject, an invisible alert id or another platform's store gets
the same answer as one that does not exist, and nothing is written; complaint channels
are per party type; no party creates a subject or a store by reference.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import neo4j
import pytest

from hub.api.mutations import ALERT_NOT_VISIBLE, STORE_NOT_FOUND, SUBJECT_NOT_VISIBLE
from hub.identity import uscc
from hub.settings import Settings
from tests.integration.api_world import IN_JJ, IN_JJ2, IN_WH, World
from tests.integration.delivery_world import hub_world, raise_tobacco_alert

UNKNOWN = uscc.make("91510104MA6CXX990")  # a valid code no feed ever sent
PURPOSE = {"regulator": "SUPERVISION", "platform": "PERIODIC_SWEEP",
           "association": "CREDIT_EVALUATION", "public": "PUBLIC_DISCLOSURE"}
PARTY = {"regulator": "reg-jj", "platform": "party-plat-01", "association": "party-assoc-01",
         "public": "public"}
# For each party type: a subject outside its scope (IN_JJ2: Jinjiang, plat-02's only).
OUTSIDE = {"regulator": IN_WH, "platform": IN_JJ2, "association": IN_WH, "public": IN_JJ}
INSIDE = {"regulator": IN_JJ, "platform": IN_JJ, "association": IN_JJ, "public": IN_JJ}
CHANNEL = {"regulator": "HOTLINE_12315", "platform": "PLATFORM", "association": "OPINION",
           "public": "PLATFORM"}

COMPLAINT = """mutation($k: String!, $u: String!, $c: ComplaintChannel!, $p: Purpose!) {
  reportComplaint(idempotencyKey: $k, purpose: $p,
                  input: {uscc: $u, receivedOn: "2026-11-01", channel: $c}) { ids } }"""
EVALUATION = """mutation($k: String!, $u: String!, $p: Purpose!) { submitCreditEvaluation(
  idempotencyKey: $k, purpose: $p, input: {uscc: $u, grade: "AAA", issuedOn: "2026-11-01"})
  { ids } }"""
CASE = """mutation($k: String!, $u: String!, $p: Purpose!) { recordCase(idempotencyKey: $k,
  purpose: $p, input: {uscc: $u, openedOn: "2026-11-01", authority: "510104",
  outcome: PENALTY, fine: 900}) { ids } }"""
ACTION = """mutation($k: String!, $u: String!, $a: String, $p: Purpose!) {
  recordPlatformAction(idempotencyKey: $k, purpose: $p,
                       input: {uscc: $u, action: WARN, alertId: $a}) { ids } }"""
STORES = """mutation($k: String!, $u: String!, $p: Purpose!) { upsertStores(idempotencyKey: $k,
  purpose: $p, stores: [{shopId: "Z9", uscc: $u, name: "新店"}]) {
  created ids rejected { index field reason } } }"""
PRODUCTS = """mutation($k: String!, $s: String!, $p: Purpose!) { upsertProducts(
  idempotencyKey: $k, purpose: $p, products: [{shopId: "A1", productId: "OK1", title: "茶",
  category: "food"}, {shopId: $s, productId: "Q1", title: "?", category: "food"}]) {
  created ids rejected { index field reason } } }"""
ADVANCE = """mutation($a: String!, $p: Purpose!) { advanceAlert(purpose: $p, alertId: $a,
  step: "analyse", note: "x") { status } }"""
RECTIFY = """mutation($a: String!, $p: Purpose!) { recordRectification(purpose: $p,
  alertId: $a, note: "x") { status } }"""


@pytest.fixture
def w(graph: neo4j.Driver, hub_settings: Settings, tmp_path: Path) -> Iterator[World]:
    with hub_world(graph, hub_settings, tmp_path) as world:
        yield world


def answer(w: World, party: str, query: str, variables: dict[str, Any]) -> list[tuple[str, str]]:
    body = w.gql(party, query, variables).json()
    return [(e["extensions"]["code"], e["message"]) for e in body.get("errors", [])]


def count(w: World, query: str, **params: Any) -> int:
    assert w.graph is not None
    return int(w.graph.execute_query(query, **params).records[0][0])


def nothing_written(w: World, party: str) -> None:
    """No fact by this party's calls in the tests below, no subject for UNKNOWN."""
    assert count(w, "MATCH (n) WHERE n.src_party = $p AND n.src_record STARTS WITH 'ws-' "
                    "RETURN count(n)", p=party) == 0
    assert count(w, "MATCH (s:Subject {uscc: $u}) RETURN count(s)", u=UNKNOWN) == 0


@pytest.mark.parametrize("ptype", ["regulator", "platform", "association", "public"])
def test_subject_writes_outside_scope_look_like_unknown_subjects(w: World, ptype: str) -> None:
    party, purpose = PARTY[ptype], PURPOSE[ptype]
    allowed = {"regulator": {COMPLAINT, CASE}, "platform": {COMPLAINT, ACTION},
               "association": {COMPLAINT, EVALUATION}, "public": set()}[ptype]
    for query in (COMPLAINT, EVALUATION, CASE, ACTION):
        extra = {"c": CHANNEL[ptype]} if query is COMPLAINT else {}
        hidden = answer(w, party, query, {"k": "ws-1", "u": OUTSIDE[ptype], "p": purpose,
                                          **extra})
        unknown = answer(w, party, query, {"k": "ws-2", "u": UNKNOWN, "p": purpose, **extra})
        assert hidden == unknown, (ptype, query)
        if query in allowed:
            assert hidden == [("NOT_FOUND", SUBJECT_NOT_VISIBLE)], (ptype, query)
        else:  # the operation itself is refused, whatever the subject
            assert [code for code, _ in hidden] == ["FORBIDDEN"], (ptype, query, hidden)
    nothing_written(w, party)


def test_complaint_channels_are_per_party_type(w: World) -> None:
    def report(party: str, channel: str, key: str, code: str = IN_JJ) -> list[tuple[str, str]]:
        purpose = "SUPERVISION" if party.startswith("reg") else (
            "CREDIT_EVALUATION" if "assoc" in party else "COMPLAINT_HANDLING")
        return answer(w, party, COMPLAINT, {"k": key, "u": code, "c": channel, "p": purpose})

    hotline = report("party-plat-01", "HOTLINE_12315", "ws-h")
    assert [code for code, _ in hotline] == ["FORBIDDEN"] and "12315" in hotline[0][1]
    assert [c for c, _ in report("party-assoc-01", "PLATFORM", "ws-a")] == ["FORBIDDEN"]
    nothing_written(w, "party-plat-01")
    nothing_written(w, "party-assoc-01")
    assert report("reg-jj", "HOTLINE_12315", "hot-1") == []
    assert report("party-plat-01", "PLATFORM", "desk-1") == []
    assert report("party-assoc-01", "OPINION", "op-1") == []
    assert count(w, "MATCH (c:Complaint)-[:AGAINST]->(:Subject {uscc: $u}) "
                    "WHERE c.src_record IN ['hot-1', 'desk-1', 'op-1'] RETURN count(c)",
                 u=IN_JJ) == 3


def test_alert_ids_a_party_may_not_see_look_like_unknown_ones(w: World, graph: neo4j.Driver,
                                                              tmp_path: Path) -> None:
    alert = raise_tobacco_alert(graph, tmp_path)  # about IN_JJ: plat-01, reg-jj notified
    # plat-02 enrols IN_JJ afterwards: the subject is its merchant now, the alert was
    # never pushed to it.
    enrol = w.data("party-plat-02", STORES, {"k": "enrol", "u": IN_JJ, "p": "PERIODIC_SWEEP"})
    assert enrol["upsertStores"]["created"] == 1
    assert count(w, "MATCH (:Alert {id: $a})-[:NOTIFIES]->(:Party {id: 'party-plat-02'}) "
                    "RETURN count(*)", a=alert) == 0

    def act(party: str, key: str, code: str, alert_id: str) -> list[tuple[str, str]]:
        return answer(w, party, ACTION, {"k": key, "u": code, "a": alert_id,
                                         "p": "PERIODIC_SWEEP"})

    never_notified = act("party-plat-02", "ws-1", IN_JJ, alert)
    assert never_notified == act("party-plat-02", "ws-2", IN_JJ, "AL-00000000000000000000")
    assert never_notified == [("NOT_FOUND", ALERT_NOT_VISIBLE)]
    # An alert about another subject is no alert of this one.
    assert act("party-plat-01", "ws-3", IN_WH, alert) == never_notified
    nothing_written(w, "party-plat-02")
    nothing_written(w, "party-plat-01")
    assert act("party-plat-01", "act-ok", IN_JJ, alert) == []
    assert count(w, "MATCH (:PlatformAction {id: 'plat-01:act-ok'})-[:RESPONDS_TO]->"
                    "(:Alert {id: $a}) RETURN count(*)", a=alert) == 1

    # Regulators: an alert outside the jurisdiction is answered like an unknown one.
    for query in (ADVANCE, RECTIFY):
        hidden = answer(w, "reg-wh", query, {"a": alert, "p": "SUPERVISION"})
        assert hidden == answer(w, "reg-wh", query, {"a": "AL-nope", "p": "SUPERVISION"})
        assert hidden == [("NOT_FOUND", ALERT_NOT_VISIBLE)]
        refused = answer(w, "party-plat-01", query, {"a": alert, "p": "PERIODIC_SWEEP"})
        assert refused == answer(w, "party-plat-01", query, {"a": "AL-nope",
                                                             "p": "PERIODIC_SWEEP"})
        assert [code for code, _ in refused] == ["FORBIDDEN"]
    assert count(w, "MATCH (st:AlertStep)-[:OF]->(:Alert {id: $a}) "
                    "WHERE st.by_party <> 'system' RETURN count(st)", a=alert) == 0


def test_platforms_create_neither_subjects_nor_stores(w: World) -> None:
    pushed = w.data("party-plat-01", STORES, {"k": "ws-s", "u": UNKNOWN,
                                             "p": "PERIODIC_SWEEP"})["upsertStores"]
    assert (pushed["created"], pushed["ids"]) == (0, [])
    assert pushed["rejected"] == [{"index": 0, "field": "uscc", "reason": SUBJECT_NOT_VISIBLE}]
    assert count(w, "MATCH (st:Store {key: 'plat-01/Z9'}) RETURN count(st)") == 0
    # A listing in another platform's shop (B1 is plat-02's) is answered like one in a
    # shop that does not exist; the valid listing of the same call is written.
    answers = []
    for key, shop in (("ws-p1", "B1"), ("ws-p2", "NOPE")):
        result = w.data("party-plat-01", PRODUCTS, {"k": key, "s": shop,
                                                   "p": "PERIODIC_SWEEP"})["upsertProducts"]
        answers.append(result["rejected"])
    assert answers[0] == answers[1] == [{"index": 1, "field": "shop_id",
                                         "reason": STORE_NOT_FOUND}]
    assert count(w, "MATCH (st:Store) WHERE st.key IN ['plat-01/B1', 'plat-01/NOPE'] "
                    "RETURN count(st)") == 0
    assert count(w, "MATCH (p:Product {product_id: 'Q1'}) RETURN count(p)") == 0
    assert count(w, "MATCH (:Store {key: 'plat-01/A1'})-[:LISTS]->(p:Product "
                    "{product_id: 'OK1'}) RETURN count(p)") == 1
    assert count(w, "MATCH (s:Subject {uscc: $u}) RETURN count(s)", u=UNKNOWN) == 0
