"""The ``hub`` command: run the server, manage the local Neo4j, migrate, ingest."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, ParamSpec, TypeVar

import typer

from hub.audit.cli import audit_app
from hub.auth.cli import register as register_auth_commands
from hub.console import friendly, say
from hub.credit.cli import register as register_credit_commands
from hub.delivery.cli import webhook_app
from hub.demo.cli import demo_app
from hub.errors import HubError
from hub.policy.cli import policy_app
from hub.settings import get_settings

P = ParamSpec("P")
R = TypeVar("R")

app = typer.Typer(help="The credit data-sharing hub.", no_args_is_help=True,
                  pretty_exceptions_enable=False)
neo4j_app = typer.Typer(help="The project's own local Neo4j server.", no_args_is_help=True)
app.add_typer(neo4j_app, name="neo4j")
redis_app = typer.Typer(help="A local Redis (Debian's redis-server) for shared rate limits.",
                        no_args_is_help=True)
app.add_typer(redis_app, name="redis")
app.add_typer(demo_app, name="demo")
register_auth_commands(app)
register_credit_commands(app)
app.add_typer(audit_app, name="audit")
app.add_typer(webhook_app, name="webhook")
app.add_typer(policy_app, name="policy")


@neo4j_app.command("start")
@friendly
def neo4j_start() -> None:
    """Start the local Neo4j (downloading it on first use); reuse it if running."""
    from hub.neo4j_local import LocalNeo4j

    server = LocalNeo4j(get_settings())
    running = server.status()
    state = running or server.start(progress=say)
    if running:
        say(f"Neo4j already running on {state.uri} (pid {state.pid}); log: {state.log}")
    typer.echo(state.uri)


@neo4j_app.command("stop")
@friendly
def neo4j_stop() -> None:
    """Stop the local Neo4j cleanly."""
    from hub.neo4j_local import LocalNeo4j

    if LocalNeo4j(get_settings()).stop():
        say("Neo4j stopped.")
    else:
        say("Neo4j was not running.")


@neo4j_app.command("status")
@friendly
def neo4j_status() -> None:
    """Show whether the local Neo4j is running (exit code 3 if not)."""
    from hub.neo4j_local import LocalNeo4j

    server = LocalNeo4j(get_settings())
    state = server.status()
    if state is None:
        say(f"Neo4j is not running (home: {server.home}).")
        raise typer.Exit(3)
    typer.echo(f"running pid={state.pid} uri={state.uri} version={state.version} "
               f"log={state.log}")


@redis_app.command("start")
@friendly
def redis_start() -> None:
    """Start the local Redis (reuse it if running); prints the HUB_REDIS_URL to use."""
    from hub.redis_local import LocalRedis

    state = LocalRedis(get_settings()).start()
    say(f"Redis on 127.0.0.1:{state.port} (pid {state.pid}); log: {state.log}")
    typer.echo(state.url)


@redis_app.command("stop")
@friendly
def redis_stop() -> None:
    """Stop the local Redis."""
    from hub.redis_local import LocalRedis

    say("Redis stopped." if LocalRedis(get_settings()).stop() else "Redis was not running.")


@redis_app.command("status")
@friendly
def redis_status() -> None:
    """Show whether the local Redis is running (exit code 3 if not)."""
    from hub.redis_local import LocalRedis

    state = LocalRedis(get_settings()).status()
    if state is None:
        say("Redis is not running.")
        raise typer.Exit(3)
    typer.echo(f"running pid={state.pid} port={state.port} log={state.log}")


@app.command()
@friendly
def migrate() -> None:
    """Apply pending schema migrations (schema/neo4j/NNNN_*.cypher)."""
    from hub.graph import migrations
    from hub.graph.driver import async_driver, connection

    settings = get_settings()
    conn = connection(settings)

    async def run() -> list[migrations.Migration]:
        async with async_driver(conn) as driver:
            return await migrations.migrate(driver, conn.database, settings.schema_dir)

    applied = asyncio.run(run())
    for migration in applied:
        say(f"applied {migration.path.name}")
    say(f"{len(applied)} migration(s) applied; schema is up to date.")


@app.command()
@friendly
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (HUB_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (HUB_PORT).")] = None,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
) -> None:
    """Serve the API under uvicorn."""
    import uvicorn

    from hub import logs
    from hub.api.persisted import Manifest
    from hub.api.serving import uvicorn_options
    from hub.graph.driver import connection

    settings = get_settings()
    connection(settings)  # fail here, with the hint, rather than inside a worker
    if workers > 1 and not settings.redis_url:
        raise HubError(f"{workers} workers would each keep their own rate limits and data "
                       f"budgets (a party would get {workers} times its rate).",
                       "Set HUB_REDIS_URL to a Redis they share (`hub redis start` runs "
                       "one locally), or serve with one worker.")
    Manifest.load(settings.persisted_queries)
    logs.configure(settings.log_level)
    if workers > 1:
        _metrics_dir(settings.state_dir / "metrics")
    uvicorn.run("hub.app:create_app", factory=True, host=host or settings.host,
                port=port or settings.port, workers=workers, log_config=None,
                access_log=False, proxy_headers=False, **uvicorn_options(settings))


def _metrics_dir(directory: Path) -> None:
    """prometheus_client's multiprocess mode: every worker writes its samples here (set
    before the workers start; emptied so a previous run's dead workers are not counted)."""
    import os
    import shutil

    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(directory)


@app.command()
@friendly
def worker() -> None:
    """Run the scheduled supervision work (escalation) apart from `hub serve`: set
    HUB_SCHEDULER_ENABLED=false on the API processes. Safe to run several: each job runs
    once per period across all of them (a lease in Neo4j)."""
    from hub import logs, scheduler

    settings = get_settings()
    logs.configure(settings.log_level)
    say("scheduler running (Ctrl-C stops it)")
    try:
        asyncio.run(scheduler.work(settings))
    except KeyboardInterrupt:
        say("scheduler stopped")


@app.command("schema")
def export_schema(
    out: Annotated[str | None, typer.Option(help="Write to this file instead of stdout.")] = None,
) -> None:
    """Print the GraphQL SDL (kept in schema/hub.graphql; a test checks for drift)."""
    from pathlib import Path

    from hub.api.schema import sdl

    text = sdl() + "\n"
    if out:
        Path(out).write_text(text, encoding="utf-8")
        say(f"wrote {out}")
    else:
        typer.echo(text, nl=False)


@app.command("persisted")
@friendly
def persisted(
    files: Annotated[list[str], typer.Argument(help="GraphQL documents, one per file.")],
    out: Annotated[str | None, typer.Option(help="Write to this file instead of stdout.")] = None,
) -> None:
    """Build a persisted-documents manifest (HUB_PERSISTED_QUERIES) from .graphql files.

    Each document is validated against the hub's schema first, so a typo fails here,
    not in production."""
    from pathlib import Path

    import orjson
    from graphql import parse, validate

    from hub.api.persisted import ManifestError, build_manifest
    from hub.api.schema import build_schema
    from hub.settings import Settings

    paths = [Path(f) for f in files]
    schema = build_schema(Settings())._schema
    for path in paths:
        try:
            errors = validate(schema, parse(path.read_text(encoding="utf-8")))
        except Exception as exc:  # a syntax error or an unreadable file
            raise ManifestError(f"{path}: {exc}") from None
        if errors:
            raise ManifestError(f"{path}: {errors[0].message}",
                                "Fix the document; it must validate against the schema.")
    text = orjson.dumps(build_manifest(paths), option=orjson.OPT_INDENT_2).decode() + "\n"
    if out:
        Path(out).write_text(text, encoding="utf-8")
        say(f"wrote {out} ({len(paths)} documents)")
    else:
        typer.echo(text, nl=False)


def main() -> None:
    import logging

    from hub.ingest_cli import register

    # The driver's retry chatter is noise on a terminal; failures surface as hub errors.
    logging.getLogger("neo4j").setLevel(logging.ERROR)
    register(app)
    app()


if __name__ == "__main__":
    main()
