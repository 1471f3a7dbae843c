"""Pure scoring arithmetic: scorers, bands, weights, caps, observation, sandbox, helpers."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from hub.credit.config import read_policies
from hub.credit.divisions import covers
from hub.credit.errors import InvalidStep
from hub.credit.facts_model import Facts
from hub.credit.inspections import draw, periods_per_year
from hub.credit.policy import Band, Indicator
from hub.credit.reminders import applies, period_key
from hub.credit.sandbox import decide
from hub.credit.scorers import SCORERS, Context
from hub.credit.scoring import assess, hold_for_observation
from hub.credit.workflow import check_transition
from hub.settings import PROJECT_ROOT

POL = read_policies(PROJECT_ROOT / "policies")
NOW = datetime(2026, 7, 1, 9, tzinfo=UTC)
TODAY = NOW.date()
CTX = Context(TODAY, POL.credit.licensed_categories)


def good(**extra: Any) -> Facts:
    subject = {"uscc": "X", "registered_on": "2018-01-01", "status": "active", "stub": False,
               "src_party": "reg", "src_record": "s1"}
    reports = [{"key": f"X/{y}", "year": y, "filed_on": f"{y + 1}-05-01"}
               for y in (2022, 2023, 2024, 2025)]
    store = {"key": "p1/S1", "platform_id": "p1", "licence_displayed": True,
             "products": [{"key": "p1/G1", "category": "food", "listed_on": "2025-01-01"}]}
    licence = {"key": "food_business/JY1", "licence_type": "food_business",
               "valid_from": "2020-01-01", "valid_to": "2030-01-01"}
    base: dict[str, Any] = {"subject": subject, "reports": reports, "stores": [store],
                            "licences": [licence]}
    base.update(extra)
    return Facts(**base)


def measure(name: str, facts: Facts, **params: Any) -> float:
    scorer = SCORERS[name]
    return scorer.fn(facts, scorer.params.model_validate(params), CTX).value


def test_bands_pick_the_last_band_reached() -> None:
    ind = Indicator(id="x", name="x", name_en="x", weight=1, scorer="complaints_count",
                    bands=[Band(at_least=0, points=100), Band(at_least=3, points=50),
                           Band(at_least=6, points=0)])
    assert [ind.points(v) for v in (0, 2.9, 3, 5, 6, 99)] == [100, 100, 50, 50, 0, 0]
    plain = Indicator(id="y", name="y", name_en="y", weight=1, scorer="evaluation_grade")
    assert plain.points(130) == 100 and plain.points(-5) == 0


def test_scorers_on_hand_written_facts() -> None:
    f = good()
    assert measure("registration_age_years", f) == pytest.approx(8.5, abs=0.01)
    assert measure("licence_valid_share", f) == 100
    assert measure("licence_gap_listings", f) == 0
    assert measure("annual_reports_on_time", f, years=3) == 100
    expired = good(licences=[{"key": "L", "licence_type": "food_business",
                              "valid_from": "2020-01-01", "valid_to": "2026-01-01"}])
    assert measure("licence_valid_share", expired) == 0
    assert measure("licence_gap_listings", expired) == 1
    late = good(reports=[{"year": 2025, "filed_on": "2026-06-29"},
                         {"year": 2024, "filed_on": "2025-08-01"}])
    # 2025 was filed on time, 2024 late, 2023 missing: 1 of 3.
    assert measure("annual_reports_on_time", late, years=3) == pytest.approx(33.3)
    assert measure("annual_reports_missing", late, years=3) == 1
    complaints = [{"id": f"c{i}", "received_on": f"2026-06-{10 + i}", "channel": ch,
                   "status": st} for i, (ch, st) in enumerate(
                       [("12315", "resolved"), ("platform", "open"), ("12315", "rejected"),
                        ("opinion", "resolved")])]
    f = good(complaints=[*complaints, {"id": "old", "received_on": "2024-01-01"}])
    assert measure("complaints_count", f, window_days=90) == 4
    assert measure("complaints_count", f, window_days=365, channels=["12315"]) == 2
    assert measure("complaints_resolved_share", f, window_days=365) == pytest.approx(66.7)
    cases = [{"id": "k1", "opened_on": "2026-03-01", "outcome": "penalty", "fine": 5000},
             {"id": "k2", "opened_on": "2025-01-01", "outcome": "light"},
             {"id": "k3", "opened_on": "2026-06-01", "outcome": None}]
    weights = {"penalty": 3, "light": 1, "exempt": 0, "open": 1}
    f = good(cases=cases)
    assert measure("cases_weighted", f, window_days=365, weights=weights) == 4
    assert measure("cases_weighted", f, window_days=1095, weights=weights) == 5
    assert measure("fines_total", f, window_days=1095) == 5000


def test_evaluations_latest_valid_and_downgrades() -> None:
    evals = [{"id": "e1", "association_id": "a", "grade": "AA", "issued_on": "2024-01-01",
              "valid_to": "2025-12-31"},
             {"id": "e2", "association_id": "a", "grade": "B", "issued_on": "2026-01-01",
              "valid_to": "2026-12-31"},
             {"id": "e3", "association_id": "b", "grade": "AAA", "issued_on": "2026-08-01"}]
    f = good(evaluations=evals)
    assert measure("evaluation_grade", f) == 60  # e3 is not issued yet, e1 expired
    assert measure("association_downgrades", f, window_days=365) == 1


def test_related_and_banned() -> None:
    rel = [{"uscc": "D1", "credit_class": "D", "status": "active", "via": "person"},
           {"uscc": "D1", "credit_class": "D", "status": "active", "via": "subject"},
           {"uscc": "R2", "credit_class": "A", "status": "revoked", "via": "person"}]
    f = good(related=rel)
    assert measure("related_in_classes", f, classes=["D"]) == 1
    assert measure("related_with_status", f, statuses=["revoked"]) == 1
    assert measure("related_count", f) == 2
    store = {"key": "p/S", "platform_id": "p", "licence_displayed": False,
             "products": [{"key": "p/T", "category": "tobacco"},
                          {"key": "p/T0", "category": "tobacco", "delisted_on": "2026-01-01"}]}
    f = good(stores=[store])
    assert measure("listings_in_categories", f, categories=["tobacco"]) == 1
    assert measure("licence_not_displayed", f) == 1


def test_good_subject_is_class_a_and_weights_sum_to_score() -> None:
    result = assess(good(), POL.credit, NOW)
    assert result.credit_class == "A" and result.colour == "blue"
    contributions = 0.0

    def leaves(nodes: list[dict[str, Any]]) -> None:
        nonlocal contributions
        for node in nodes:
            if "children" in node:
                leaves(node["children"])
            else:
                contributions += node["contribution"]

    leaves(result.explanation["indicators"])
    assert contributions == pytest.approx(result.score, abs=0.05)


def test_caps_and_explanation_name_the_facts() -> None:
    f = good(subject={"uscc": "X", "registered_on": "2018-01-01", "status": "revoked"})
    result = assess(f, POL.credit, NOW)
    assert result.credit_class == "D" and result.explanation["caps"][0]["at_best"] == "D"
    store = {"key": "p/S", "platform_id": "p", "licence_displayed": True,
             "products": [{"key": "p/T", "category": "tobacco", "src_party": "plat",
                           "src_record": "r9"}]}
    result = assess(good(stores=[store]), POL.credit, NOW)
    assert result.credit_class == "C" and "banned" in result.why
    text = str(result.explanation)
    # References, not copies: the listing's id is named, its provenance is not stored.
    assert "p/T" in text and "r9" not in text


def test_observation_period_holds_upgrades_not_downgrades() -> None:
    since = date(2026, 6, 1)
    assert hold_for_observation(POL.credit, "C", since, "A", TODAY) == ("C", date(2026, 11, 28))
    assert hold_for_observation(POL.credit, "C", date(2025, 1, 1), "A", TODAY) == ("A", None)
    assert hold_for_observation(POL.credit, "B", since, "D", TODAY) == ("D", None)
    assert hold_for_observation(POL.credit, None, None, "B", TODAY) == ("B", None)


def test_sandbox_decision_reasons() -> None:
    f = good()
    d = decide(f, assess(f, POL.credit, NOW), POL.credit, TODAY)
    assert d.eligible and d.exempt_eligible and "class A" in d.reasons
    assert d.inspection_ratio == pytest.approx(0.015)
    f = good(alerts=[{"id": "AL-1", "rule": "tobacco_online", "severity": "red_line",
                      "status": "screen"}], cases=[{"id": "k", "outcome": "light"}])
    d = decide(f, assess(f, POL.credit, NOW), POL.credit, TODAY)
    assert not d.eligible and not d.exempt_eligible
    assert any("AL-1 (tobacco_online)" in r for r in d.reasons)
    young = good(subject={"uscc": "Y", "registered_on": "2026-05-01", "status": "active"})
    d = decide(young, assess(young, POL.credit, NOW), POL.credit, TODAY)
    assert any("(< 180)" in r for r in d.reasons)


def test_jurisdiction_prefixes() -> None:
    assert covers("510100", "510104") and covers("510000", "511302")
    assert covers("510104", "510104") and not covers("510104", "510107")
    assert not covers("510100", "510204")


def test_inspection_draw_is_reproducible() -> None:
    cands = [{"uscc": f"U{i:03d}", "cls": "ABCD"[i % 4], "sandbox": i % 3 == 0}
             for i in range(200)]
    shares = {(c, m): 0.2 for c in "ABCD" for m in (False, True)}
    roster = ["i1", "i2", "i3", "i4"]
    one, two = draw(cands, shares, "42", roster), draw(cands, shares, "42", roster)
    assert one == two and len(one) == sum(1 for _ in one)
    assert draw(cands, shares, "43", roster) != one
    assert all(len(set(t["inspectors"])) == 2 for t in one)
    assert periods_per_year("2026Q4") == 4 and periods_per_year("2026") == 1
    with pytest.raises(Exception, match="two different inspectors"):
        draw(cands, shares, "1", ["solo"])


def test_transitions_and_reminder_conditions() -> None:
    check_transition("screen", "analyse")
    check_transition("dispose", "closed")
    with pytest.raises(InvalidStep, match="next steps are: dispose"):
        check_transition("transfer", "closed")
    with pytest.raises(InvalidStep):
        check_transition("closed", "analyse")
    guide = next(r for r in POL.reminders.reminders if r.kind == "annual_report_guide")
    row = {"cls": "A", "cats": [], "repair": False, "open_alert": False, "stub": False,
           "filed": False, "registered_on": "2020-01-01"}
    assert applies(guide, row, date(2026, 5, 1)) and not applies(guide, row, date(2026, 7, 1))
    assert not applies(guide, {**row, "filed": True}, date(2026, 5, 1))
    assert period_key("quarter", date(2026, 5, 1)) == "2026Q2"
