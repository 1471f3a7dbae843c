"""Rate limits and data budgets shared through a real Redis: two limiters (as two worker
processes or replicas hold) spend one party's bucket once, not twice."""

from __future__ import annotations

import asyncio
import time

from hub.api.limits import LocalRateLimiter, build_limits
from tests.conftest import free_port


def test_two_processes_share_one_bucket(redis_url: str) -> None:
    async def go() -> tuple[int, float, int]:
        first = build_limits(redis_url, per_second=1.0, burst=5.0)
        second = build_limits(redis_url, per_second=1.0, burst=5.0)
        party = f"party-{time.monotonic_ns()}"
        began = time.monotonic()
        allowed = 0
        for i in range(20):
            limits = first if i % 2 else second
            if await limits.rate.take(party) == 0.0:
                allowed += 1
        elapsed = time.monotonic() - began
        # Unshared buckets would have let 10 through (5 each).
        local = [LocalRateLimiter(1.0, 5.0), LocalRateLimiter(1.0, 5.0)]
        unshared = sum(1 for i in range(20) if local[i % 2].take_now(party) == 0.0)
        await first.close()
        await second.close()
        return allowed, elapsed, unshared

    allowed, elapsed, unshared = asyncio.run(go())
    assert 5 <= allowed <= 5 + int(elapsed * 1.0) + 1
    assert unshared == 10


def test_budget_is_counted_once_across_processes(redis_url: str) -> None:
    async def go() -> tuple[int, int]:
        first = build_limits(redis_url, 10.0, 10.0)
        second = build_limits(redis_url, 10.0, 10.0)
        party = f"party-{time.monotonic_ns()}"
        await first.budget.spend(party, 300)
        await second.budget.spend(party, 500)
        seen = (await first.budget.remaining(party, 1000),
                await second.budget.remaining(party, 1000))
        await first.close()
        await second.close()
        return seen

    assert asyncio.run(go()) == (200, 200)


def test_unreachable_redis_falls_back_to_this_process() -> None:
    async def go() -> tuple[list[float], float]:
        limits = build_limits(f"redis://127.0.0.1:{free_port()}/0", 1.0, 2.0)
        began = time.monotonic()
        waits = [await limits.rate.take("p") for _ in range(3)]
        await limits.budget.spend("p", 5)
        assert await limits.budget.remaining("p", 10) == 5
        await limits.close()
        return waits, time.monotonic() - began

    waits, elapsed = asyncio.run(go())
    assert waits[:2] == [0.0, 0.0] and waits[2] > 0  # the local bucket still limits
    assert elapsed < 5  # refused connections fail fast
