"""The database circuit breaker and guard (hub.graph.breaker), on a manual clock."""

from __future__ import annotations

import asyncio

import neo4j
import pytest

from hub.graph.breaker import CircuitBreaker, DatabaseDown, Guard


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_opens_on_failure_probes_after_cooldown_and_closes_on_success() -> None:
    clock = Clock()
    breaker = CircuitBreaker(cooldown=1.0, clock=clock)
    assert breaker.allow() and not breaker.is_open
    breaker.failed()
    assert breaker.is_open and not breaker.allow()
    clock.now += 1.0
    assert breaker.allow(), "the half-open probe"
    assert not breaker.allow(), "only one probe at a time"
    breaker.failed()  # the probe failed: a fresh cooldown
    clock.now += 0.5
    assert not breaker.allow()
    clock.now += 0.5
    assert breaker.allow()
    breaker.abandoned()  # a cancelled probe frees the slot
    assert breaker.allow()
    breaker.succeeded()
    assert not breaker.is_open and breaker.allow() and breaker.allow()


def test_guard_bounds_a_hung_call_and_then_fails_fast() -> None:
    guard = Guard(0.05, CircuitBreaker(cooldown=60.0))

    async def hang() -> None:
        await asyncio.Event().wait()

    async def scenario() -> None:
        with pytest.raises(DatabaseDown, match=r"within 0\.05 s"):
            await guard.run(hang)
        assert guard.breaker.is_open
        calls = []

        async def count() -> int:
            calls.append(1)
            return 1

        with pytest.raises(DatabaseDown, match="circuit open"):
            await guard.run(count)
        assert calls == [], "refused without touching the database"

    asyncio.run(asyncio.wait_for(scenario(), 10))


def test_an_answered_error_proves_the_server_alive() -> None:
    guard = Guard(1.0, CircuitBreaker(cooldown=0.0))
    guard.breaker.failed()

    async def constraint() -> None:
        raise neo4j.exceptions.ConstraintError()

    async def refused() -> None:
        raise neo4j.exceptions.ServiceUnavailable("connection refused")

    with pytest.raises(neo4j.exceptions.ConstraintError):
        asyncio.run(guard.run(constraint))
    assert not guard.breaker.is_open
    with pytest.raises(neo4j.exceptions.ServiceUnavailable):
        asyncio.run(guard.run(refused))
    assert guard.breaker.is_open
    assert isinstance(DatabaseDown("x"), neo4j.exceptions.ServiceUnavailable)  # → 503
