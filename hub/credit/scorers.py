"""The named, parameterised scorers an indicator in ``policies/credit.yaml`` may use.

A scorer turns one subject's facts (gathered by :mod:`hub.credit.facts`) into a *value*
(a count, a share, years…) and the *evidence* behind it: a reference (kind and id) to
each fact, never a copy — the explanation is rendered per reader from these
(:mod:`hub.credit.explain_render`). The policy's bands then map the value to points.
Scorers are pure functions of (facts, params, today), so the arithmetic is unit-tested
without a graph and every point can be traced back to the facts that produced it.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from hub.credit.facts_model import (
    Facts,
    active_products,
    day,
    evidence,
    in_window,
    licensed_gaps,
    missing_report,
    open_stores,
    related_ref,
    related_subjects,
)
from hub.credit.scorer_params import (
    Categories,
    Channels,
    Classes,
    GradePoints,
    LegalPeriod,
    NoParams,
    Params,
    ReportYears,
    Severities,
    Statuses,
    StatusPoints,
    Weighted,
    Window,
)


@dataclass(frozen=True)
class Context:
    """What every scorer may use besides the facts: the day and the licence map."""

    today: date
    licensed: dict[str, list[str]]


@dataclass
class Measure:
    value: float
    evidence: list[dict[str, Any]] = field(default_factory=list)
    note: str = ""


ScoreFn = Callable[[Facts, Any, Context], Measure]


@dataclass(frozen=True)
class Scorer:
    name: str
    params: type[Params]
    fn: ScoreFn
    doc: str


SCORERS: dict[str, Scorer] = {}


def scorer(name: str, params: type[Params] = NoParams) -> Callable[[ScoreFn], ScoreFn]:
    def register(fn: ScoreFn) -> ScoreFn:
        SCORERS[name] = Scorer(name, params, fn, (fn.__doc__ or "").strip())
        return fn
    return register


@scorer("registration_age_years")
def _age(f: Facts, p: NoParams, c: Context) -> Measure:
    """Years since registration (0 when unknown)."""
    reg = day(f.subject.get("registered_on"))
    years = max(0.0, (c.today - reg).days / 365.25) if reg else 0.0
    return Measure(round(years, 2), [evidence("Subject", f.subject, "registered_on")])


@scorer("status_points", StatusPoints)
def _status(f: Facts, p: StatusPoints, c: Context) -> Measure:
    """Points for the registration status (a stub subject is only known from references)."""
    status = "stub" if f.subject.get("stub") else str(f.subject.get("status") or "active")
    return Measure(p.points.get(status, 0.0), [evidence("Subject", f.subject, "status")],
                   status)


@scorer("licence_valid_share")
def _licence_share(f: Facts, p: NoParams, c: Context) -> Measure:
    """Share (0–100) of held licences valid today; none held: 100 unless licensed goods sell."""
    valid = [lic for lic in f.licences if (day(lic.get("valid_from")) or date.min) <= c.today
             <= (day(lic.get("valid_to")) or date.max)]
    ev = [evidence("Licence", lic, "valid_to") for lic in f.licences]
    if not f.licences:
        gaps = licensed_gaps(f, c.today, c.licensed)
        ev = [evidence("Product", prod, "category") for prods in gaps.values() for prod in prods]
        return Measure(0.0 if gaps else 100.0, ev, "no licence held")
    return Measure(round(100.0 * len(valid) / len(f.licences), 1), ev)


@scorer("licence_gap_listings")
def _licence_gap(f: Facts, p: NoParams, c: Context) -> Measure:
    """Licensed categories listed without a valid licence (expired or never held)."""
    gaps = licensed_gaps(f, c.today, c.licensed)
    ev = [evidence("Product", prod, "category") for prods in gaps.values() for prod in prods]
    ev += [evidence("Licence", lic, "valid_to") for lic in f.licences]
    return Measure(float(len(gaps)), ev, ", ".join(sorted(gaps)))


@scorer("licence_not_displayed")
def _not_displayed(f: Facts, p: NoParams, c: Context) -> Measure:
    """Open stores selling licensed categories that do not display the licence 亮照."""
    bad = [st for st in open_stores(f, c.today)
           if st.get("licence_displayed") is not True
           and any(pr.get("category") in c.licensed for pr in active_products(st, c.today))]
    return Measure(float(len(bad)), [evidence("Store", st, "licence_displayed") for st in bad])


@scorer("listings_in_categories", Categories)
def _banned(f: Facts, p: Categories, c: Context) -> Measure:
    """Active listings in the given (banned / restricted) categories."""
    hits = [pr for st in open_stores(f, c.today) for pr in active_products(st, c.today)
            if pr.get("category") in p.categories]
    return Measure(float(len(hits)), [evidence("Product", pr, "category") for pr in hits])


@scorer("priority_categories")
def _priority(f: Facts, p: NoParams, c: Context) -> Measure:
    """Distinct priority categories 民生重点领域 listed (exposure, not misconduct)."""
    first: dict[tuple[Any, str], dict[str, Any]] = {}  # one listing per store and category
    for st in open_stores(f, c.today):
        for pr in active_products(st, c.today):
            first.setdefault((st.get("key"), str(pr.get("category"))), pr)
    cats = {cat for _, cat in first}
    return Measure(float(len(cats)), [evidence("Product", pr, "category")
                                      for pr in first.values()], ", ".join(sorted(cats)))


@scorer("platforms_active")
def _platforms(f: Facts, p: NoParams, c: Context) -> Measure:
    """Distinct platforms with an open store of the subject."""
    stores = open_stores(f, c.today)
    return Measure(float(len({st.get("platform_id") for st in stores})),
                   [evidence("Store", st, "platform_id") for st in stores])


def _due(report_year: int, report: dict[str, Any] | None) -> date:
    due = day(report.get("due_on")) if report else None
    return due or date(report_year + 1, 6, 30)


def _report_years(f: Facts, years: int, today: date) -> list[tuple[int, dict[str, Any] | None]]:
    """The last ``years`` report years already due, not before registration."""
    reg = day(f.subject.get("registered_on"))
    by_year = {int(r["year"]): r for r in f.reports if r.get("year") is not None}
    out = []
    for y in range(today.year - 1, today.year - 1 - years - 1, -1):
        if reg and y < reg.year:
            break
        if _due(y, by_year.get(y)) < today:
            out.append((y, by_year.get(y)))
    return out[:years]


@scorer("annual_reports_on_time", ReportYears)
def _reports_on_time(f: Facts, p: ReportYears, c: Context) -> Measure:
    """Share (0–100) of the last N due report years filed by their due date."""
    due = _report_years(f, p.years, c.today)
    if not due:
        return Measure(100.0, [], "no report due yet")
    ok = [r for y, r in due if r and (day(r.get("filed_on")) or date.max) <= _due(y, r)]
    ev = [evidence("AnnualReport", r, "filed_on") if r else missing_report(y) for y, r in due]
    return Measure(round(100.0 * len(ok) / len(due), 1), ev)


@scorer("annual_reports_missing", ReportYears)
def _reports_missing(f: Facts, p: ReportYears, c: Context) -> Measure:
    """Due report years of the last N with no report filed at all."""
    missing = [y for y, r in _report_years(f, p.years, c.today) if not (r and r.get("filed_on"))]
    return Measure(float(len(missing)), [missing_report(y) for y in missing])


@scorer("unpublished_changes", LegalPeriod)
def _unpublished(f: Facts, p: LegalPeriod, c: Context) -> Measure:
    """Registration changes not published 公示 within the legal period (or published late)."""
    bad = []
    for ch in f.changes:
        changed = day(ch.get("changed_on"))
        if changed is None or not in_window(changed, c.today, p.window_days):
            continue
        limit = changed + timedelta(days=p.legal_days)
        published = day(ch.get("published_on")) if ch.get("published") else None
        if (published is None and limit < c.today) or (published and published > limit):
            bad.append(ch)
    return Measure(float(len(bad)), [evidence("RegistrationChange", ch, "published")
                                     for ch in bad])


@scorer("related_in_classes", Classes)
def _related_class(f: Facts, p: Classes, c: Context) -> Measure:
    """Related subjects (shared legal rep / shareholder, shareholding, branch) in classes."""
    hits = [r for r in related_subjects(f) if r.get("credit_class") in p.classes]
    return Measure(float(len(hits)), [related_ref(r, "credit_class") for r in hits])


@scorer("related_with_status", Statuses)
def _related_status(f: Facts, p: Statuses, c: Context) -> Measure:
    """Related subjects whose registration status is one of ``statuses``."""
    hits = [r for r in related_subjects(f) if r.get("status") in p.statuses]
    return Measure(float(len(hits)), [related_ref(r, "status") for r in hits])


@scorer("related_count")
def _related_count(f: Facts, p: NoParams, c: Context) -> Measure:
    """How many distinct related subjects there are."""
    rel = related_subjects(f)
    return Measure(float(len(rel)), [related_ref(r, "uscc") for r in rel])


def _complaints(f: Facts, p: Window, c: Context, channels: list[str] | None = None,
                ) -> list[dict[str, Any]]:
    return [x for x in f.complaints if in_window(day(x.get("received_on")), c.today,
                                                  p.window_days)
            and (channels is None or x.get("channel") in channels)]


@scorer("complaints_count", Channels)
def _complaint_count(f: Facts, p: Channels, c: Context) -> Measure:
    """Complaints received in the window (optionally only from some channels)."""
    hits = _complaints(f, p, c, p.channels)
    return Measure(float(len(hits)), [evidence("Complaint", x, "received_on") for x in hits])


@scorer("complaints_resolved_share", Window)
def _resolved(f: Facts, p: Window, c: Context) -> Measure:
    """Share (0–100) of the window's complaints resolved (rejected ones left out)."""
    hits = [x for x in _complaints(f, p, c) if x.get("status") != "rejected"]
    if not hits:
        return Measure(100.0, [], "no complaint")
    done = [x for x in hits if x.get("status") == "resolved"]
    return Measure(round(100.0 * len(done) / len(hits), 1),
                   [evidence("Complaint", x, "status") for x in hits])


def _weighted(items: list[dict[str, Any]], key: str, weights: dict[str, float]) -> float:
    return float(sum(weights.get(str(x.get(key) or "open"), 0.0) for x in items))


@scorer("cases_weighted", Weighted)
def _cases(f: Facts, p: Weighted, c: Context) -> Measure:
    """Cases opened in the window, weighted by outcome (exempt / light / penalty / open)."""
    hits = [k for k in f.cases if in_window(day(k.get("opened_on")), c.today, p.window_days)]
    return Measure(_weighted(hits, "outcome", p.weights),
                   [evidence("Case", k, "outcome") for k in hits])


@scorer("fines_total", Window)
def _fines(f: Facts, p: Window, c: Context) -> Measure:
    """Total fines (yuan) of cases decided in the window."""
    hits = [k for k in f.cases if k.get("fine") and in_window(
        day(k.get("decided_on") or k.get("opened_on")), c.today, p.window_days)]
    return Measure(float(sum(float(k["fine"]) for k in hits)),
                   [evidence("Case", k, "fine") for k in hits])


@scorer("inspections_weighted", Weighted)
def _inspections(f: Facts, p: Weighted, c: Context) -> Measure:
    """Inspections in the window, weighted by result (pass / issues / fail)."""
    hits = [i for i in f.inspections
            if in_window(day(i.get("inspected_on")), c.today, p.window_days)]
    return Measure(_weighted(hits, "result", p.weights),
                   [evidence("Inspection", i, "result") for i in hits])


def valid_evaluations(f: Facts, today: date) -> list[dict[str, Any]]:
    """Evaluations valid today, latest first."""
    ok = [e for e in f.evaluations if (day(e.get("issued_on")) or date.max) <= today
          <= (day(e.get("valid_to")) or date.max)]
    return sorted(ok, key=lambda e: (str(e.get("issued_on")), str(e.get("id"))), reverse=True)


@scorer("evaluation_grade", GradePoints)
def _grade(f: Facts, p: GradePoints, c: Context) -> Measure:
    """Points of the latest valid association grade 信用评价 (mutual recognition)."""
    valid = valid_evaluations(f, c.today)
    if not valid:
        return Measure(p.none_points, [], "no valid evaluation")
    latest = valid[0]
    return Measure(p.grade_points.get(str(latest.get("grade")), p.none_points),
                   [evidence("CreditEvaluation", latest, "grade")], str(latest.get("grade")))


GRADE_ORDER = ("AAA", "AA", "A", "B", "C")


def downgrades(f: Facts) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(previous, next) pairs of one association's evaluations where the grade fell."""
    by_assoc: dict[str, list[dict[str, Any]]] = {}
    for e in f.evaluations:
        by_assoc.setdefault(str(e.get("association_id")), []).append(e)
    out = []
    for evals in by_assoc.values():
        evals.sort(key=lambda e: (str(e.get("issued_on")), str(e.get("id"))))
        for prev, nxt in itertools.pairwise(evals):
            if (GRADE_ORDER.index(str(nxt.get("grade"))) > GRADE_ORDER.index(
                    str(prev.get("grade")))):
                out.append((prev, nxt))
    return out


@scorer("association_downgrades", Window)
def _downgrades(f: Facts, p: Window, c: Context) -> Measure:
    """Grade downgrades by an association issued in the window."""
    hits = [(a, b) for a, b in downgrades(f)
            if in_window(day(b.get("issued_on")), c.today, p.window_days)]
    return Measure(float(len(hits)), [ref for a, b in hits for ref in (
        evidence("CreditEvaluation", b, "grade"), evidence("CreditEvaluation", a, "grade"))])


@scorer("memberships")
def _memberships(f: Facts, p: NoParams, c: Context) -> Measure:
    """Open association memberships (self-regulation)."""
    return Measure(float(f.memberships), [])


@scorer("platform_actions_weighted", Weighted)
def _platform_actions(f: Facts, p: Weighted, c: Context) -> Measure:
    """Platform actions (warn / suspend / stop) against the subject in the window."""
    hits = [a for a in f.platform_actions if in_window(day(a.get("at")), c.today, p.window_days)]
    return Measure(_weighted(hits, "kind", p.weights),
                   [evidence("PlatformAction", a, "kind") for a in hits])


@scorer("open_alerts", Severities)
def _open_alerts(f: Facts, p: Severities, c: Context) -> Measure:
    """Alerts not yet closed, of the given severities."""
    hits = [a for a in f.alerts if a.get("status") != "closed"
            and a.get("severity") in p.severities]
    return Measure(float(len(hits)), [evidence("Alert", a, "status") for a in hits])


@scorer("overdue_alerts")
def _overdue(f: Facts, p: NoParams, c: Context) -> Measure:
    """Open alerts whose rectification deadline passed (escalated)."""
    hits = [a for a in f.alerts if a.get("status") != "closed" and a.get("escalated_at")]
    return Measure(float(len(hits)), [evidence("Alert", a, "escalated_at") for a in hits])
