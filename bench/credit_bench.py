"""Re-scoring throughput: subjects per second for the credit pipeline (not a test).

Uses the configured graph (``NEO4J_URI`` or the local server, e.g. after
``hub demo load``) and re-scores the first N subjects by USCC in batches, reporting
subjects/s for the facts query alone, for scoring (facts + Python + write) and for the
full pipeline (triggers + reminders + scoring). Ratios matter more than absolute times
on a shared machine. It writes scores like ``hub credit rescore`` would (idempotent).

    .venv/bin/python bench/credit_bench.py --subjects 20000 --batch-size 500
"""

from __future__ import annotations

import argparse
import time

import neo4j

from hub.credit import clock, facts
from hub.credit.config import load_policies
from hub.credit.engine import RescoreSummary, chunks, rescore, score_batch
from hub.graph.driver import connection, sync_driver
from hub.settings import get_settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=5000)
    parser.add_argument("--batch-size", type=int, default=500)
    args = parser.parse_args()
    conn = connection(get_settings())
    policies = load_policies()
    with sync_driver(conn) as driver:
        db = conn.database
        now = clock.now(driver, db)
        records, _, _ = driver.execute_query(
            "MATCH (s:Subject) RETURN s.uscc AS u ORDER BY u LIMIT $n", n=args.subjects,
            database_=db, routing_=neo4j.RoutingControl.READ)
        usccs = [str(r["u"]) for r in records]
        if not usccs:
            raise SystemExit("no subjects in the graph (try `hub demo load` first)")
        print(f"{len(usccs):,} subjects, batch {args.batch_size}, rules {policies.credit.version}")

        began = time.perf_counter()
        for batch in chunks(usccs, args.batch_size):
            facts.fetch(driver, db, batch, now.date(), policies.credit.facts_lookback_days)
        report("facts query only", len(usccs), time.perf_counter() - began)

        began = time.perf_counter()
        summary = RescoreSummary()
        for batch in chunks(usccs, args.batch_size):
            score_batch(driver, db, policies, batch, now, summary)
            summary.outcomes.clear()
        report("score + classify + sandbox + write", len(usccs), time.perf_counter() - began)

        began = time.perf_counter()
        full = rescore(driver, db, usccs, policies=policies, now=now, neighbours=False,
                       batch_size=args.batch_size)
        report("full pipeline (triggers, reminders, scoring)", len(usccs),
               time.perf_counter() - began)
        print(f"alerts raised {full.alerts_raised:,}, closed {full.alerts_closed:,}, "
              f"class changes {full.class_changes:,}")


def report(label: str, n: int, seconds: float) -> None:
    print(f"{label:<48} {n / seconds:>10,.0f} subjects/s  ({seconds:.1f} s)")


if __name__ == "__main__":
    main()
