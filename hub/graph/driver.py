"""Finding the database and opening drivers to it.

``NEO4J_URI`` (with ``NEO4J_USER``/``NEO4J_PASSWORD``) wins; otherwise the local server
started by ``hub neo4j start`` is used. One async driver per process serves the API;
the CLI's bulk work uses a sync driver. Only managed transactions are used.
"""

from __future__ import annotations

from dataclasses import dataclass

import neo4j

from hub.errors import DatabaseUnavailable
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
