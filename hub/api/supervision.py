"""Regulators' supervision fields over the credit engine: sandbox statistics, the
double-random inspection plan, the alert loop, reminders and the simulated clock.

The engine is synchronous batch code; it runs in a worker thread on the engine's sync
driver. Scope is checked first, in Cypher, with the caller's compiled policy.
"""

from __future__ import annotations

from typing import Any

import neo4j
import strawberry
from strawberry.scalars import JSON

from hub.api.context import Context
from hub.api.errors import BadUserInput, Forbidden, NotFound
from hub.api.mutations import alert_visible
from hub.api.types import Purpose
from hub.errors import HubError
from hub.identity import uscc as uscc_check
from hub.policy.compiled import CompiledPolicy
from hub.policy.visibility import Kind, section_allowed, sees


@strawberry.type
class Count:
    key: str
    count: int


@strawberry.type
class SandboxStats:
    division: str
    total: int
    by_division: list[Count]
    by_platform: list[Count]


@strawberry.type
class InspectionPlan:
    division: str
    period: str
    seed: str
    rule_version: str | None
    targets: JSON
    details: JSON


@strawberry.type
class Reminder:
    id: str
    kind: str | None
    title: str | None
    text: str | None
    created_at: str | None


@strawberry.type(description="A platform's first store for a subject (入驻).")
class Enrolment:
    uscc: str
    platform_id: str | None
    party: str | None
    at: str | None
    unregistered: bool | None = strawberry.field(
        description="The code was unknown to the registry when the platform pushed it.")
    outside_usual_divisions: bool | None = strawberry.field(
        description="The platform, with an established base, had enrolled no one in this "
                    "city before.")


@strawberry.type(description="More enrolments by one platform in one day than the policy's "
                             "threshold (counted within your jurisdiction).")
class EnrolmentAnomaly:
    platform_id: str
    day: str
    count: int
    threshold: int


@strawberry.type
class EnrolmentReport:
    since: str
    enrolments: list[Enrolment]
    anomalies: list[EnrolmentAnomaly]


@strawberry.type
class AlertStepResult:
    alert_id: str
    status: str
    details: JSON


def _engine(ctx: Context) -> neo4j.Driver:
    driver = ctx.state.engine_driver
    if driver is None:
        raise HubError("the credit engine is not running in this process")
    return driver


def own_division(ctx: Context, division: str | None) -> str:
    """A division code inside the caller's jurisdiction (default: its first one)."""
    codes = list(ctx.caller.jurisdictions)
    if not codes:
        raise Forbidden("only a regulator with a jurisdiction can ask for this")
    chosen = division or codes[0]
    if not (len(chosen) == 6 and chosen.isdigit()):
        raise BadUserInput(f"{chosen!r} is not a 6-digit division code")
    if not ctx.granted().covers_division(chosen):
        raise Forbidden(f"division {chosen} is outside your jurisdiction")
    return chosen


async def sandbox_stats(ctx: Context, purpose: Purpose, division: str | None) -> SandboxStats:
    chosen = own_division(ctx, division)
    from hub.credit.sandbox import sandbox_stats as stats

    data: dict[str, Any] = await ctx.run_sync(stats, _engine(ctx), ctx.state.database, chosen)
    await ctx.record("sandboxStats", purpose.value, [chosen])
    return SandboxStats(
        division=chosen, total=data["total"],
        by_division=[Count(key=k, count=v) for k, v in data["by_division"].items()],
        by_platform=[Count(key=k, count=v) for k, v in data["by_platform"].items()])


async def inspection_plan(ctx: Context, purpose: Purpose, division: str, period: str,
                          seed: str, roster: list[str] | None) -> InspectionPlan:
    chosen = own_division(ctx, division)
    from hub.credit.inspections import plan_inspections, roster_from_graph

    driver, db = _engine(ctx), ctx.state.database

    def draw() -> dict[str, Any]:
        people = roster or roster_from_graph(driver, db, chosen)
        return plan_inspections(driver, db, chosen, period, seed, people)

    plan: dict[str, Any] = await ctx.run_sync(draw)  # credit errors keep their codes
    targets = plan.get("targets", [])
    await ctx.delivered("inspectionPlan", purpose.value,
                        [str(t.get("uscc")) for t in targets if isinstance(t, dict)])
    return InspectionPlan(division=chosen, period=period, seed=str(seed),
                          rule_version=plan.get("rule_version") or plan.get("version"),
                          targets=targets,
                          details={k: v for k, v in plan.items()  # type: ignore[arg-type]
                                   if k != "targets"})


async def set_clock(ctx: Context, at: str | None) -> str:
    """Move the simulated clock (development only; the operation check has verified the
    scope credit:admin and the party's policy)."""
    from hub.credit.clock import set_clock as move

    if ctx.state.settings.production:
        raise Forbidden("the simulated clock cannot be moved in production")
    try:
        moved = await ctx.run_sync(move, _engine(ctx), ctx.state.database, at)
    except ValueError as exc:
        raise BadUserInput(str(exc)) from None
    await ctx.record("setClock", "supervision", [str(at)])
    return str(moved.isoformat())


async def _visible_subject(ctx: Context, policy: CompiledPolicy, uscc: str) -> str:
    try:
        code = uscc_check.validate(uscc)
    except ValueError as exc:
        raise BadUserInput(f"invalid USCC: {exc}") from None
    records, _, _ = await ctx.state.driver.execute_query(
        f"MATCH (s:Subject {{uscc: $u}}) WHERE {policy.full()} RETURN s.uscc AS u",
        {"u": code, **policy.params}, database_=ctx.state.database,
        routing_=neo4j.RoutingControl.READ)
    if not records:
        raise NotFound("not found, or not visible to this party")
    return code


MAX_ENROLMENTS = 1000


async def enrolments(ctx: Context, purpose: Purpose, since: str | None, platform: str | None,
                     first: int | None) -> EnrolmentReport:
    """Regulators: enrolments of subjects in their jurisdiction, and the anomalies."""
    from datetime import date, timedelta

    from hub.policy import enrolment

    policy = ctx.granted()
    day = since or (date.today() - timedelta(days=30)).isoformat()
    try:
        date.fromisoformat(day)
    except ValueError:
        raise BadUserInput(f"since must be a day (YYYY-MM-DD), got {since!r}") from None
    limit = MAX_ENROLMENTS if first is None else first
    if not 0 <= limit <= MAX_ENROLMENTS:
        raise BadUserInput(f"first must be between 0 and {MAX_ENROLMENTS}, got {first}")
    threshold = ctx.services.policies.policy.enrolment.daily_threshold
    records, _, _ = await ctx.state.driver.execute_query(
        enrolment.query(policy, platform is not None),
        {**policy.params, "since": day, "limit": limit, "threshold": threshold,
         "platform": platform}, database_=ctx.state.database,
        routing_=neo4j.RoutingControl.READ)
    rec = records[0]
    rows = [Enrolment(uscc=r["uscc"], platform_id=r["platform_id"], party=r["party"],
                      at=r["at"], unregistered=r["unregistered"],
                      outside_usual_divisions=r["outside_usual"]) for r in rec["rows"]]
    await ctx.delivered("enrolments", purpose.value, [e.uscc for e in rows])
    return EnrolmentReport(since=day, enrolments=rows, anomalies=[
        EnrolmentAnomaly(platform_id=a["platform"], day=a["day"], count=a["count"],
                         threshold=threshold) for a in rec["anomalies"]])


#: Reminder conditions → the kind of fact each reads (a reader without it never gets a
#: reminder that depends on it).
_CONDITION_KIND: dict[str, Kind] = {
    "classes": "Credit", "credit_repair_open": "Credit", "lists_categories": "Product",
    "open_alert": "Alert", "report_due_within_days": "AnnualReport",
}


async def reminders(ctx: Context, purpose: Purpose, uscc: str) -> list[Reminder]:
    """Reminders derived from what the caller sees of the subject (its own stores and
    listings for a platform, the alerts it was sent), not from all of its facts."""
    policy = ctx.granted()
    code = await _visible_subject(ctx, policy, uscc)
    from hub.credit.clock import now
    from hub.credit.config import load_policies
    from hub.credit.reminders import visible_reminders

    predicates = {"store": sees(policy, "Store", "st"), "product": sees(policy, "Product", "p"),
                  "alert": sees(policy, "Alert", "a"),
                  "report": sees(policy, "AnnualReport", "r")}
    unseen = frozenset(c for c, kind in _CONDITION_KIND.items()
                       if not section_allowed(policy, kind))
    engine = _engine(ctx)

    def derive() -> list[dict[str, Any]]:
        today = now(engine, ctx.state.database).date()
        return visible_reminders(engine, ctx.state.database, load_policies(), code, today,
                                 predicates, policy.params, unseen)

    items: list[dict[str, Any]] = await ctx.run_sync(derive)
    await ctx.delivered("reminders", purpose.value, [str(i["id"]) for i in items])
    return [Reminder(id=str(i["id"]), kind=i.get("kind"), title=i.get("title"),
                     text=i.get("text"), created_at=i.get("created_at")) for i in items]


async def advance_alert(ctx: Context, purpose: Purpose, alert_id: str, step: str,
                        note: str, rectified: bool) -> AlertStepResult:
    policy = ctx.granted()  # the operation check's grant (advanceAlert/recordRectification)
    await alert_visible(ctx, policy, policy.operation, alert_id)
    from hub.credit.workflow import advance_alert as advance
    from hub.credit.workflow import record_rectification

    # InvalidStep / InvalidParty / NotFound reach the client with their own codes.
    if rectified:
        result = await ctx.run_sync(record_rectification, _engine(ctx),
                                    ctx.state.database, alert_id, ctx.caller.party_id, note)
    else:
        result = await ctx.run_sync(advance, _engine(ctx), ctx.state.database, alert_id,
                                    step, ctx.caller.party_id, note)
    await ctx.record("recordRectification" if rectified else "advanceAlert", purpose.value,
                     [alert_id])
    return AlertStepResult(alert_id=alert_id, status=str(result.get("status", step)),
                           details=result)
