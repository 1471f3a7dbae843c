"""One subject's facts as the scorers and sandbox rules see them, with pure helpers.

Kept apart from the Cypher that fills it (:mod:`hub.credit.facts`) so that the scoring
arithmetic can be tested on hand-written facts. Dates in the graph are ISO strings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

FactList = list[dict[str, Any]]


@dataclass
class Facts:
    """Everything the credit engine reads about one subject (from one batched query)."""

    subject: dict[str, Any]
    licences: FactList = field(default_factory=list)
    stores: FactList = field(default_factory=list)  # each with its priority ``products``
    reports: FactList = field(default_factory=list)
    changes: FactList = field(default_factory=list)
    complaints: FactList = field(default_factory=list)
    cases: FactList = field(default_factory=list)
    inspections: FactList = field(default_factory=list)
    evaluations: FactList = field(default_factory=list)
    memberships: int = 0
    platform_actions: FactList = field(default_factory=list)
    alerts: FactList = field(default_factory=list)
    related: FactList = field(default_factory=list)
    reminder_ids: list[str] = field(default_factory=list)  # reminders already written

    @property
    def uscc(self) -> str:
        return str(self.subject["uscc"])


def day(value: Any) -> date | None:
    """A date from an ISO date or timestamp string (None when absent or malformed)."""
    if value is None:
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def in_window(when: date | None, today: date, window_days: int) -> bool:
    return when is not None and today - timedelta(days=window_days) < when <= today


def evidence(kind: str, fact: dict[str, Any], field_name: str) -> dict[str, Any]:
    """A reference to the fact behind an indicator: its kind, its id and the field that
    mattered — never the fact's values, which are read (through the reader's visibility)
    when the explanation is rendered (:mod:`hub.credit.explain_render`)."""
    ident = fact.get("id") or fact.get("key") or fact.get("uscc")
    return {"kind": kind, "id": ident, "field": field_name}


def missing_report(year: int) -> dict[str, Any]:
    """A due annual report never filed: no fact to point at, only the year."""
    return {"kind": "AnnualReport", "id": None, "year": year, "missing": True}


def related_ref(rel: dict[str, Any], field_name: str) -> dict[str, Any]:
    """A related subject, with how it is related (a person link or a shareholding)."""
    return {"kind": "Related", "id": rel.get("uscc"), "field": field_name,
            "via": rel.get("via"), "role": rel.get("role")}


def open_stores(f: Facts, today: date) -> FactList:
    return [st for st in f.stores if (day(st.get("closed_on")) or date.max) > today
            and (day(st.get("opened_on")) or date.min) <= today]


def active_products(store: dict[str, Any], today: date) -> FactList:
    return [pr for pr in store.get("products") or []
            if (day(pr.get("listed_on")) or date.min) <= today
            and (day(pr.get("delisted_on")) or date.max) > today]


def valid_licence_types(f: Facts, today: date) -> set[str]:
    return {str(lic.get("licence_type")) for lic in f.licences
            if (day(lic.get("valid_from")) or date.min) <= today
            <= (day(lic.get("valid_to")) or date.max)}


def licensed_gaps(f: Facts, today: date, licensed: dict[str, list[str]]) -> dict[str, FactList]:
    """Licensed category → its active listings, where no valid licence of a fitting type."""
    valid = valid_licence_types(f, today)
    gaps: dict[str, FactList] = {}
    for st in open_stores(f, today):
        for pr in active_products(st, today):
            needs = licensed.get(str(pr.get("category")))
            if needs and not valid.intersection(needs):
                gaps.setdefault(str(pr["category"]), []).append(pr)
    return gaps


def related_subjects(f: Facts) -> FactList:
    """Distinct related subjects (one entry per subject, the first link found)."""
    seen: dict[str, dict[str, Any]] = {}
    for rel in f.related:
        seen.setdefault(str(rel.get("uscc")), {"kind": "Subject", **rel})
    return [seen[k] for k in sorted(seen)]
