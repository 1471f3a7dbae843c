"""Per-party rate limits and daily data budgets, shared by every worker and replica.

With ``HUB_REDIS_URL`` set, the token buckets and the day's record counts live in Redis
(one atomic script per check), so a party gets the configured rate once however many
processes serve it. Without Redis they live in this process — right for one process only
(``hub serve`` refuses several workers without Redis). If Redis stops answering, a process
falls back to its own buckets and says so in the log, rather than failing requests.

A token bucket refills continuously; every operation costs one token and every record
returned a fraction of one.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

log = logging.getLogger("hub.limits")


def _day() -> str:
    return datetime.now(UTC).date().isoformat()


def retry_after(seconds: float) -> int:
    return max(1, math.ceil(seconds))


class RateLimiter(Protocol):
    async def take(self, party: str, cost: float = 1.0) -> float:
        """Spend ``cost`` tokens; 0.0 if allowed, else seconds to wait before retrying."""

    async def charge(self, party: str, cost: float) -> None:
        """Charge after the fact (records returned); may go negative, delaying the next."""


class DataBudget(Protocol):
    async def remaining(self, party: str, limit: int) -> int:
        """Records the party may still receive today (UTC)."""

    async def spend(self, party: str, records: int) -> None: ...


@dataclass
class _Bucket:
    tokens: float
    updated: float


class LocalRateLimiter:
    """Token buckets in this process."""

    def __init__(self, per_second: float, burst: float) -> None:
        self.per_second = per_second
        self.burst = burst
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def take_now(self, party: str, cost: float = 1.0) -> float:
        if self.per_second <= 0:
            return 0.0
        now = time.monotonic()
        with self._lock:
            bucket = self._buckets.setdefault(party, _Bucket(self.burst, now))
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated)
                                * self.per_second)
            bucket.updated = now
            if bucket.tokens >= cost:
                bucket.tokens -= cost
                return 0.0
            return (cost - bucket.tokens) / self.per_second

    def charge_now(self, party: str, cost: float) -> None:
        if self.per_second <= 0 or cost <= 0:
            return
        with self._lock:
            bucket = self._buckets.get(party)
            if bucket:
                bucket.tokens -= cost

    async def take(self, party: str, cost: float = 1.0) -> float:
        return self.take_now(party, cost)

    async def charge(self, party: str, cost: float) -> None:
        self.charge_now(party, cost)


class LocalDataBudget:
    """Records per party per UTC day, in this process."""

    def __init__(self) -> None:
        self._used: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()

    async def remaining(self, party: str, limit: int) -> int:
        with self._lock:
            return max(0, limit - self._used.get((party, _day()), 0))

    async def spend(self, party: str, records: int) -> None:
        with self._lock:
            key = (party, _day())
            self._used[key] = self._used.get(key, 0) + records


# KEYS[1] the bucket; ARGV rate, burst, cost, mode ('take' or 'charge'). Redis's own clock
# (TIME) so replicas with skewed clocks agree. Returns the wait in seconds, as a string.
_BUCKET = """
local rate, burst, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local now = redis.call('TIME')
local t = tonumber(now[1]) + tonumber(now[2]) / 1000000
local b = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(b[1]) or burst
local ts = tonumber(b[2]) or t
tokens = math.min(burst, tokens + math.max(0, t - ts) * rate)
local wait = 0
if ARGV[4] == 'take' then
  if tokens >= cost then tokens = tokens - cost else wait = (cost - tokens) / rate end
else
  tokens = tokens - cost
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(t))
redis.call('EXPIRE', KEYS[1], math.ceil(burst / rate) + 60)
return tostring(wait)
"""

_REDIS_DOWN = (OSError, TimeoutError)


def _redis_errors() -> tuple[type[BaseException], ...]:
    import redis.exceptions

    return (*_REDIS_DOWN, redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)


class _Fallback:
    """Log once when Redis stops answering and once when it answers again."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.down = False

    def failed(self, exc: BaseException) -> None:
        if not self.down:
            log.warning("redis unreachable; %s fall back to this process",
                        self.what, extra={"error": type(exc).__name__})
        self.down = True

    def answered(self) -> None:
        if self.down:
            log.info("redis answers again; %s are shared", self.what)
        self.down = False


class RedisRateLimiter:
    """Token buckets in Redis, one per party, shared by every process."""

    def __init__(self, client: Any, per_second: float, burst: float,
                 prefix: str = "hub:rate:") -> None:
        self.client = client
        self.per_second = per_second
        self.burst = burst
        self.prefix = prefix
        self.local = LocalRateLimiter(per_second, burst)
        self._script = client.register_script(_BUCKET)
        self._errors = _redis_errors()
        self._fallback = _Fallback("rate limits")

    async def _run(self, party: str, cost: float, mode: str) -> float | None:
        try:
            wait = await self._script(keys=[self.prefix + party],
                                      args=[self.per_second, self.burst, cost, mode])
        except self._errors as exc:
            self._fallback.failed(exc)
            return None
        self._fallback.answered()
        return float(wait)

    async def take(self, party: str, cost: float = 1.0) -> float:
        if self.per_second <= 0:
            return 0.0
        wait = await self._run(party, cost, "take")
        return self.local.take_now(party, cost) if wait is None else wait

    async def charge(self, party: str, cost: float) -> None:
        if self.per_second <= 0 or cost <= 0:
            return
        if await self._run(party, cost, "charge") is None:
            self.local.charge_now(party, cost)


class RedisDataBudget:
    """The day's record count per party in Redis (``INCRBY``, kept two days)."""

    def __init__(self, client: Any, prefix: str = "hub:budget:") -> None:
        self.client = client
        self.prefix = prefix
        self.local = LocalDataBudget()
        self._errors = _redis_errors()
        self._fallback = _Fallback("data budgets")

    def _key(self, party: str) -> str:
        return f"{self.prefix}{party}:{_day()}"

    async def remaining(self, party: str, limit: int) -> int:
        try:
            used = await self.client.get(self._key(party))
        except self._errors as exc:
            self._fallback.failed(exc)
            return await self.local.remaining(party, limit)
        self._fallback.answered()
        return max(0, limit - int(used or 0))

    async def spend(self, party: str, records: int) -> None:
        if records <= 0:
            return
        key = self._key(party)
        try:
            async with self.client.pipeline(transaction=True) as pipe:
                await pipe.incrby(key, records).expire(key, 2 * 86400).execute()
        except self._errors as exc:
            self._fallback.failed(exc)
            await self.local.spend(party, records)
            return
        self._fallback.answered()


@dataclass
class Limits:
    """The rate limiter and data budget a process uses, and the Redis client behind them."""

    rate: RateLimiter
    budget: DataBudget
    redis: Any = None

    async def close(self) -> None:
        if self.redis is not None:
            await self.redis.aclose()


def build_limits(redis_url: str | None, per_second: float, burst: float) -> Limits:
    """Shared limits through Redis when a URL is given, else this process's own."""
    if not redis_url:
        return Limits(LocalRateLimiter(per_second, burst), LocalDataBudget())
    import redis.asyncio

    client = redis.asyncio.Redis.from_url(redis_url, socket_timeout=0.5,
                                          socket_connect_timeout=0.5, decode_responses=True)
    return Limits(RedisRateLimiter(client, per_second, burst), RedisDataBudget(client), client)
