"""Finding the database and opening drivers to it.

``NEO4J_URI`` (with ``NEO4J_USER``/``NEO4J_PASSWORD``) wins; otherwise the local server
started by ``hub neo4j start`` is used. One async driver per process serves the API;
the CLI's bulk work uses a sync driver. Only managed transactions are used.

The API's drivers (:func:`api_drivers`) are guarded (:mod:`hub.graph.breaker`): each
async query carries a server-side transaction timeout of ``HUB_DB_TIMEOUT`` and an
asyncio deadline as the backstop (a frozen server enforces nothing); connecting and
acquiring a connection wait no longer; a circuit breaker shared with the engine's sync
driver answers at once while the database is known to be down.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import neo4j

from hub.errors import DatabaseUnavailable
from hub.graph.breaker import CircuitBreaker, Guard
from hub.neo4j_local import LocalNeo4j
from hub.settings import Settings

# A pooled connection idle longer than this is checked before use, so a restarted
# server costs one failed probe, not a failed request.
LIVENESS_CHECK_TIMEOUT = 30.0


@dataclass(frozen=True)
class Connection:
    uri: str
    user: str
    password: str
    database: str
    local: bool


def connection(settings: Settings) -> Connection:
    """Where the graph is, or a clear error saying how to provide one."""
    cfg = settings.neo4j
    if cfg.uri:
        if cfg.password is None:
            raise DatabaseUnavailable(
                f"NEO4J_URI is set to {cfg.uri} but NEO4J_PASSWORD is not.",
                "Set NEO4J_PASSWORD (and NEO4J_USER if it is not 'neo4j').",
            )
        return Connection(cfg.uri, cfg.user, cfg.password.get_secret_value(),
                          cfg.database, local=False)
    state = LocalNeo4j(settings).read_state()
    if state is None:
        raise DatabaseUnavailable(
            "No Neo4j server is configured and the local one has never been started.",
            "Run `hub neo4j start` (or `make run`), or set NEO4J_URI.",
        )
    return Connection(state.uri, state.user, state.password, cfg.database, local=True)


def _options() -> dict[str, object]:
    return {
        "liveness_check_timeout": LIVENESS_CHECK_TIMEOUT,
        "connection_timeout": 5.0,
        "connection_acquisition_timeout": 10.0,
        "max_connection_pool_size": 100,
        "notifications_min_severity": "OFF",
    }


def async_driver(conn: Connection) -> neo4j.AsyncDriver:
    # The API answers 503 quickly rather than retrying a transaction for the driver's
    # default 30 s while the client waits; bulk work (the sync driver) keeps retrying.
    return neo4j.AsyncGraphDatabase.driver(conn.uri, auth=(conn.user, conn.password),
                                           max_transaction_retry_time=3.0,
                                           **_options())  # type: ignore[arg-type]


def sync_driver(conn: Connection) -> neo4j.Driver:
    return neo4j.GraphDatabase.driver(conn.uri, auth=(conn.user, conn.password),
                                      **_options())  # type: ignore[arg-type]


def _timed(query: Any, timeout: float) -> Any:
    """The query with a server-side transaction timeout (unless it carries its own)."""
    if isinstance(query, neo4j.Query):
        return query if query.timeout is not None else neo4j.Query(
            query.text, query.metadata, timeout)
    return neo4j.Query(query, timeout=timeout)


def _timed_work(work: Callable[..., Any], timeout: float) -> Callable[..., Any]:
    if getattr(work, "timeout", None) is not None:
        return work
    return neo4j.unit_of_work(timeout=timeout)(lambda *a, **k: work(*a, **k))


class GuardedSession:
    """An async session whose transactions go through the guard."""

    def __init__(self, session: neo4j.AsyncSession, guard: Guard) -> None:
        self._session = session
        self._guard = guard

    async def execute_read(self, work: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        timed = _timed_work(work, self._guard.timeout)
        return await self._guard.run(lambda: self._session.execute_read(timed, *args, **kwargs))

    async def execute_write(self, work: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        timed = _timed_work(work, self._guard.timeout)
        return await self._guard.run(
            lambda: self._session.execute_write(timed, *args, **kwargs))

    async def run(self, query: Any, parameters: dict[str, Any] | None = None,
                  **kwargs: Any) -> Any:
        timed = _timed(query, self._guard.timeout)
        return await self._guard.run(lambda: self._session.run(timed, parameters, **kwargs))

    async def __aenter__(self) -> GuardedSession:
        await self._session.__aenter__()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._session.__aexit__(*exc)  # type: ignore[no-untyped-call]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._session, name)


class GuardedDriver:
    """The API's async driver: ``execute_query`` and sessions go through the guard; the
    rest (close, verify_connectivity, …) is the driver's own."""

    def __init__(self, driver: neo4j.AsyncDriver, guard: Guard) -> None:
        self.raw = driver
        self.guard = guard

    async def execute_query(self, query_: Any, parameters_: dict[str, Any] | None = None,
                            *args: Any, **kwargs: Any) -> Any:
        timed = _timed(query_, self.guard.timeout)
        return await self.guard.run(
            lambda: self.raw.execute_query(timed, parameters_, *args, **kwargs))

    def session(self, **config: Any) -> GuardedSession:
        return GuardedSession(self.raw.session(**config), self.guard)

    async def __aenter__(self) -> GuardedDriver:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.raw.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.raw, name)


class GuardedSyncSession:
    """A sync session whose transactions go through the breaker."""

    def __init__(self, session: neo4j.Session, guard: Guard) -> None:
        self._session = session
        self._guard = guard

    def execute_read(self, work: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return self._guard.run_sync(lambda: self._session.execute_read(work, *args, **kwargs))

    def execute_write(self, work: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return self._guard.run_sync(lambda: self._session.execute_write(work, *args, **kwargs))

    def __enter__(self) -> GuardedSyncSession:
        self._session.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._session.__exit__(*exc)  # type: ignore[no-untyped-call]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._session, name)


class GuardedSyncDriver:
    """The credit engine's sync driver in the API process: the breaker answers at once
    while the database is down. No transaction timeout: batch scoring may take longer
    than a request's budget, and a thread cannot be cut short anyway."""

    def __init__(self, driver: neo4j.Driver, guard: Guard) -> None:
        self.raw = driver
        self.guard = guard

    def execute_query(self, query_: Any, parameters_: dict[str, Any] | None = None,
                      *args: Any, **kwargs: Any) -> Any:
        return self.guard.run_sync(
            lambda: self.raw.execute_query(query_, parameters_, *args, **kwargs))

    def session(self, **config: Any) -> GuardedSyncSession:
        return GuardedSyncSession(self.raw.session(**config), self.guard)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.raw, name)


def api_drivers(conn: Connection, timeout: float, breaker: CircuitBreaker,
                ) -> tuple[neo4j.AsyncDriver, neo4j.Driver]:
    """The API's async driver and the engine's sync driver, both guarded by one breaker.

    Typed as the drivers they stand for: the guards forward everything they do not bound.
    """
    guard = Guard(timeout, breaker)
    options = {**_options(), "connection_timeout": timeout,
               "connection_acquisition_timeout": timeout,
               "max_transaction_retry_time": timeout / 2}
    auth = (conn.user, conn.password)
    raw = neo4j.AsyncGraphDatabase.driver(conn.uri, auth=auth, **options)  # type: ignore[arg-type]
    sync = neo4j.GraphDatabase.driver(conn.uri, auth=auth, **options)  # type: ignore[arg-type]
    return (cast(neo4j.AsyncDriver, GuardedDriver(raw, guard)),
            cast(neo4j.Driver, GuardedSyncDriver(sync, guard)))


def unguarded(driver: neo4j.AsyncDriver) -> neo4j.AsyncDriver:
    """The driver under the guard, for work with no deadline (migrations at start-up)."""
    return driver.raw if isinstance(driver, GuardedDriver) else driver
