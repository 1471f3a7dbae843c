"""Re-scoring throughput: subjects per second for the credit pipeline (not a test).

Uses the configured graph (``NEO4J_URI`` or the local server, e.g. after
``hub demo load``) and times, in this order:

* ``full/changed``: ``rescore_all`` with the credit rules' version bumped in memory, so
  every subject's outcome differs from the stored one and is written in full (what the
  first run after a change of rules costs; pass ``--no-changed`` to skip it — it writes
  a new assessment for every subject);
* ``full/unchanged``: ``rescore_all`` again on the same data and rules (the common
  case: nearly read-only);
* ``incremental``: ``rescore(<N random subjects>)`` — what ingest and the API's writes
  call after each batch — repeated, reporting each latency;
* with ``--phases``: the facts query and the Python scoring alone on the first subjects.

Ratios matter more than absolute times on a shared machine: repeat and compare.

    .venv/bin/python bench/credit_bench.py --incremental 1000 --repeat 3
"""

from __future__ import annotations

import argparse
import os
import random
import time

import neo4j

from hub.credit import clock, facts
from hub.credit.config import Policies, load_policies
from hub.credit.engine import rescore, rescore_all
from hub.credit.sandbox import decide
from hub.credit.scoring import assess
from hub.graph.driver import connection, sync_driver
from hub.settings import get_settings


def bumped(policies: Policies, suffix: str) -> Policies:
    credit = policies.credit.model_copy(update={"version": policies.credit.version + suffix})
    return Policies(credit=credit, triggers=policies.triggers, reminders=policies.reminders)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changed", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--unchanged", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--incremental", type=int, default=1000, help="subjects (0: skip)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--phases", type=int, default=0, help="subjects for phase timings")
    parser.add_argument("--batch-size", type=int, default=0, help="0: the engine's default")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--neo4j-pid", type=int, default=0, help="to report its CPU time")
    args = parser.parse_args()
    if args.neo4j_pid:
        NEO4J_PID.append(args.neo4j_pid)
    conn = connection(get_settings())
    policies = load_policies()
    sizing = {"batch_size": args.batch_size} if args.batch_size else {}
    with sync_driver(conn) as driver:
        db = conn.database
        records, _, _ = driver.execute_query(
            "MATCH (s:Subject) RETURN s.uscc AS u ORDER BY u", database_=db,
            routing_=neo4j.RoutingControl.READ)
        usccs = [str(r["u"]) for r in records]
        if not usccs:
            raise SystemExit("no subjects in the graph (try `hub demo load` first)")
        print(f"{len(usccs):,} subjects, rules {policies.credit.version}")
        _CPU[:] = cpu_seconds()

        if args.changed:  # and the runs below keep the bumped version: nothing changes
            now = clock.now(driver, db)
            _CPU[:] = cpu_seconds()
            policies = bumped(policies, f"+bench{now:%H%M%S}")
            began = time.perf_counter()
            summary = rescore_all(driver, db, policies=policies, now=now, **sizing)
            report("full/changed (new rules version)", summary.scored,
                   time.perf_counter() - began)
        if args.unchanged:
            for _ in range(args.repeat):
                _CPU[:] = cpu_seconds()
                began = time.perf_counter()
                summary = rescore_all(driver, db, policies=policies, **sizing)
                report("full/unchanged", summary.scored, time.perf_counter() - began)
        if args.incremental:
            rng = random.Random(args.seed)
            for _ in range(args.repeat):
                sample = rng.sample(usccs, min(args.incremental, len(usccs)))
                began = time.perf_counter()
                summary = rescore(driver, db, sample, policies=policies, **sizing)
                took = time.perf_counter() - began
                print(f"{'incremental ' + str(len(sample)):<40} {took * 1000:>8,.0f} ms  "
                      f"({summary.scored:,} scored incl. neighbours)")
        if args.phases:
            phases(driver, db, policies, usccs[:args.phases])


def phases(driver: neo4j.Driver, db: str, policies: Policies, usccs: list[str]) -> None:
    now = clock.now(driver, db)
    began = time.perf_counter()
    fetched = facts.fetch(driver, db, usccs, now.date(), policies.credit.facts_lookback_days)
    report("facts query only", len(usccs), time.perf_counter() - began)
    began = time.perf_counter()
    for subject in fetched:
        decide(subject, assess(subject, policies.credit, now), policies.credit, now.date())
    report("Python scoring + sandbox only", len(usccs), time.perf_counter() - began)


NEO4J_PID: list[int] = []
_CPU: list[float] = []


def cpu_seconds() -> tuple[float, float]:
    """CPU seconds used so far by this process and by the Neo4j server (``--neo4j-pid``,
    0 when not given): on a shared machine a steadier measure than wall time."""
    own = time.process_time()
    server = 0.0
    if NEO4J_PID:
        with open(f"/proc/{NEO4J_PID[0]}/stat", encoding="ascii") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        server = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return own, server


def report(label: str, n: int, seconds: float) -> None:
    own, server = cpu_seconds()
    cpu = ""
    if _CPU:
        cpu = (f"  CPU/subject: hub {1000 * (own - _CPU[0]) / n:.2f} ms"
               + (f", neo4j {1000 * (server - _CPU[1]) / n:.2f} ms" if NEO4J_PID else ""))
    _CPU[:] = [own, server]
    print(f"{label:<34} {n / seconds:>6,.0f} subjects/s ({n:,} in {seconds:.1f} s){cpu}")


if __name__ == "__main__":
    main()
