"""The supervision clock: every credit decision takes "now" from here.

Deadlines, observation periods and windows depend on the date, and tests and demos
need to move time ("the deadline passes") without waiting. Precedence:

1. ``HUB_CLOCK`` (an ISO datetime) in the environment: time is frozen there;
2. a clock set in the graph with :func:`set_clock` (``(:Clock {id: 'hub'})``): the real
   time shifted by a stored offset, so the whole deployment agrees on one "now";
3. the real time (UTC).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

import neo4j

from hub.errors import HubError

CLOCK_ID = "hub"


def parse_iso(text: str) -> datetime:
    """An aware datetime from ISO text (a date means its midnight; naive means UTC).

    Callers store ``.astimezone(UTC).isoformat()``: one offset keeps ISO strings in the
    graph comparable as text (deadlines, windows)."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise HubError(f"{text!r} is not an ISO date or datetime",
                       "Use e.g. 2026-07-01 or 2026-07-01T09:00:00+08:00.") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _real_now() -> datetime:
    return datetime.now(UTC)


def now(driver: neo4j.Driver | None = None, database: str = "neo4j") -> datetime:
    """The hub's current time (see the module docstring for the precedence)."""
    fixed = os.environ.get("HUB_CLOCK")
    if fixed:
        return parse_iso(fixed).astimezone(UTC)
    real = _real_now()
    if driver is None:
        return real
    records, _, _ = driver.execute_query(
        "MATCH (c:Clock {id: $id}) RETURN c.offset_ms AS offset", id=CLOCK_ID,
        database_=database, routing_=neo4j.RoutingControl.READ)
    if not records or records[0]["offset"] is None:
        return real
    return datetime.fromtimestamp(real.timestamp() + records[0]["offset"] / 1000, UTC)


def set_clock(driver: neo4j.Driver, database: str, iso: str | None) -> datetime:
    """Move the graph's clock to ``iso`` (it keeps running from there); None resets it."""
    if iso is None:
        driver.execute_query("MATCH (c:Clock {id: $id}) DELETE c", id=CLOCK_ID,
                             database_=database)
        return _real_now()
    target = parse_iso(iso)
    offset_ms = round((target.timestamp() - _real_now().timestamp()) * 1000)
    driver.execute_query("MERGE (c:Clock {id: $id}) SET c.offset_ms = $offset, c.set_to = $to",
                         id=CLOCK_ID, offset=offset_ms, to=target.isoformat(),
                         database_=database)
    return target
