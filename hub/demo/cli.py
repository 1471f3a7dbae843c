"""``hub demo …``: demo data commands (a sub-app so that ``demo load`` can join it)."""

from __future__ import annotations

import sys
import time
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from hub.errors import HubError

demo_app = typer.Typer(help="Demo data: generate realistic feeds (and load them).",
                       no_args_is_help=True)


def _as_of(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise HubError(f"--as-of {text!r} is not a date", "use YYYY-MM-DD, e.g. 2026-11-01") \
            from None


@demo_app.command("generate")
def generate_command(
    out: Annotated[Path, typer.Option("--out", help="Directory for the feeds (created).")],
    subjects: Annotated[int, typer.Option(help="Number of merchant subjects.")] = 1000,
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same bytes.")] = 1,
    fmt: Annotated[str, typer.Option("--format", help="jsonl or csv.")] = "jsonl",
    encoding: Annotated[str, typer.Option(help="Output encoding, e.g. gb18030 for csv.")]
    = "utf-8",
    dirty_rate: Annotated[float, typer.Option(help="Share of records given one defect.")]
    = 0.02,
    as_of: Annotated[str, typer.Option(help="Reference date of the data (no clock is read).")]
    = "2026-11-01",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Generate deterministic demo feeds for every connector, parties.json, manifest.json."""
    from hub.console import friendly
    from hub.demo.generate import Options, generate

    @friendly
    def run() -> None:
        options = Options(out=out, subjects=subjects, seed=seed, fmt=fmt.lower(),
                          encoding=encoding, dirty_rate=dirty_rate, as_of=_as_of(as_of))
        console = Console(stderr=True)
        started = time.perf_counter()
        show = not quiet and console.is_terminal
        with Progress(TextColumn("generating"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), console=console, disable=not show) as progress:
            task = progress.add_task("subjects", total=subjects)
            manifest = generate(options, lambda n: progress.advance(task, n))
        seconds = time.perf_counter() - started
        total = sum(f["records"] for f in manifest["files"].values())
        if not quiet:
            console.print(f"{total:,} records for {subjects:,} subjects in {seconds:.1f}s "
                          f"→ {out} (dirty: {sum(manifest['dirty'].values()):,}, "
                          f"invalid: {manifest['invalid']:,})", highlight=False)
        print(out / "manifest.json", file=sys.stdout)

    run()


@demo_app.command("load")
def load_command(
    subjects: Annotated[int, typer.Option(help="Number of merchant subjects.")] = 300,
    seed: Annotated[int, typer.Option(help="Random seed of the data set.")] = 1,
) -> None:
    """Generate (or reuse) demo feeds, create the demo parties and load everything."""
    from hub.console import friendly, say
    from hub.demo.load import load
    from hub.ingest_cli import print_summary, run_ingest
    from hub.settings import get_settings

    settings = get_settings()

    def ingest_file(source: str, path: Path, party: str) -> dict[str, object]:
        summary = run_ingest(settings, source, path, party, encoding="utf-8", fmt=None,
                             batch_size=5000, rejects=None, quiet=not sys.stderr.isatty())
        print_summary(summary)
        return summary

    @friendly
    def run() -> None:
        result = load(settings, subjects, seed, say, ingest_file)
        scored = result["scored"]
        say(f"Scored {getattr(scored, 'scored', '?')} subjects.")
        say(f"Demo clients (credentials in {result['clients_file']}):")
        for kind, client in result["clients"].items():
            say(f"  {kind:12} party={client['party']:16} client_id={client['client_id']}")

    run()


@demo_app.command("token")
def token_command(
    kind: Annotated[str, typer.Argument(help="regulator | platform | association | public")],
    url: Annotated[str, typer.Option(help="The hub's base URL.")] = "http://127.0.0.1:8000",
) -> None:
    """Print an access token for one of the demo clients (after `hub demo load`)."""
    import json

    import httpx

    from hub.console import friendly
    from hub.settings import get_settings

    @friendly
    def run() -> None:
        path = get_settings().state_dir / "demo" / "clients.json"
        if not path.exists():
            raise HubError(f"no demo clients in {path}", "Run `hub demo load` (or make run).")
        clients = json.loads(path.read_text(encoding="utf-8"))
        if kind not in clients:
            raise HubError(f"no demo client {kind!r}", f"Use one of: {', '.join(clients)}.")
        client = clients[kind]
        try:
            response = httpx.post(f"{url}/oauth/token", data={"grant_type": "client_credentials"},
                                  auth=(client["client_id"], client["client_secret"]), timeout=10)
        except httpx.HTTPError as exc:
            raise HubError(f"cannot reach the hub at {url}: {exc}",
                           "Start it with `make run` or `hub serve`.") from None
        if response.status_code != 200:
            raise HubError(f"the token endpoint answered {response.status_code}: "
                           f"{response.text[:200]}")
        typer.echo(response.json()["access_token"])

    run()
