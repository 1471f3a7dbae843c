"""Every HTTP request gets a request id (echoed, bound into its log lines) and one access
line without the query string, over the real HTTP stack."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import httpx
import pytest


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def access_lines() -> Iterator[Collect]:
    handler = Collect()
    logger = logging.getLogger("hub.access")
    logger.addHandler(handler)
    old_level = logger.level
    logger.setLevel(logging.INFO)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(old_level)


def test_request_id_echoed_and_access_line_has_no_query_string(
        hub_url: str, access_lines: Collect) -> None:
    given = "bureau-lb-0000000042"
    response = httpx.get(f"{hub_url}/healthz?uscc=91510100MA61234567", timeout=10,
                         headers={"x-request-id": given})
    assert response.status_code == 200
    assert response.headers["x-request-id"] == given
    fresh = httpx.get(f"{hub_url}/healthz", timeout=10).headers["x-request-id"]
    assert len(fresh) == 32 and fresh != given

    mine = [r for r in access_lines.records if getattr(r, "path", None) == "/healthz"]
    assert len(mine) >= 2
    line = mine[0]
    assert line.getMessage() == "request"
    assert (line.method, line.status) == ("GET", 200)  # type: ignore[attr-defined]
    assert line.bytes > 0 and line.duration_ms >= 0  # type: ignore[attr-defined]
    assert "91510100MA61234567" not in str(line.__dict__)
