"""The Starlette application: lifespan-managed driver, health probes and ``/graphql``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import neo4j
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute

from hub import __version__
from hub.access_log import AccessLog
from hub.api.body_limit import BodyLimit
from hub.api.context import Services
from hub.api.limits import build_limits
from hub.api.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from hub.api.metrics import Metrics
from hub.api.persisted import Manifest
from hub.api.schema import build_schema
from hub.api.view import HubGraphQL, make_endpoint
from hub.api.ws import HubWebSocketGraphQL
from hub.audit import AuditLog
from hub.auth import auth_routes
from hub.credit.engine import make_ingest_hook
from hub.delivery.worker import run_webhook_worker
from hub.graph import migrations
from hub.graph.breaker import CircuitBreaker
from hub.graph.driver import api_drivers, connection, unguarded
from hub.policy.compiled import PolicyBook
from hub.scheduler import run_scheduler
from hub.settings import Settings, get_settings

log = logging.getLogger("hub.app")
MIGRATION_RETRY_SECONDS = 5.0
BREAKER_COOLDOWN = 1.0  # seconds between probes of a database known to be down


@dataclass
class HubState:
    """What the running app holds: settings, the one driver, migration status."""

    settings: Settings
    driver: neo4j.AsyncDriver
    database: str
    migrated: bool = False
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    #: called (in a thread) with the subjects a write touched: incremental re-scoring
    after_write: Callable[[set[str]], None] | None = None
    engine_driver: neo4j.Driver | None = None


async def _migrate_until_done(state: HubState) -> None:
    """Apply migrations, retrying while the database is unreachable."""
    while True:
        try:
            applied = await migrations.migrate(unguarded(state.driver), state.database,
                                               state.settings.schema_dir)
        except (neo4j.exceptions.ServiceUnavailable, neo4j.exceptions.SessionExpired, OSError):
            log.warning("database unavailable; migrations will be retried",
                        extra={"retry_in_s": MIGRATION_RETRY_SECONDS})
            await asyncio.sleep(MIGRATION_RETRY_SECONDS)
            continue
        state.migrated = True
        log.info("migrations applied", extra={"applied": [m.version for m in applied]})
        return


async def readyz(request: Request) -> JSONResponse:
    """200 when Neo4j answers and every migration is applied; 503 otherwise."""
    state: HubState = request.app.state.hub
    try:
        async with asyncio.timeout(state.settings.ready_timeout):
            pending = await migrations.pending(state.driver, state.database,
                                               state.settings.schema_dir)
    except Exception as exc:  # any failure to answer means "not ready"
        log.warning("readiness check failed", extra={"error": type(exc).__name__})
        return JSONResponse({"status": "unavailable", "database": "unreachable"},
                            status_code=503, headers={"Retry-After": "5"})
    if pending:
        return JSONResponse({"status": "unavailable", "database": "ok",
                             "pending_migrations": [m.version for m in pending]},
                            status_code=503, headers={"Retry-After": "5"})
    return JSONResponse({"status": "ready", "database": "ok"})


async def healthz(request: Request) -> JSONResponse:
    """200 while the process is up (liveness); says nothing about the database."""
    return JSONResponse({"status": "ok", "version": __version__})


def create_app(settings: Settings | None = None) -> Starlette:
    """Build the app; the driver is opened and closed by the lifespan."""
    settings = settings or get_settings()
    policies = PolicyBook.load(settings.access_policy)  # invalid rules fail start-up here
    metrics = Metrics()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        conn = connection(settings)
        # Requests use the async driver; the credit engine is synchronous (batch work, run
        # in threads) and gets its own sync driver. One breaker guards both: while the
        # database is down every request answers 503 at once (hub.graph.breaker).
        app.state.breaker = CircuitBreaker(BREAKER_COOLDOWN)
        driver, engine_driver = api_drivers(conn, settings.db_timeout, app.state.breaker)
        state = HubState(settings=settings, driver=driver, database=conn.database)
        app.state.hub = state
        state.engine_driver = engine_driver
        state.after_write = make_ingest_hook(engine_driver, conn.database, settings)
        app.state.metrics = metrics
        app.state.persisted = manifest
        audit = await AuditLog.from_settings(settings, driver, conn.database)
        limits = build_limits(settings.redis_url, settings.rate_limit_per_second,
                              settings.rate_limit_burst)
        app.state.services = Services(policies=policies, audit=audit, rate=limits.rate,
                                      budget=limits.budget)
        if limits.redis is None:
            log.info("rate limits and data budgets are this process's own (no "
                     "HUB_REDIS_URL): run one process only")
        if settings.migrate_on_start:
            # An edited migration fails start-up here; an unreachable database does not:
            # the hub comes up unready and keeps retrying.
            with contextlib.suppress(neo4j.exceptions.ServiceUnavailable, OSError):
                await migrations.migrate(unguarded(driver), conn.database,
                                         settings.schema_dir)
                state.migrated = True
            if not state.migrated:
                state.tasks.append(asyncio.create_task(_migrate_until_done(state)))
        if settings.scheduler_enabled:
            state.tasks.append(asyncio.create_task(run_scheduler(
                settings, driver, conn.database, engine_driver)))
        if settings.webhooks_enabled:
            state.tasks.append(asyncio.create_task(run_webhook_worker(
                settings, driver, conn.database, policies, audit)))
        log.info("hub started", extra={"env": settings.env, "neo4j": conn.uri,
                                       "version": __version__})
        try:
            yield
        finally:
            for task in state.tasks:
                task.cancel()
            await audit.close()
            await limits.close()
            await driver.close()
            engine_driver.close()

    view = HubGraphQL(build_schema(settings), settings)
    manifest = Manifest.load(settings.persisted_queries)  # a bad manifest stops start-up

    async def prometheus(request: Request) -> Response:
        return Response(metrics.render(), media_type=METRICS_CONTENT_TYPE)

    routes: list[BaseRoute] = [
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/metrics", prometheus),
        Route("/graphql", make_endpoint(view, settings),
              methods=["GET", "POST"] if not settings.production else ["POST"]),
        WebSocketRoute("/graphql", HubWebSocketGraphQL(view.schema, settings)),
    ]
    routes += auth_routes(settings)
    # Outside routing: oversized or slow bodies are refused before authentication.
    limits = Middleware(BodyLimit, max_bytes=settings.max_body_bytes,
                        timeout=settings.client_timeout)
    return Starlette(routes=routes, lifespan=lifespan,
                     middleware=[Middleware(AccessLog), limits])
