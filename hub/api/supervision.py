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
from hub.policy.compiled import CompiledPolicy, jurisdiction_prefixes


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
    if not any(chosen.startswith(p) for p in jurisdiction_prefixes(codes)):
        raise Forbidden(f"division {chosen} is outside your jurisdiction")
    return chosen


async def sandbox_stats(ctx: Context, purpose: Purpose, division: str | None) -> SandboxStats:
    await ctx.authorize("subjects", purpose.value, "subjects:read")
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
    await ctx.authorize("inspectionPlan", purpose.value, "inspection:read")
    chosen = own_division(ctx, division)
    from hub.credit.inspections import plan_inspections, roster_from_graph

    driver, db = _engine(ctx), ctx.state.database

    def draw() -> dict[str, Any]:
        people = roster or roster_from_graph(driver, db, chosen)
        return plan_inspections(driver, db, chosen, period, seed, people)

    try:
        plan: dict[str, Any] = await ctx.run_sync(draw)
    except HubError as exc:
        raise BadUserInput(exc.message, exc.suggestion) from None
    targets = plan.get("targets", [])
    await ctx.delivered("inspectionPlan", purpose.value,
                        [str(t.get("uscc")) for t in targets if isinstance(t, dict)])
    return InspectionPlan(division=chosen, period=period, seed=str(seed),
                          rule_version=plan.get("rule_version") or plan.get("version"),
                          targets=targets,
                          details={k: v for k, v in plan.items()  # type: ignore[arg-type]
                                   if k != "targets"})


async def set_clock(ctx: Context, at: str | None) -> str:
    """Move the simulated clock (development only; scope credit:admin)."""
    from hub.auth.errors import InsufficientScope
    from hub.auth.resource import require_scopes
    from hub.credit.clock import set_clock as move

    if ctx.state.settings.production:
        raise Forbidden("the simulated clock cannot be moved in production")
    try:
        require_scopes(ctx.caller, "credit:admin")
    except InsufficientScope as exc:
        ctx.scope_denied = True
        raise Forbidden(str(exc)) from None
    try:
        moved = await ctx.run_sync(move, _engine(ctx), ctx.state.database, at)
    except (HubError, ValueError) as exc:
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


async def reminders(ctx: Context, purpose: Purpose, uscc: str) -> list[Reminder]:
    policy = await ctx.authorize("subject", purpose.value, "subject:read")
    code = await _visible_subject(ctx, policy, uscc)
    from hub.credit.reminders import reminders_for

    items: list[dict[str, Any]] = await ctx.run_sync(reminders_for, _engine(ctx),
                                                     ctx.state.database, code)
    await ctx.delivered("reminders", purpose.value, [str(i["id"]) for i in items])
    return [Reminder(id=str(i["id"]), kind=i.get("kind"), title=i.get("title"),
                     text=i.get("text"), created_at=i.get("created_at")) for i in items]


async def advance_alert(ctx: Context, purpose: Purpose, alert_id: str, step: str,
                        note: str, rectified: bool) -> AlertStepResult:
    policy = await ctx.authorize("advanceAlert", purpose.value, "case:write")
    await alert_visible(ctx, policy, "advanceAlert", alert_id)
    from hub.credit.workflow import advance_alert as advance
    from hub.credit.workflow import record_rectification

    try:
        if rectified:
            result = await ctx.run_sync(record_rectification, _engine(ctx),
                                        ctx.state.database, alert_id, ctx.caller.party_id, note)
        else:
            result = await ctx.run_sync(advance, _engine(ctx), ctx.state.database, alert_id,
                                        step, ctx.caller.party_id, note)
    except HubError as exc:
        raise BadUserInput(exc.message, exc.suggestion) from None
    await ctx.record("advanceAlert", purpose.value, [alert_id])
    return AlertStepResult(alert_id=alert_id, status=str(result.get("status", step)),
                           details=result)
