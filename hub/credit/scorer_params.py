"""Parameters of the scorers (one pydantic model each; unknown keys are errors)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Params(BaseModel):
    """Base of every scorer's parameters: unknown keys are errors (typos fail fast)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class NoParams(Params):
    pass


class Window(Params):
    window_days: int = Field(default=365, ge=1, le=3650)


class Channels(Window):
    channels: list[str] | None = None


class Weighted(Window):
    weights: dict[str, float]


class Categories(Params):
    categories: list[str] = Field(default_factory=lambda: ["tobacco"])


class Classes(Params):
    classes: list[str] = Field(default_factory=lambda: ["D"])


class Statuses(Params):
    statuses: list[str] = Field(default_factory=lambda: ["abnormal", "revoked"])


class StatusPoints(Params):
    points: dict[str, float] = Field(default_factory=lambda: {
        "active": 100.0, "abnormal": 0.0, "revoked": 0.0, "cancelled": 0.0, "stub": 30.0})


class ReportYears(Params):
    years: int = Field(default=3, ge=1, le=10)


class LegalPeriod(Window):
    legal_days: int = Field(default=20, ge=1, le=365)


class GradePoints(Params):
    grade_points: dict[str, float] = Field(default_factory=lambda: {
        "AAA": 100.0, "AA": 90.0, "A": 80.0, "B": 60.0, "C": 30.0})
    none_points: float = Field(default=70.0, ge=0, le=100)


class Severities(Params):
    severities: list[str] = Field(default_factory=lambda: ["red_line"])
