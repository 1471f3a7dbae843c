"""A small Prometheus text-format registry: requests, latency histogram, errors, DB time."""

from __future__ import annotations

import threading
from collections import defaultdict

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class Metrics:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: dict[tuple[str, int], int] = defaultdict(int)
        self.errors: dict[str, int] = defaultdict(int)
        self.hist: dict[str, list[int]] = defaultdict(lambda: [0] * (len(BUCKETS) + 1))
        self.sums: dict[str, float] = defaultdict(float)

    def observe(self, operation: str, status: int, seconds: float, codes: list[str]) -> None:
        with self._lock:
            self.requests[(operation, status)] += 1
            for code in codes:
                self.errors[code] += 1
            counts = self.hist[operation]
            for i, bound in enumerate(BUCKETS):
                if seconds <= bound:
                    counts[i] += 1
            counts[-1] += 1
            self.sums[operation] += seconds

    def render(self) -> str:
        out = ["# HELP hub_requests_total GraphQL requests by operation and HTTP status.",
               "# TYPE hub_requests_total counter"]
        with self._lock:
            for (op, status), n in sorted(self.requests.items()):
                out.append(f'hub_requests_total{{operation="{op}",status="{status}"}} {n}')
            out += ["# HELP hub_errors_total GraphQL errors by extensions.code.",
                    "# TYPE hub_errors_total counter"]
            for code, n in sorted(self.errors.items()):
                out.append(f'hub_errors_total{{code="{code}"}} {n}')
            out += ["# HELP hub_request_seconds Request latency by operation.",
                    "# TYPE hub_request_seconds histogram"]
            for op, counts in sorted(self.hist.items()):
                for bound, n in zip(BUCKETS, counts, strict=False):
                    out.append(f'hub_request_seconds_bucket{{operation="{op}",le="{bound}"}} {n}')
                out.append(f'hub_request_seconds_bucket{{operation="{op}",le="+Inf"}} '
                           f'{counts[-1]}')
                out.append(f'hub_request_seconds_sum{{operation="{op}"}} {self.sums[op]:.6f}')
                out.append(f'hub_request_seconds_count{{operation="{op}"}} {counts[-1]}')
        return "\n".join(out) + "\n"
