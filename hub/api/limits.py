"""Per-party rate limits and daily data budgets (in-process).

Each worker process keeps its own buckets; with N workers a party gets up to N times the
configured rate, so size the setting per worker. A token bucket refills continuously;
every operation costs one token and every record returned a fraction of one.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    def __init__(self, per_second: float, burst: float) -> None:
        self.per_second = per_second
        self.burst = burst
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def take(self, party: str, cost: float = 1.0) -> float:
        """Spend ``cost`` tokens; 0.0 if allowed, else seconds to wait before retrying."""
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

    def charge(self, party: str, cost: float) -> None:
        """Charge after the fact (records returned); may go negative, delaying the next."""
        if self.per_second <= 0 or cost <= 0:
            return
        with self._lock:
            bucket = self._buckets.get(party)
            if bucket:
                bucket.tokens -= cost


class DataBudget:
    """Records per party per UTC day."""

    def __init__(self) -> None:
        self._used: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _day() -> str:
        return datetime.now(UTC).date().isoformat()

    def remaining(self, party: str, limit: int) -> int:
        with self._lock:
            return max(0, limit - self._used.get((party, self._day()), 0))

    def spend(self, party: str, records: int) -> None:
        with self._lock:
            key = (party, self._day())
            self._used[key] = self._used.get(key, 0) + records


def retry_after(seconds: float) -> int:
    return max(1, math.ceil(seconds))
