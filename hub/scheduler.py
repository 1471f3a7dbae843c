"""Scheduled supervision work, run on time by the hub itself — once across all processes.

Every hub process (and ``hub worker``, for deployments that run it apart) polls the jobs;
a job runs only in the process that takes its lease (:mod:`hub.graph.lease`, due-gated),
so with several replicas each run happens once per period. The lease is renewed while the
job runs; a process that dies mid-run leaves it to be taken over when the lease expires.

Jobs today: ``escalation`` — alerts whose rectification deadline passed move up the
ladder (:func:`hub.credit.workflow.run_escalations`), at the supervision clock's "now".
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import neo4j

from hub.graph.lease import Lease, holder_id
from hub.settings import Settings

log = logging.getLogger("hub.scheduler")

LABEL = "JobLease"
RETRY_AFTER_FAILURE = 30.0  # seconds before a failed run is tried again


@dataclass(frozen=True)
class Job:
    name: str
    every: float  # seconds between runs (across the whole deployment)
    run: Callable[[], Any]  # blocking work; runs in a thread
    summary: Callable[[Any], str] = str


def jobs(settings: Settings, engine_driver: neo4j.Driver, database: str) -> list[Job]:
    from hub.credit.workflow import run_escalations

    return [Job("escalation", settings.escalation_every,
                lambda: run_escalations(engine_driver, database),
                summary=lambda rows: f"{len(rows)} alert(s) escalated")]


async def run_once(job: Job, driver: neo4j.AsyncDriver, database: str,
                   holder: str) -> bool:
    """Run ``job`` if this process gets its lease and it is due; True if it ran."""
    lease = Lease(LABEL, job.name, holder, seconds=max(60, int(job.every)))
    taken = await lease.take(driver, database, due_gated=True)
    if not taken.ok:
        return False

    async def renew() -> None:
        while True:
            await asyncio.sleep(lease.seconds / 3)
            await lease.renew(driver, database)

    keeper = asyncio.create_task(renew())
    try:
        result = await asyncio.to_thread(job.run)
    except Exception as exc:
        log.warning("scheduled job failed", extra={"job": job.name,
                                                   "error": type(exc).__name__})
        keeper.cancel()
        await lease.release(driver, database, next_in=min(job.every, RETRY_AFTER_FAILURE))
        return False
    keeper.cancel()
    summary = job.summary(result)
    await lease.release(driver, database, next_in=job.every, ran=True, result=summary)
    log.info("scheduled job ran", extra={"job": job.name, "result": summary})
    return True


async def run_scheduler(settings: Settings, driver: neo4j.AsyncDriver, database: str,
                        engine_driver: neo4j.Driver) -> None:
    """Poll the jobs until cancelled; a database outage only delays them."""
    holder = holder_id("scheduler")
    todo = jobs(settings, engine_driver, database)
    while True:
        for job in todo:
            try:
                await run_once(job, driver, database, holder)
            except Exception as exc:  # the loop outlives outages and bad runs alike
                log.warning("scheduler could not run a job", extra={
                    "job": job.name, "error": type(exc).__name__})
        await asyncio.sleep(settings.scheduler_poll_seconds)


async def work(settings: Settings) -> None:
    """``hub worker``: the scheduler on its own drivers, until interrupted."""
    from hub.graph.driver import async_driver, connection, sync_driver

    conn = connection(settings)
    engine_driver = sync_driver(conn)
    try:
        async with async_driver(conn) as driver:
            await run_scheduler(settings, driver, conn.database, engine_driver)
    finally:
        engine_driver.close()
