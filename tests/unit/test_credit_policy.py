"""Loading the rules files: the shipped ones validate; errors name the file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.credit.config import read_policies
from hub.credit.policy import CreditPolicy
from hub.credit.rules import parse_text
from hub.credit.trigger_policy import ReminderPolicy, TriggerPolicy
from hub.errors import ConfigError
from hub.settings import PROJECT_ROOT

CREDIT = (PROJECT_ROOT / "policies" / "credit.yaml").read_text(encoding="utf-8")
TRIGGERS = (PROJECT_ROOT / "policies" / "triggers.yaml").read_text(encoding="utf-8")


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_shipped_policies_validate_with_the_documented_shape() -> None:
    pol = read_policies(PROJECT_ROOT / "policies")
    credit = pol.credit
    assert len(credit.indicators) == 4
    assert sum(len(top.children) for top in credit.indicators) == 14
    assert sum(1 for top in credit.indicators for _ in top.leaves()) == 30
    assert {c: credit.classes[c].colour for c in "ABCD"} == {
        "A": "blue", "B": "blue", "C": "yellow", "D": "red"}
    rules = {r.id for r in pol.triggers.rules}
    assert {"unpublished_change", "expired_licence_listing", "tobacco_online",
            "complaint_spike", "penalty_case", "annual_report_overdue",
            "licence_not_displayed", "related_class_d", "platform_suspension",
            "association_downgrade"} <= rules
    assert {r.kind for r in pol.reminders.reminders} == {
        "risk_points", "annual_report_guide", "credit_repair"}


def test_bad_weight_names_the_line() -> None:
    bad = CREDIT.replace("weight: 0.6,\n             scorer: registration_age_years",
                         "weight: 1.6,\n             scorer: registration_age_years")
    with pytest.raises(ConfigError) as err:
        parse_text(bad, CreditPolicy, "credit.yaml")
    line = line_of(CREDIT, "id: registration_age,")
    assert f"credit.yaml:{line}:" in err.value.message
    assert "weight" in err.value.message and "less than or equal to 1" in err.value.message


def test_siblings_not_adding_up_to_one() -> None:
    bad = CREDIT.replace("weight: 0.4, scorer: status_points}",
                         "weight: 0.3, scorer: status_points}")
    with pytest.raises(ConfigError) as err:
        parse_text(bad, CreditPolicy, "credit.yaml")
    assert "add up to 0.9, not 1" in err.value.message
    # The error points at the siblings' list (its first item).
    assert f"credit.yaml:{line_of(CREDIT, 'id: registration_age,')}:" in err.value.message


def test_unknown_scorer_names_the_line_and_the_known_ones() -> None:
    bad = CREDIT.replace("scorer: status_points}", "scorer: status_pionts}")
    with pytest.raises(ConfigError) as err:
        parse_text(bad, CreditPolicy, "credit.yaml")
    assert f"credit.yaml:{line_of(CREDIT, 'scorer: status_points')}:" in err.value.message
    assert "unknown scorer 'status_pionts'" in err.value.message
    assert "registration_age_years" in err.value.message


def test_missing_key_and_bad_params() -> None:
    bad = CREDIT.replace('version: "2026.1"\n', "")
    with pytest.raises(ConfigError) as err:
        parse_text(bad, CreditPolicy, "credit.yaml")
    assert "version: Field required" in err.value.message
    bad = CREDIT.replace("params: {years: 3}}", "params: {yeers: 3}}", 1)
    with pytest.raises(ConfigError) as err:
        parse_text(bad, CreditPolicy, "credit.yaml")
    assert f"credit.yaml:{line_of(CREDIT, 'params: {years: 3}}')}:" in err.value.message
    assert "yeers" in err.value.message


def test_trigger_rule_errors() -> None:
    bad = TRIGGERS.replace("kind: complaint_spike", "kind: complaint_spyke")
    with pytest.raises(ConfigError) as err:
        parse_text(bad, TriggerPolicy, "triggers.yaml")
    assert f"triggers.yaml:{line_of(TRIGGERS, 'kind: complaint_spike')}:" in err.value.message
    bad = TRIGGERS.replace("severity: warning\n    params: {threshold",
                           "severity: amber\n    params: {threshold")
    with pytest.raises(ConfigError) as err:
        parse_text(bad, TriggerPolicy, "triggers.yaml")
    assert "severity" in err.value.message


def test_yaml_syntax_error_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        parse_text("version: [1\nrules: x", ReminderPolicy, "reminders.yaml")
    assert err.value.message.startswith("reminders.yaml:")
    with pytest.raises(ConfigError, match="cannot read rules file"):
        read_policies(tmp_path)


def test_escalation_ladder() -> None:
    triggers = read_policies(PROJECT_ROOT / "policies").triggers
    assert triggers.action_for("warning", 0) == "warn"
    assert triggers.action_for("red_line", 0) == "suspend"
    assert triggers.action_for("warning", 1) == "suspend"
    assert triggers.action_for("red_line", 5) == "stop"
