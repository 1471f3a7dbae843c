"""Runs one load (a ``bench.loadgen`` child) and measures the servers around it."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.procs import pin, tree_cpu, tree_rss
from hub.settings import PROJECT_ROOT


@dataclass
class Result:
    workload: str
    target: str  # hub | hub-noaudit | raw | raw-unscoped | peer
    mode: str  # closed | open
    concurrency: int
    rate: float
    count: int
    errors: int
    elapsed: float
    latencies_ms: list[float] = field(repr=False)
    gen_cpu: float
    server_cpu: dict[str, float]  # process name → CPU seconds during the run
    server_rss: dict[str, int]  # process name → RSS bytes after the run
    dropped: int = 0

    @property
    def throughput(self) -> float:
        return self.count / self.elapsed if self.elapsed else 0.0

    def pct(self, q: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        data = sorted(self.latencies_ms)
        k = min(len(data) - 1, max(0, round(q / 100 * (len(data) - 1))))
        return data[k]

    def cpu_per_1k(self, name: str) -> float:
        return self.server_cpu.get(name, 0.0) / self.count * 1000 if self.count else 0.0

    def summary(self) -> dict[str, Any]:
        return {"workload": self.workload, "target": self.target, "mode": self.mode,
                "concurrency": self.concurrency, "rate": self.rate, "count": self.count,
                "errors": self.errors, "elapsed": self.elapsed, "gen_cpu": self.gen_cpu,
                "server_cpu": self.server_cpu, "server_rss": self.server_rss,
                "p50": self.pct(50), "p95": self.pct(95), "p99": self.pct(99),
                "throughput": self.throughput, "dropped": self.dropped}


def run(workload: str, target: str, spec: dict[str, Any], servers: dict[str, int],
        *, gen_cpus: str | None, log: Path) -> Result:
    """``servers``: name → pid of each process whose CPU and RSS the run should report."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False,
                                     dir=log.parent) as fh:
        json.dump(spec, fh)
        spec_path = Path(fh.name)
    try:
        with open(log, "ab") as err:
            proc = subprocess.Popen([*pin(gen_cpus), sys.executable, "-m", "bench.loadgen",
                                     str(spec_path)], cwd=PROJECT_ROOT,
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err)
        assert proc.stdin and proc.stdout
        try:
            line = proc.stdout.readline()
            if line.strip() != b"warm":
                proc.wait(30)
                raise RuntimeError(f"load generator failed during warm-up ({workload}/"
                                   f"{target}); see {log}")
            before = {n: tree_cpu(p) for n, p in servers.items()}
            proc.stdin.write(b"go\n")
            proc.stdin.flush()
            line = proc.stdout.readline()
            after = {n: tree_cpu(p) for n, p in servers.items()}
            rss = {n: tree_rss(p) for n, p in servers.items()}
            if line.strip() != b"done":
                raise RuntimeError(f"load generator failed ({workload}/{target}); see {log}")
            data = json.loads(proc.stdout.readline())
            proc.wait(30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    finally:
        spec_path.unlink(missing_ok=True)
    return Result(workload, target, spec["mode"], int(spec.get("concurrency", 1)),
                  float(spec.get("rate", 0.0)), len(data["latencies"]), data["errors"],
                  data["elapsed"], [x * 1000 for x in data["latencies"]], data["cpu"],
                  {n: after[n] - before[n] for n in servers}, rss, data["dropped"])
