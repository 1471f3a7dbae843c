"""The credit rules as typed data: ``policies/credit.yaml`` (indicators, classes, sandbox).

Validated once at start-up; a bad weight, an unknown scorer or a missing key stops the
hub with the file and line (see :mod:`hub.credit.rules`). The version string travels
with every score, class change and sandbox event so each decision names its rule set.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from hub.credit.scorer_params import Params
from hub.credit.scorers import SCORERS

ClassName = Literal["A", "B", "C", "D"]
CLASS_ORDER: tuple[ClassName, ...] = ("A", "B", "C", "D")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False)


class Band(Strict):
    at_least: float
    points: float = Field(ge=0, le=100)


def check_weights(children: list[Any], what: str) -> None:
    if children:
        total = sum(c.weight for c in children)
        if not math.isclose(total, 1.0, abs_tol=1e-6):
            raise ValueError(f"the weights of {what} add up to {total:g}, not 1")


class Indicator(Strict):
    """A node of the indicator tree; leaves (third level) name a scorer."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    name_en: str
    weight: float = Field(gt=0, le=1)
    scorer: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    bands: list[Band] | None = None
    children: list[Indicator] = Field(default_factory=list)
    _params: Params | None = PrivateAttr(default=None)

    @field_validator("scorer")
    @classmethod
    def _known_scorer(cls, value: str | None) -> str | None:
        if value is not None and value not in SCORERS:
            raise ValueError(f"unknown scorer {value!r} (known: {', '.join(sorted(SCORERS))})")
        return value

    @field_validator("params")
    @classmethod
    def _scorer_params(cls, value: dict[str, Any], info: Any) -> dict[str, Any]:
        name = info.data.get("scorer")
        if name in SCORERS:
            SCORERS[name].params.model_validate(value)
        return value

    @field_validator("bands")
    @classmethod
    def _ascending(cls, value: list[Band] | None) -> list[Band] | None:
        if value is not None:
            if not value:
                raise ValueError("bands must not be empty")
            edges = [b.at_least for b in value]
            if edges != sorted(set(edges)):
                raise ValueError("bands must have strictly ascending at_least values")
        return value

    @field_validator("children")
    @classmethod
    def _weights(cls, value: list[Indicator]) -> list[Indicator]:
        check_weights(value, "these children")
        return value

    @model_validator(mode="after")
    def _leaf_or_branch(self) -> Indicator:
        if bool(self.children) == bool(self.scorer):
            raise ValueError(f"indicator {self.id!r} needs either a scorer (a leaf) or "
                             "children, not both and not neither")
        if self.scorer:
            self._params = SCORERS[self.scorer].params.model_validate(self.params)
        return self

    @property
    def parsed_params(self) -> Params:
        assert self._params is not None, "leaf indicators have parsed params"
        return self._params

    def points(self, value: float) -> float:
        """Map a scorer's value to 0–100 points (no bands: the value is the points)."""
        if self.bands is None:
            return max(0.0, min(100.0, value))
        chosen = self.bands[0].points
        for band in self.bands:
            if value >= band.at_least:
                chosen = band.points
        return chosen

    def leaves(self) -> Iterator[Indicator]:
        if self.scorer:
            yield self
        for child in self.children:
            yield from child.leaves()


class Inspection(Strict):
    ratio: float = Field(ge=0, le=1)  # share of the class drawn per inspection round
    per_year: int = Field(ge=0, le=12)  # rounds per year (frequency)


class CreditClass(Strict):
    label: str
    label_en: str
    min_score: float = Field(ge=0, le=100)
    colour: Literal["blue", "yellow", "red"]
    observation_days: int = Field(ge=0, le=3650)
    inspection: Inspection


class Cap(Strict):
    """A veto: an indicator at or below ``points_at_most`` caps the class (e.g. stub → D)."""

    indicator: str
    points_at_most: float
    at_best: ClassName
    reason: str


class Admission(Strict):
    classes: list[ClassName] = Field(default_factory=lambda: list[ClassName](("A", "B")))
    min_registered_days: int = Field(default=180, ge=0)
    statuses: list[str] = Field(default_factory=lambda: ["active"])
    blocking_alert_severities: list[str] = Field(default_factory=lambda: ["red_line"])
    block_escalated_alerts: bool = True
    licence_displayed_where_licensed: bool = True


class Sandbox(Strict):
    admission: Admission
    inspection_factor: float = Field(ge=0, le=1)  # members' share of their class's ratio


class CreditPolicy(Strict):
    version: str = Field(min_length=1)
    facts_lookback_days: int = Field(default=1095, ge=30, le=3650)
    licensed_categories: dict[str, list[str]]
    indicators: list[Indicator]
    classes: dict[ClassName, CreditClass]
    caps: list[Cap] = Field(default_factory=list)
    sandbox: Sandbox

    @field_validator("indicators")
    @classmethod
    def _top_weights(cls, value: list[Indicator]) -> list[Indicator]:
        check_weights(value, "the first-level indicators")
        return value

    @field_validator("classes")
    @classmethod
    def _all_classes(cls, value: dict[ClassName, CreditClass]) -> dict[ClassName, CreditClass]:
        missing = [c for c in CLASS_ORDER if c not in value]
        if missing:
            raise ValueError(f"missing class(es): {', '.join(missing)}")
        scores = [value[c].min_score for c in CLASS_ORDER]
        if scores != sorted(scores, reverse=True) or len(set(scores)) != 4:
            raise ValueError("min_score must fall strictly from A to D")
        if value["D"].min_score != 0:
            raise ValueError("class D must start at min_score 0 (every score has a class)")
        return value

    @model_validator(mode="after")
    def _unique_ids(self) -> CreditPolicy:
        ids = [i.id for i in self.walk()]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"duplicate indicator id(s): {', '.join(dup)}")
        for cap in self.caps:
            if cap.indicator not in ids:
                raise ValueError(f"cap names unknown indicator {cap.indicator!r}")
        return self

    def walk(self) -> Iterator[Indicator]:
        def rec(nodes: list[Indicator]) -> Iterator[Indicator]:
            for node in nodes:
                yield node
                yield from rec(node.children)
        return rec(self.indicators)

    def class_for(self, score: float) -> ClassName:
        for name in CLASS_ORDER:
            if score >= self.classes[name].min_score:
                return name
        return "D"
