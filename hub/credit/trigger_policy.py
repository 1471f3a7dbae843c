"""``policies/triggers.yaml`` (the red-line list 监管风险触发清单) and
``policies/reminders.yaml`` (administrative reminders 行政提示清单) as typed data."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from hub.credit.trigger_kinds import KINDS, KindParams

Action = Literal["warn", "suspend", "stop"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Rule(Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    name_en: str
    kind: str
    severity: Literal["red_line", "warning"]
    enabled: bool = True
    params: dict[str, Any] = Field(default_factory=dict)
    guidance: str = Field(min_length=1)
    deadline_days: int = Field(ge=1, le=365)
    # Only one open alert per subject for this rule (for rules whose evidence slides).
    one_open_per_subject: bool = False
    _params: KindParams | None = PrivateAttr(default=None)

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, value: str) -> str:
        if value not in KINDS:
            raise ValueError(f"unknown trigger kind {value!r} (known: {', '.join(sorted(KINDS))})")
        return value

    @field_validator("params")
    @classmethod
    def _kind_params(cls, value: dict[str, Any], info: Any) -> dict[str, Any]:
        kind = info.data.get("kind")
        if kind in KINDS:
            KINDS[kind].params.model_validate(value)
        return value

    @model_validator(mode="after")
    def _parse(self) -> Rule:
        self._params = KINDS[self.kind].params.model_validate(self.params)
        return self

    @property
    def parsed_params(self) -> KindParams:
        assert self._params is not None
        return self._params


class Escalation(Strict):
    ladder: list[Action] = Field(min_length=1)
    # Where on the ladder a first escalation of each severity starts.
    start: dict[Literal["red_line", "warning"], int]


class TriggerPolicy(Strict):
    version: str = Field(min_length=1)
    escalation: Escalation
    rules: list[Rule] = Field(min_length=1)

    @field_validator("rules")
    @classmethod
    def _unique(cls, value: list[Rule]) -> list[Rule]:
        ids = [r.id for r in value]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"duplicate rule id(s): {', '.join(dup)}")
        return value

    def rule(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)

    def action_for(self, severity: str, prior_escalations: int) -> Action:
        start = self.escalation.start.get(severity, 0)  # type: ignore[call-overload]
        ladder: list[Action] = self.escalation.ladder
        action: Action = ladder[min(len(ladder) - 1, int(start) + prior_escalations)]
        return action


class When(Strict):
    """Conditions a reminder's subject must meet (all given ones)."""

    classes: list[str] | None = None
    lists_categories: list[str] | None = None
    report_due_within_days: int | None = Field(default=None, ge=1, le=366)
    credit_repair_open: bool | None = None
    open_alert: bool | None = None


class Reminder(Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    kind: Literal["risk_points", "annual_report_guide", "credit_repair"]
    title: str
    text: str
    when: When
    # How often the same reminder may be generated again for a subject.
    period: Literal["once", "year", "quarter", "month"] = "year"


class ReminderPolicy(Strict):
    version: str = Field(min_length=1)
    reminders: list[Reminder]
