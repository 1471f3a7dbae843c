"""JSON structured logs on stderr (structlog): one object per line, easy to ship and grep.

The hub's modules log through the standard library (``logging.getLogger``, fields in
``extra=``); structlog renders those records and its own the same way, adding what the
request context bound (``request_id``, see :mod:`hub.access_log`). Log lines carry ids
and counts, never personal data.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import orjson
import structlog

_SHARED: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.stdlib.ExtraAdder(),
    structlog.processors.TimeStamper(fmt="iso", utc=True, key="ts"),
]


def _dumps(entry: Any, **_: Any) -> str:
    return orjson.dumps(entry, default=str).decode()


def formatter() -> structlog.stdlib.ProcessorFormatter:
    """The one formatter: stdlib records and structlog events to a JSON line."""
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_SHARED,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    structlog.processors.format_exc_info,
                    structlog.processors.EventRenamer("msg"),
                    structlog.processors.JSONRenderer(serializer=_dumps)])


def configure(level: str = "INFO") -> None:
    """Route the hub's, structlog's and uvicorn's logs through the JSON formatter."""
    structlog.configure(
        processors=[*_SHARED, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
    # uvicorn's access line holds the client address and the query string; the hub's own
    # access line (hub.access_log) replaces it.
    logging.getLogger("uvicorn.access").disabled = True
    logging.getLogger("neo4j").setLevel("WARNING")
