"""Scales and run lengths."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scale:
    name: str
    subjects: int
    heap: str
    pagecache: str
    warmup: float  # seconds of warm-up per workload and target
    duration: float  # seconds of measurement per closed-loop run
    open_duration: float  # seconds of the open-loop (fixed arrival rate) tail runs
    sweep: tuple[int, ...]  # concurrency levels of the sweep
    concurrency: int  # closed-loop clients of the per-workload throughput runs
    rescore: bool = True
    raw_ingest: bool = True  # the raw-driver ingest baseline (then a wipe and the hub's)
    unscoped: bool = True  # the raw-unscoped baselines (the policy's cost in Cypher)


SCALES = {
    # --quick: a smoke check under 3 minutes; no full rescore, no raw ingest baseline (the
    # district and city runs have both), fewer sweep points.
    "quick": Scale("quick", 2_000, "1g", "1g", warmup=0.3, duration=1.0, open_duration=1.0,
                   sweep=(1, 32), concurrency=8, rescore=False, raw_ingest=False,
                   unscoped=False),
    "district": Scale("district", 50_000, "2g", "4g", warmup=2.0, duration=10.0,
                      open_duration=10.0, sweep=(1, 8, 32, 128), concurrency=8),
    # city: within an hour on 2 cores — ingest (~25 min) and the first full rescore
    # (~15 min) dominate, so the raw ingest baseline (another ~25 min; see the district
    # run and bench/ingest_bench.py) is left out and the load runs are 10 s each.
    "city": Scale("city", 500_000, "4g", "6g", warmup=3.0, duration=10.0, open_duration=10.0,
                  sweep=(1, 8, 32, 128), concurrency=8, raw_ingest=False),
}
