"""Prometheus metrics (prometheus_client): requests, latency histograms, error codes.

One process keeps its own registry. ``hub serve --workers N`` sets
``PROMETHEUS_MULTIPROC_DIR`` before the workers start, so each writes its samples to files
there and ``/metrics`` on any worker answers for all of them (prometheus_client's
multiprocess mode). Labels are bounded: operations are validated root-field names, codes
come from the error model, statuses from HTTP.
"""

from __future__ import annotations

import os

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter("hub_requests", "GraphQL requests by operation and HTTP status.",
                                ["operation", "status"], registry=self.registry)
        self.errors = Counter("hub_errors", "GraphQL errors by extensions.code.", ["code"],
                              registry=self.registry)
        self.latency = Histogram("hub_request_seconds", "Request latency by operation.",
                                 ["operation"], buckets=BUCKETS, registry=self.registry)

    def observe(self, operation: str, status: int, seconds: float, codes: list[str]) -> None:
        self.requests.labels(operation, str(status)).inc()
        for code in codes:
            self.errors.labels(code).inc()
        self.latency.labels(operation).observe(seconds)

    def render(self) -> bytes:
        """The exposition text: this process's, or every worker's in multiprocess mode."""
        directory = multiprocess_dir()
        if directory is None:
            return generate_latest(self.registry)
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=directory)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
