"""``hub credit|alerts|clock|inspect|triggers …``: thin shells over the credit engine."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated, ParamSpec, TypeVar

import neo4j
import orjson
import typer

from hub.console import friendly

P = ParamSpec("P")
R = TypeVar("R")

credit_app = typer.Typer(help="Credit scores, classes and the sandbox.", no_args_is_help=True)
alerts_app = typer.Typer(help="Trigger alerts and their closed loop.", no_args_is_help=True)
clock_app = typer.Typer(help="The supervision clock (tests and demos move time).",
                        no_args_is_help=True)
inspect_app = typer.Typer(help="Double-random inspections 双随机.", no_args_is_help=True)
triggers_app = typer.Typer(help="The trigger list 监管风险触发清单.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Mount the credit commands on the ``hub`` command."""
    app.add_typer(credit_app, name="credit")
    app.add_typer(alerts_app, name="alerts")
    app.add_typer(clock_app, name="clock")
    app.add_typer(inspect_app, name="inspect")
    app.add_typer(triggers_app, name="triggers")


@contextmanager
def graph() -> Iterator[tuple[neo4j.Driver, str]]:
    from hub.credit.config import load_policies
    from hub.graph.driver import connection, sync_driver
    from hub.settings import get_settings

    load_policies()  # fail fast on a bad rules file, before touching the database
    conn = connection(get_settings())
    with sync_driver(conn) as driver:
        yield driver, conn.database


def emit(data: object) -> None:
    typer.echo(orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS))


@credit_app.command("rescore")
@friendly
def rescore_command(
    uscc: Annotated[list[str] | None, typer.Argument(help="Subjects (default: all).")] = None,
    batch_size: Annotated[int, typer.Option(min=1, max=20_000)] = 2000,
    quiet: Annotated[bool, typer.Option(help="No progress bar.")] = False,
) -> None:
    """Re-evaluate triggers, re-score and re-decide the sandbox (all subjects or some)."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    from hub.console import console
    from hub.credit.engine import rescore, rescore_all

    with graph() as (driver, db):
        if uscc:
            summary = rescore(driver, db, uscc, batch_size=batch_size)
        else:
            columns = (TextColumn("[bold]rescore[/bold]"), BarColumn(), MofNCompleteColumn(),
                       TextColumn("{task.fields[rate]:>8,.0f} subjects/s"),
                       TimeRemainingColumn())
            with Progress(*columns, console=console, disable=quiet) as bar:
                task = bar.add_task("rescore", total=None, rate=0.0)
                began = bar.get_time()

                def show(done: int, total: int) -> None:
                    rate = done / max(bar.get_time() - began, 1e-6)
                    bar.update(task, completed=done, total=total, rate=rate)

                summary = rescore_all(driver, db, batch_size=batch_size, progress=show)
    emit({k: v for k, v in vars(summary).items() if k != "outcomes"})


@credit_app.command("explain")
@friendly
def explain_command(uscc: str) -> None:
    """A subject's class, score, colour and the indicators and facts behind them."""
    from hub.credit.queries import credit_of

    with graph() as (driver, db):
        emit(credit_of(driver, db, uscc))


@credit_app.command("sandbox-stats")
@friendly
def sandbox_stats_command(
    division: Annotated[str | None, typer.Option(help="Jurisdiction code.")] = None,
) -> None:
    """Sandbox members by division and by platform."""
    from hub.credit import clock
    from hub.credit.sandbox import sandbox_stats

    with graph() as (driver, db):
        emit(sandbox_stats(driver, db, division, clock.now(driver, db).date()))


@alerts_app.command("escalate")
@friendly
def escalate_command() -> None:
    """Escalate alerts whose rectification deadline passed (at the clock's now)."""
    from hub.credit.workflow import run_escalations

    with graph() as (driver, db):
        emit(run_escalations(driver, db))


@clock_app.command("set")
@friendly
def clock_set(iso: Annotated[str, typer.Argument(help="ISO date/datetime, or 'real'.")]
              ) -> None:
    """Move the hub's clock (it keeps running from there); 'real' resets it."""
    from hub.credit.clock import set_clock

    with graph() as (driver, db):
        typer.echo(set_clock(driver, db, None if iso == "real" else iso).isoformat())


@clock_app.command("show")
@friendly
def clock_show() -> None:
    """Print the hub's current time."""
    from hub.credit.clock import now

    with graph() as (driver, db):
        typer.echo(now(driver, db).isoformat())


@inspect_app.command("plan")
@friendly
def plan_command(
    division: Annotated[str, typer.Option(help="Jurisdiction code, e.g. 510104.")],
    period: Annotated[str, typer.Option(help="2026, 2026H1, 2026Q4 or 2026-05.")],
    seed: Annotated[str, typer.Option(help="The draw's seed (publish it).")],
    roster: Annotated[Path | None, typer.Option(
        help="Inspector ids, one a line (default: inspectors seen in the division).")] = None,
) -> None:
    """Draw a reproducible random-inspection plan and record it."""
    from hub.credit.inspections import plan_inspections, roster_from_graph

    with graph() as (driver, db):
        people = ([line.strip() for line in roster.read_text(encoding="utf-8").splitlines()
                   if line.strip() and not line.startswith("#")] if roster
                  else roster_from_graph(driver, db, division))
        emit(plan_inspections(driver, db, division, period, seed, people))


@triggers_app.command("backtest")
@friendly
def backtest_command(
    rule: str,
    since: Annotated[str, typer.Option(help="First month (ISO date).")],
    until: Annotated[str | None, typer.Option(help="Last day (default: clock's today).")]
    = None,
) -> None:
    """How many alerts a rule would have raised, by month (writes nothing)."""
    from hub.credit import clock
    from hub.credit.backtest import backtest

    with graph() as (driver, db):
        end = date.fromisoformat(until) if until else clock.now(driver, db).date()
        emit(backtest(driver, db, rule, date.fromisoformat(since), end))
