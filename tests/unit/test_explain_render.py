"""The pure parts of rendering artefacts for a reader (hub.credit.explain_render)."""

from __future__ import annotations

from typing import Any

import orjson

from hub.credit import explain_render as er
from hub.policy.compiled import PartyIdentity, PolicyBook

BOOK = PolicyBook.load()
PLATFORM = BOOK.compile(PartyIdentity("p1", "platform", platform_id="plat-01"), "subject",
                        "periodic_sweep")
REGULATOR = BOOK.compile(PartyIdentity("r1", "regulator", ("510104",)), "subject",
                         "supervision")

STORED: dict[str, Any] = {
    "format": 2, "uscc": "X", "score": 80.0, "class": "B", "indicators": [{
        "id": "top", "weight": 1.0, "points": 80.0, "contribution": 80.0, "children": [
            {"id": "platforms", "scorer": "platforms_active", "value": 2.0, "points": 60.0,
             "contribution": 30.0, "note": "n",
             "refs": [{"kind": "Store", "id": "plat-01/A", "field": "platform_id"},
                      {"kind": "Store", "id": "plat-02/B", "field": "platform_id"}]},
            {"id": "fines", "scorer": "fines_total", "value": 0.0, "points": 100.0,
             "contribution": 50.0, "refs": []}]}]}


def test_refs_are_collected_in_order() -> None:
    assert [r["id"] for r in er.refs_of("explanation", STORED)] == ["plat-01/A", "plat-02/B"]
    assert er.refs_of("explanation", {"indicators": STORED["indicators"]}) == [], "old format"
    evidence = {"format": 2, "rule": "r", "count": 3, "refs": [{"kind": "Case", "id": "K"}]}
    assert er.refs_of("evidence", evidence) == [{"kind": "Case", "id": "K"}]


def test_render_shows_visible_facts_and_counts_the_rest() -> None:
    got = {0: er.Resolved(True, True, {"platform_id": "plat-01"}),
           1: er.Resolved(True, False, None)}
    out = er._render("explanation", STORED, PLATFORM, got, iter([0, 1]))
    platforms, fines = out["indicators"][0]["children"]
    assert platforms["facts"] == [{"kind": "Store", "id": "plat-01/A", "platform_id": "plat-01",
                                   "field": "platform_id", "value": "plat-01"}]
    assert platforms["withheld"] == [{"count": 1, "reason": "held by other parties"}]
    assert "value" not in platforms and "note" not in platforms, "derived from a withheld fact"
    assert platforms["points"] == 60.0 and fines["value"] == 0.0 and fines["withheld"] == []
    assert out["withheld_note"] == "1 fact held by other parties" and out["score"] == 80.0
    assert "format" not in out and "plat-02" not in orjson.dumps(out).decode()


def test_reasons_follow_the_policy() -> None:
    case = {"kind": "Case", "id": "K"}
    found = er.Resolved(True, False, None)
    assert er.reason(PLATFORM, case, found) == "not shared with a platform"
    assert er.reason(REGULATOR, {"kind": "Related", "id": "Y"}, found) == \
        "outside your jurisdiction"
    assert er.reason(REGULATOR, {"kind": "CreditEvaluation", "id": "E"}, found) == \
        "not shared with your party"
    assert er.reason(REGULATOR, case, er.Resolved(False, False, None)) == "no longer on record"
    assert er.reason(REGULATOR, case, None) == "outside your scope"
    assert er.withheld_note([{"count": 2, "reason": "held by other parties"},
                             {"count": 1, "reason": "x"}]) == \
        "2 facts held by other parties; 1 fact x"


def test_unrendered_and_old_blobs_show_nothing() -> None:
    pending = er.pending("explanation", "X", orjson.dumps(STORED))
    assert pending is not None and pending.stored == STORED
    text = orjson.dumps(pending).decode()
    assert "plat-01/A" not in text and er.WITHHELD_UNRESOLVED in text
    old = {"rule": "tobacco_online", "store": "plat-02/B", "fine": 5000}
    view = er._render("evidence", old, REGULATOR, {}, iter(()))
    assert view == {"rule": "tobacco_online", "facts": [],
                    "withheld": [{"count": 1, "reason": er.WITHHELD_OLD}],
                    "withheld_note": f"1 fact {er.WITHHELD_OLD}"}
    assert er.pending("evidence", "X", None) is None


def test_resolve_query_composes_the_visibility_rules() -> None:
    text = er.resolve_query(PLATFORM)
    assert "x.platform_id = $p_platform" in text  # the Store / Product rule
    assert "WHERE r.kind = 'Case'" in text and ".src_party" in text  # provenance section
    assert er.resolve_query(PLATFORM) is text, "cached"
    assert "$p_prefixes" in er.resolve_query(REGULATOR)  # the subject's jurisdiction
