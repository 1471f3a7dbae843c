"""The scheduler runs escalation on time by itself, once across several processes."""

from __future__ import annotations

import asyncio
from pathlib import Path

import neo4j

from hub import scheduler
from hub.graph.driver import Connection, async_driver, sync_driver
from tests.conftest import make_settings
from tests.integration.api_world import build_graph
from tests.integration.delivery_world import raise_tobacco_alert


def test_two_processes_escalate_each_overdue_alert_once(graph: neo4j.Driver,
                                                        neo4j_conn: Connection,
                                                        tmp_path: Path) -> None:
    build_graph(graph, tmp_path)
    alert_id = raise_tobacco_alert(graph, tmp_path)
    graph.execute_query("MATCH (a:Alert {id: $id}) SET a.deadline = '2000-01-01T00:00:00+00:00'",
                        id=alert_id)
    settings = make_settings(scheduler_enabled=True, scheduler_poll_seconds=0.05,
                             escalation_every=3600)

    async def two_schedulers() -> None:
        engines = [sync_driver(neo4j_conn), sync_driver(neo4j_conn)]
        async with async_driver(neo4j_conn) as first, async_driver(neo4j_conn) as second:
            loops = [asyncio.create_task(scheduler.run_scheduler(settings, drv, "neo4j", eng))
                     for drv, eng in zip((first, second), engines, strict=True)]
            try:
                async with asyncio.timeout(120):
                    while True:  # until the run is recorded, then a few more polls
                        records, _, _ = await first.execute_query(
                            "MATCH (l:JobLease {id: 'escalation'}) RETURN l.runs AS runs")
                        if records and records[0]["runs"]:
                            break
                        await asyncio.sleep(0.05)
            finally:
                for loop in loops:
                    loop.cancel()
                await asyncio.gather(*loops, return_exceptions=True)
            # Not due again: twenty more attempts from both processes run nothing.
            [job] = scheduler.jobs(settings, engines[0], "neo4j")
            again = await asyncio.gather(*[
                scheduler.run_once(job, drv, "neo4j", f"proc-{i % 2}")
                for i, drv in enumerate([first, second] * 10)])
            assert not any(again)
            # A fresh job raced by both: exactly one wins the lease and runs it.
            ran: list[int] = []
            fresh = scheduler.Job("probe", 3600, lambda: ran.append(1))
            won = await asyncio.gather(*[
                scheduler.run_once(fresh, drv, "neo4j", f"proc-{i % 2}")
                for i, drv in enumerate([first, second] * 10)])
            assert sum(won) == 1 and ran == [1]
        for eng in engines:
            eng.close()

    asyncio.run(two_schedulers())
    records, _, _ = graph.execute_query(
        "MATCH (a:Alert {id: $id}) RETURN a.escalated_at IS NOT NULL AS escalated, "
        "COUNT { (:AlertStep {step: 'escalated'})-[:OF]->(a) } AS steps", id=alert_id)
    assert records[0]["escalated"] and records[0]["steps"] == 1
    records, _, _ = graph.execute_query(
        "MATCH (l:JobLease {id: 'escalation'}) RETURN l.runs AS runs, l.holder AS holder, "
        "l.next_due > datetime() + duration({minutes: 50}) AS later, l.last_result AS result")
    assert records[0]["runs"] == 1, "two processes polling 20×/s still ran it once"
    assert records[0]["holder"] is None and records[0]["later"]
    assert records[0]["result"] == "1 alert(s) escalated"
