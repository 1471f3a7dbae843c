"""Step 6: the Markdown report and its PNG plots."""

from __future__ import annotations

import math
import os
import platform
import subprocess
from collections import defaultdict
from pathlib import Path
from typing import Any

from bench.ingestion import Timed
from bench.runner import Result

MB = 1024 * 1024


def machine() -> list[str]:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024 ** 3
    java = subprocess.run(["java", "-version"], capture_output=True, text=True,
                          check=False).stderr.splitlines()[:1]
    node = subprocess.run(["node", "--version"], capture_output=True, text=True,
                          check=False).stdout.strip()
    return [f"CPU: {cpu} × {os.cpu_count()} logical cores; RAM {mem:.1f} GiB",
            f"OS: {platform.platform()}; Python {platform.python_version()}; "
            f"{java[0] if java else 'java ?'}; node {node or '?'}"]


def _f(x: float, digits: int = 1) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return f"{x:,.{digits}f}"


def _n(x: Any) -> str:
    return f"{x:,}" if isinstance(x, int) else "–"


def ingestion_table(hub: list[Timed], raw: dict[str, Timed]) -> list[str]:
    lines = ["| source | records | hub wall s | hub rec/s | hub peak RSS MB (rusage / polled) "
             "| hub CPU s | raw write s | raw rec/s | raw map s (not timed) | hub ÷ raw |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for t in hub:
        r = raw.get(t.name)
        ratio = (r.seconds / t.seconds) if r and t.seconds else float("nan")
        lines.append(
            f"| {t.name} | {t.records:,} | {_f(t.seconds, 2)} | {_f(t.rate, 0)} | "
            f"{_f(t.peak_rss / MB, 0)} / {_f(t.polled_rss / MB, 0)} | {_f(t.cpu, 1)} | "
            f"{_f(r.seconds, 2) if r else '–'} | {_f(r.rate, 0) if r else '–'} | "
            f"{_f(r.map_seconds, 2) if r else '–'} | {_f(ratio, 2)}× |")
    th = sum(t.seconds for t in hub)
    tr = sum(r.seconds for r in raw.values())
    n = sum(t.records for t in hub)
    lines.append(f"| **all** | {n:,} | {_f(th, 2)} | {_f(n / th if th else 0, 0)} | "
                 f"{_f(max((t.peak_rss for t in hub), default=0) / MB, 0)} | "
                 f"{_f(sum(t.cpu for t in hub), 1)} | {_f(tr, 2) if tr else '–'} | "
                 f"{_f(n / tr, 0) if tr else '–'} | | "
                 f"{_f(tr / th, 2) + '×' if tr and th else '–'} |")
    return lines


def workload_table(results: list[Result]) -> list[str]:
    lines = ["| target | mode | conc. / rate | requests | errors | p50 ms | p95 ms | p99 ms "
             "| req/s | front CPU s/1k | Neo4j CPU s/1k | gen CPU s/1k | front RSS MB "
             "| Neo4j RSS MB |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        load = f"{r.concurrency}" if r.mode == "closed" else f"{r.rate:,.0f}/s"
        lines.append(
            f"| {r.target} | {r.mode} | {load} | {r.count:,} | {r.errors} | {_f(r.pct(50), 2)} | "
            f"{_f(r.pct(95), 2)} | {_f(r.pct(99), 2)} | {_f(r.throughput, 0)} | "
            f"{_f(r.cpu_per_1k('front'), 2)} | {_f(r.cpu_per_1k('neo4j'), 2)} | "
            f"{_f(r.gen_cpu / r.count * 1000 if r.count else 0, 2)} | "
            f"{_f(r.server_rss.get('front', 0) / MB, 0)} | "
            f"{_f(r.server_rss.get('neo4j', 0) / MB, 0)} |")
    return lines


def _closed(results: list[Result], workload: str, target: str) -> Result | None:
    for r in results:
        if r.workload == workload and r.target == target and r.mode == "closed":
            return r
    return None


def ratio_table(results: list[Result], workloads: list[str], other: str,
                hits: dict[str, dict[str, Any]] | None = None) -> list[str]:
    head = (f"| workload | hub req/s | {other} req/s | hub ÷ {other} throughput | hub p50 ms | "
            f"{other} p50 ms | hub ÷ {other} p50 |")
    sep = "|---|---:|---:|---:|---:|---:|---:|"
    if hits is not None:
        head += " hub dbHits | peer dbHits |"
        sep += "---:|---:|"
    lines = [head, sep]
    for w in workloads:
        h, o = _closed(results, w, "hub"), _closed(results, w, other)
        if not h or not o:
            continue
        row = (f"| {w} | {_f(h.throughput, 0)} | {_f(o.throughput, 0)} | "
               f"{_f(h.throughput / o.throughput if o.throughput else 0, 2)}× | "
               f"{_f(h.pct(50), 2)} | {_f(o.pct(50), 2)} | "
               f"{_f(h.pct(50) / o.pct(50) if o.pct(50) else 0, 2)}× |")
        if hits is not None:
            hh = hits.get(w, {})
            row += f" {_n(hh.get('hub'))} | {_n(hh.get('peer'))} |"
        lines.append(row)
    return lines


def plots(results: list[Result], out: Path, stem: str) -> list[str]:
    """Latency distributions (one panel per workload) and throughput vs concurrency."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return []
    made = []
    groups: dict[str, list[Result]] = defaultdict(list)
    for r in results:
        if not r.workload.startswith("sweep") and r.latencies_ms:
            groups[r.workload].append(r)
    if groups:
        n = len(groups)
        cols = 3
        rows = math.ceil(n / cols)
        fig, axes = plt.subplots(rows, cols, figsize=(5 * cols, 3.2 * rows), squeeze=False)
        for ax, (name, rs) in zip(axes.flat, groups.items(), strict=False):
            for r in rs:
                data = sorted(r.latencies_ms)
                ys = [(i + 1) / len(data) for i in range(len(data))]
                ax.plot(data, ys, label=f"{r.target} {r.mode}", linewidth=1)
            ax.set_xscale("log")
            ax.set_title(name, fontsize=9)
            ax.set_xlabel("latency ms (log)", fontsize=8)
            ax.set_ylabel("CDF", fontsize=8)
            ax.grid(alpha=0.3)
            ax.legend(fontsize=6)
        for ax in list(axes.flat)[n:]:
            ax.axis("off")
        fig.tight_layout()
        path = out / f"{stem}-latency.png"
        fig.savefig(path, dpi=80)
        plt.close(fig)
        made.append(path.name)
    sweep: dict[str, list[Result]] = defaultdict(list)
    for r in results:
        if r.workload.startswith("sweep"):
            sweep[r.target].append(r)
    if sweep:
        fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 3.5))
        for target, rs in sweep.items():
            rs.sort(key=lambda r: r.concurrency)
            a1.plot([r.concurrency for r in rs], [r.throughput for r in rs], marker="o",
                    label=target)
            a2.plot([r.concurrency for r in rs], [r.pct(95) for r in rs], marker="o",
                    label=target)
        for ax, title in ((a1, "throughput req/s"), (a2, "p95 latency ms")):
            ax.set_xscale("log", base=2)
            ax.set_xlabel("concurrent clients")
            ax.set_title(f"complianceStatus-1: {title}", fontsize=9)
            ax.grid(alpha=0.3)
            ax.legend(fontsize=7)
        fig.tight_layout()
        path = out / f"{stem}-concurrency.png"
        fig.savefig(path, dpi=80)
        plt.close(fig)
        made.append(path.name)
    return made
