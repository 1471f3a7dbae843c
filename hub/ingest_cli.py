"""``hub ingest SOURCE FILE --party PARTY``: the command-line face of :mod:`hub.ingest`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from hub.settings import Settings, get_settings


def run_ingest(settings: Settings, source: str, file: Path, party: str, *, encoding: str,
               fmt: str | None, batch_size: int, rejects: Path | None,
               quiet: bool, rescore: bool = False) -> dict[str, object]:
    """Ingest one file with a progress bar; returns the summary as a dict."""
    from hub.console import console
    from hub.graph.driver import connection, sync_driver
    from hub.ingest import IngestOptions, ingest

    conn = connection(settings)
    options = IngestOptions(party=party, encoding=encoding, fmt=fmt, batch_size=batch_size,
                            rejects=rejects, checkpoint_dir=settings.state_dir / "ingest")
    columns = (TextColumn(f"[bold]{source}[/bold]"), BarColumn(), DownloadColumn(),
               TextColumn("{task.fields[records]:>9,} records  {task.fields[rate]:>7,.0f}/s"),
               TimeRemainingColumn())
    with sync_driver(conn) as driver, Progress(*columns, console=console,
                                               disable=quiet) as bar:
        task = bar.add_task(source, total=file.stat().st_size, records=0, rate=0.0)
        started = bar.get_time()

        def show(done: int, total: int, records: int) -> None:
            elapsed = max(bar.get_time() - started, 1e-6)
            bar.update(task, completed=done, total=total, records=records,
                       rate=records / elapsed)

        hook = None
        if rescore:
            from hub.credit.engine import make_ingest_hook

            hook = make_ingest_hook(driver, conn.database, settings)
        summary = ingest(driver, conn.database, source, file, options,
                         settings.pii_key.get_secret_value().encode(), progress=show,
                         on_batch=hook)
    return summary.as_dict()


def print_summary(summary: dict[str, object]) -> None:
    from hub.console import console

    table = Table(title=f"{summary['source']}: {summary['file']}", show_header=True)
    for column in ("read", "created", "updated", "unchanged", "rejected", "records/s"):
        table.add_column(column, justify="right")
    table.add_row(*(f"{summary[k]:,}" for k in ("read", "created", "updated", "unchanged",
                                                "rejected")),
                  f"{summary['records_per_second']:,}")
    console.print(table)
    if summary["resumed_from_line"]:
        console.print(f"resumed after line {summary['resumed_from_line']:,}")
    if summary["rejects_file"]:
        console.print(f"[yellow]{summary['rejected']:,} rejected record(s) listed in "
                      f"{summary['rejects_file']}[/yellow] (line, field, reason)")


def register(app: typer.Typer) -> None:
    from hub.console import friendly

    @app.command("ingest")
    @friendly
    def ingest_command(
        source: Annotated[str, typer.Argument(help="registry | platform | complaints | "
                                                   "enforcement | association")],
        file: Annotated[Path, typer.Argument(help="A .jsonl or .csv feed file.")],
        party: Annotated[str, typer.Option(help="The party that supplied the file.")],
        encoding: Annotated[str, typer.Option(help="utf-8, gb18030 or gbk.")] = "utf-8",
        fmt: Annotated[str | None, typer.Option("--format",
                                                help="jsonl or csv (default: by suffix)")] = None,
        batch_size: Annotated[int, typer.Option(min=1, max=100_000)] = 5000,
        rejects: Annotated[Path | None, typer.Option(
            help="Where to list rejected records (default: FILE.rejects.jsonl).")] = None,
        quiet: Annotated[bool, typer.Option(help="No progress bar.")] = False,
        rescore: Annotated[bool, typer.Option(
            help="Re-score the subjects each batch touched (credit classes, sandbox, "
                 "triggers). Turn off for a bulk load followed by `hub credit rescore`."
        )] = True,
    ) -> None:
        """Ingest a feed file (resumable; replaying it changes nothing)."""
        summary = run_ingest(get_settings(), source, file, party, encoding=encoding,
                             fmt=fmt, batch_size=batch_size, rejects=rejects, quiet=quiet,
                             rescore=rescore)
        print_summary(summary)
