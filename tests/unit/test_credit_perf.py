"""The pure parts of the fast re-score: skip-unchanged hashing, reminders from the
engine's facts, and every trigger rule in one query."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hub.credit import store, trigger_kinds
from hub.credit.config import read_policies
from hub.credit.facts_model import Facts
from hub.credit.reminders import due, facts_row
from hub.credit.sandbox import decide
from hub.credit.scoring import assess
from hub.settings import PROJECT_ROOT

POL = read_policies(PROJECT_ROOT / "policies")
NOW = datetime(2026, 7, 1, 9, tzinfo=UTC)


def subject_facts(**subject: Any) -> Facts:
    base = {"uscc": "X", "registered_on": "2018-01-01", "status": "active", "stub": False}
    stores = [{"key": "p1/S1", "licence_displayed": True, "closed_on": None,
               "products": [{"key": "p1/G1", "category": "food", "delisted_on": None},
                            {"key": "p1/T1", "category": "tobacco",
                             "delisted_on": "2026-06-01"}]},
              {"key": "p1/S2", "closed_on": "2026-01-01",
               "products": [{"key": "p1/D1", "category": "drugs", "delisted_on": None}]}]
    reports = [{"key": "X/2025", "year": "2025", "filed_on": "2026-04-01"}]
    return Facts(subject={**base, **subject}, stores=stores, reports=reports)


def outcome(f: Facts, now: datetime) -> dict[str, Any]:
    result = assess(f, POL.credit, now)
    decision = decide(f, result, POL.credit, now.date())
    return store.row(result, decision, bool(f.subject.get("in_sandbox")), POL.credit.version,
                     now)


def test_the_hash_ignores_only_the_time_of_scoring() -> None:
    f = subject_facts()
    first, later = outcome(f, NOW), outcome(f, NOW + timedelta(minutes=5))
    assert first["explanation_json"] != later["explanation_json"]  # scored_at differs
    assert first["hash"] == later["hash"]
    stored = {**f.subject, "credit_hash": first["hash"], "credit_class_since": "2026-01-01"}
    assert not store.unchanged(first, f.subject)  # never written (and no class yet)
    worse = subject_facts(status="revoked")
    assert outcome(worse, NOW)["hash"] != first["hash"]
    later.update(class_change=None, sandbox_kind=None)  # as when the class was stored
    assert store.unchanged(later, stored)
    assert not store.unchanged(later, {**stored, "credit_class_since": None})
    assert not store.unchanged({**later, "sandbox_kind": "removed"}, stored)


def test_reminder_facts_match_the_reminder_query() -> None:
    f = subject_facts(credit_class="C", credit_repair_open=None)
    f.alerts = [{"id": "AL-1", "status": "screen"}]
    row = facts_row(f, NOW.date())
    # Closed store and delisted product are not listing; 2025 report filed (year as text).
    assert sorted(row["cats"]) == ["food"]
    assert row["filed"] is True and row["open_alert"] is True and row["repair"] is False
    assert {r["reminder"] for r in due(POL, row, NOW.date())} <= {
        r.id for r in POL.reminders.reminders}


def test_combined_trigger_query_prefixes_each_rules_parameters() -> None:
    kinds = [trigger_kinds.KINDS["complaint_spike"], trigger_kinds.KINDS["case_opened"]]
    text = trigger_kinds.combined_query(kinds)
    assert "$r0_threshold" in text and "$r1_outcomes" in text and "$r1_window_start" in text
    assert "$today" in text and "$r0_today" not in text and "$threshold" not in text
    assert text.count("UNION ALL") == 1
    params = trigger_kinds.combined_params([{"threshold": 5}, {"outcomes": ["penalty"]}])
    assert params == {"r0_threshold": 5, "r1_outcomes": ["penalty"]}
