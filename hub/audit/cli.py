"""``hub audit``: verify the chain, answer who read a subject, show the latest records.

``friendly`` mirrors ``hub.cli.friendly``: importing it from ``hub.cli`` would make a
circular import (``hub.cli`` mounts this app), which breaks ``python -m hub.cli``.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from pathlib import Path
from typing import Annotated, ParamSpec, TypeVar

import orjson
import typer

from hub.audit.anchor import Anchor
from hub.audit.log import audit_dir
from hub.audit.record import AuditRecord
from hub.console import console, friendly
from hub.errors import HubError
from hub.settings import get_settings

P = ParamSpec("P")
R = TypeVar("R")

audit_app = typer.Typer(help="The access log: verify it, ask who read a subject, tail it.",
                        no_args_is_help=True)

DirOption = Annotated[Path | None, typer.Option(
    "--dir", help="The audit directory (default: HUB_AUDIT_DIR, else <state_dir>/audit).")]
DirsOption = Annotated[list[Path] | None, typer.Option(
    "--dir", help="An audit directory; repeat it for every replica's chain (default: "
                  "HUB_AUDIT_DIR, else <state_dir>/audit).")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the records as JSON lines.")]


def _directory(option: Path | None) -> Path:
    return option or audit_dir(get_settings())


def _directories(option: list[Path] | None) -> list[Path]:
    return list(option) if option else [audit_dir(get_settings())]


def _show(record: AuditRecord, as_json: bool) -> None:
    if as_json:
        typer.echo(orjson.dumps(record.to_dict(), option=orjson.OPT_SORT_KEYS).decode())
        return
    typer.echo("\t".join([str(record.seq), record.time, record.outcome, record.party,
                          record.client, record.purpose, record.operation,
                          ",".join(record.record_ids), record.reason or ""]))


@audit_app.command("verify")
@friendly
def verify_command(
    directories: DirsOption = None,
    expect_head: Annotated[str | None, typer.Option(
        help="SEQ:HASH printed by an earlier verify; fails if that record is gone or "
             "changed (catches records cut off the end).")] = None,
    anchor: Annotated[bool, typer.Option(
        help="Check the chain heads anchored in Neo4j (catches a cut tail).")] = True,
    require_anchor: Annotated[bool, typer.Option(
        help="Exit 1 when no anchor could be checked (database unreachable, none "
             "recorded).")] = False,
    log_id: Annotated[str | None, typer.Option(
        help="The log's id in the anchors (default: HUB_AUDIT_LOG_ID, else this host); "
             "only needed for an empty log.")] = None,
) -> None:
    """Recompute every hash and link, and compare with the Neo4j anchor; exit 1 if bad.
    Several --dir (one per replica's chain) are each checked; any bad one fails."""
    folders = _directories(directories)
    if expect_head is not None and len(folders) > 1:
        raise HubError("--expect-head names one chain's head", "give one --dir with it")
    bad = 0
    for folder in folders:
        if len(folders) > 1:
            typer.echo(f"== {folder}")
        try:
            _verify_one(folder, expect_head, anchor, require_anchor, log_id)
        except typer.Exit as exit_:
            if len(folders) == 1:
                raise
            bad += exit_.exit_code != 0
    if bad:
        typer.echo(f"{bad} of {len(folders)} chains failed")
        raise typer.Exit(1)


def _verify_one(folder: Path, expect_head: str | None, anchor: bool, require_anchor: bool,
                log_id: str | None) -> None:
    from hub.audit.verify import open_log, verify

    expected: tuple[int, str] | None = None
    if expect_head is not None:
        seq, _, digest = expect_head.partition(":")
        if not seq.isdigit() or len(digest) != 64:
            raise HubError(f"--expect-head {expect_head!r} is not SEQ:HASH",
                           "copy the 'head' value printed by `hub audit verify`")
        expected = (int(seq), digest.lower())
    anchors: list[Anchor] = []
    unchecked = "not asked for (--no-anchor)"
    if anchor:
        anchors, unchecked = _anchors(open_log(folder), log_id)
    report = verify(folder, expected, anchors)
    if not report.ok:
        typer.echo(f"chain broken at line {report.bad_line}: {report.reason}")
        typer.echo(f"{report.records} records verified before it")
        raise typer.Exit(1)
    typer.echo(f"{report.records} records, chain intact")
    typer.echo(f"head {report.head_seq}:{report.head_hash}")
    if report.anchor_seq is not None:
        behind = report.head_seq - report.anchor_seq
        typer.echo(f"anchor {report.anchor_seq} in Neo4j: the file holds it"
                   + (f" and {behind} later record(s) not yet anchored" if behind else ""))
    else:
        console.print(f"note: anchor not checked: {unchecked}; a cut tail is not ruled "
                      "out (use --expect-head)", highlight=False)
    if report.torn_tail_bytes:
        console.print(f"note: a torn last line ({report.torn_tail_bytes} bytes) from an "
                      "interrupted write follows; it was never acknowledged and is removed "
                      "when the hub next opens the log", highlight=False)
    if report.anchor_seq is None and anchor and require_anchor:
        raise typer.Exit(1)


def _anchors(path: Path, log_id: str | None) -> tuple[list[Anchor], str]:
    """The anchors of this log's chain, or none and why."""
    import neo4j

    from hub.audit import anchor
    from hub.graph.driver import connection, sync_driver

    settings = get_settings()
    chain = anchor.first_hash(path)
    name = log_id or settings.audit_log_id or anchor.default_log_id()
    try:
        conn = connection(settings)
        with sync_driver(conn) as driver:
            driver.verify_connectivity()  # fail fast, not after the query retries
            found = anchor.read(driver, conn.database, chain=chain, log_id=name)
    except HubError as exc:
        return [], exc.message
    except (neo4j.exceptions.Neo4jError, neo4j.exceptions.DriverError, OSError) as exc:
        return [], f"Neo4j is unreachable ({type(exc).__name__})"
    if not found:
        return [], ("no anchor recorded for this chain" if chain
                    else f"the log is empty and log {name!r} has no anchor")
    return found, ""


@audit_app.command("who-read")
@friendly
def who_read_command(
    record_id: Annotated[str, typer.Argument(metavar="USCC",
                                             help="The subject's id (or any record id).")],
    since: Annotated[str | None, typer.Option(help="Only from this date/time on.")] = None,
    directories: DirsOption = None,
    as_json: JsonOption = False,
) -> None:
    """List the parties that received a subject's data: time, party, client, purpose, op
    (across every --dir given: one per replica's chain, merged by time)."""
    from hub.audit.query import parse_since, who_read_all

    moment = parse_since(since) if since else None
    found = 0
    for record in who_read_all(_directories(directories), record_id.strip(), moment):
        found += 1
        if as_json:
            _show(record, as_json=True)
        else:
            typer.echo("\t".join([record.time, record.party, record.client,
                                  record.purpose, record.operation]))
    console.print(f"{found} record(s) released {record_id.strip()}", highlight=False)


@audit_app.command("tail")
@friendly
def tail_command(
    n: Annotated[int, typer.Option("-n", "--lines", min=1, help="How many records.")] = 10,
    directory: DirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show the last N records (tab-separated, or --json)."""
    from hub.audit.query import tail

    for record in tail(_directory(directory), n):
        _show(record, as_json)


@audit_app.command("bench")
@friendly
def bench_command(
    concurrency: Annotated[list[int] | None, typer.Option(
        "--concurrency", "-c", help="Concurrent appenders (repeatable).")] = None,
    count: Annotated[int, typer.Option(help="Appends per run.")] = 2000,
    directory: Annotated[Path | None, typer.Option(
        "--dir", help="Where to write (default: a temporary directory, removed after). "
                      "Never the real log.")] = None,
) -> None:
    """Measure appends/s (each durable before it returns) at each concurrency."""
    from hub.audit.bench import run

    for level in concurrency or [1, 64]:
        scratch = Path(tempfile.mkdtemp(prefix="hub-audit-bench-", dir=directory))
        try:
            result = asyncio.run(run(scratch, level, count))
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        typer.echo(f"concurrency {level:>4}: {result.per_second:>9.0f} appends/s "
                   f"({result.appends} in {result.seconds:.2f}s, {result.groups} fsyncs, "
                   f"{result.appends / max(result.groups, 1):.1f} per group)")
