"""The JSON log format and the request id rules (pure parts of hub.logs / hub.access_log)."""

from __future__ import annotations

import logging

import orjson
import structlog

from hub import logs
from hub.access_log import request_id


def render(record: logging.LogRecord) -> dict[str, object]:
    return orjson.loads(logs.formatter().format(record))  # type: ignore[no-any-return]


def test_stdlib_record_with_extra_and_bound_context_is_one_json_object() -> None:
    record = logging.LogRecord("hub.app", logging.WARNING, __file__, 1, "db down %s", ("x",),
                               None)
    record.retry_in_s = 5
    with structlog.contextvars.bound_contextvars(request_id="req-12345678"):
        entry = render(record)
    assert entry["msg"] == "db down x"
    assert entry["level"] == "warning" and entry["logger"] == "hub.app"
    assert entry["retry_in_s"] == 5 and entry["request_id"] == "req-12345678"
    assert str(entry["ts"]).endswith("Z")


def test_request_id_taken_from_header_traceparent_or_fresh() -> None:
    assert request_id({b"x-request-id": b"abc-12345678"}) == "abc-12345678"
    trace = b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    assert request_id({b"traceparent": trace}) == "4bf92f3577b34da6a3ce929d0e0e4736"
    # Malformed or hostile values are replaced, never echoed.
    for bad in (b"", b"short", b"x" * 300, b"inject\r\nheader: 1", "名字".encode()):
        rid = request_id({b"x-request-id": bad})
        assert rid != bad.decode("latin-1") and len(rid) == 32
    assert len(request_id({b"traceparent": b"00-" + b"0" * 32 + b"-00f067aa0ba902b7-01"})) == 32
