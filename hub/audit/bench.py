"""Measure appends per second with N concurrent appenders (``hub audit bench``).

Each appender awaits its append before issuing the next, as a request handler would;
the number of groups (fsyncs) shows how much group commit batched.
"""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass

from hub.audit.log import AuditLog
from hub.audit.record import AuditEntry, query_hash


@dataclass(frozen=True, slots=True)
class BenchResult:
    concurrency: int
    appends: int
    seconds: float
    groups: int

    @property
    def per_second(self) -> float:
        return self.appends / self.seconds if self.seconds else 0.0


def sample_entry(i: int) -> AuditEntry:
    """A realistic record: a platform reading three subjects."""
    return AuditEntry(party="platform-1", client="client-1", purpose="risk-assessment",
                      operation="subjects", query_hash=query_hash("{ subjects { uscc } }",
                                                                  {"i": i}),
                      record_ids=(f"91330000MA{i:08d}", "91110000100000000X",
                                  "91310000000000001Y"))


async def run(directory: str | os.PathLike[str], concurrency: int, total: int,
              *, enabled: bool = True) -> BenchResult:
    """Append ``total`` records from ``concurrency`` tasks; time from first to last."""
    log = await AuditLog.open(directory, enabled=enabled)
    counter = iter(range(total))

    async def appender() -> None:
        for i in counter:  # the tasks share one iterator: ``total`` appends in all
            await log.append(sample_entry(i))

    try:
        start = time.perf_counter()
        await asyncio.gather(*(appender() for _ in range(concurrency)))
        elapsed = time.perf_counter() - start
    finally:
        await log.close()
    return BenchResult(concurrency, total, elapsed, log.groups)
