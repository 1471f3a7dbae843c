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


SCALES = {
    # --quick: under 3 minutes in all; no full rescore (it alone takes ~40 s here).
    "quick": Scale("quick", 2_000, "1g", "1g", warmup=0.3, duration=1.0, open_duration=1.0,
                   sweep=(1, 8, 32, 128), concurrency=8, rescore=False),
    "district": Scale("district", 50_000, "2g", "4g", warmup=2.0, duration=10.0,
                      open_duration=10.0, sweep=(1, 8, 32, 128), concurrency=8),
    "city": Scale("city", 500_000, "4g", "6g", warmup=5.0, duration=30.0, open_duration=30.0,
                  sweep=(1, 8, 32, 128), concurrency=8),
}
