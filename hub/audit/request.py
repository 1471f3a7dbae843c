"""The ``query_hash`` of a GraphQL request, computed alike over HTTP and WebSocket.

An auditor holding the request (the query text and its variables) must be able to
re-derive the hash the log holds, so it is taken over what the request *means*, not
over the bytes it happened to be sent as (whitespace, key order, transport)::

    query_hash = SHA-256(canonical({"query": Q, "variables": V}))

* ``Q`` — the document text exactly as sent: the ``query`` member of a JSON body (or
  the ``query`` parameter of a GET, or the ``query`` of a WebSocket ``subscribe``
  payload), JSON-decoded but otherwise verbatim; for a persisted-document request,
  the manifest's text for the id;
* ``V`` — the ``variables`` object as sent, ``{}`` when absent or null;
* ``canonical`` — ``hub.audit.record.canonical``: compact JSON, keys sorted at every
  level, UTF-8 (``orjson`` with ``OPT_SORT_KEYS``).

A request that has no query text to hash (a body that is not JSON, a persisted id that
was never resolved because authentication failed first) is hashed as its raw bytes.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar
from typing import Any

import orjson

from hub.audit.record import query_hash, sha256_hex

#: The hash of the WebSocket operation being started: set where the ``subscribe``
#: message is read, read where the operation's context is made (a task inherits it).
OPERATION_HASH: ContextVar[str | None] = ContextVar("audit_operation_hash", default=None)


def request_hash(query: object, variables: object, raw: bytes) -> str:
    """The canonical hash of ``query`` + ``variables``, or of ``raw`` if they are not a
    GraphQL request's (a non-string query, variables that are not an object)."""
    if isinstance(query, str) and (variables is None or isinstance(variables, dict)):
        try:
            return query_hash(query, variables)
        except TypeError:  # orjson.JSONEncodeError is a TypeError
            pass
    return sha256_hex(raw)


def http_hash(body: bytes, params: Mapping[str, str], document: str | None = None) -> str:
    """The hash of an HTTP request: a JSON POST body, or a GET's ``query``/``variables``.

    ``document`` is the persisted document the request's id resolved to, if any.
    """
    data: Any
    if body:
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError:
            return sha256_hex(body)
        if not isinstance(data, dict):
            return sha256_hex(body)
        variables = data.get("variables")
    else:  # GET: variables arrive as a JSON string parameter
        data, raw_vars = params, params.get("variables")
        try:
            variables = orjson.loads(raw_vars) if raw_vars else None
        except orjson.JSONDecodeError:
            variables = raw_vars
        body = "&".join(f"{k}={v}" for k, v in sorted(params.items())).encode()
    return request_hash(document if document is not None else data.get("query"),
                        variables, body)


def payload_hash(payload: Mapping[str, Any]) -> str:
    """The hash of a WebSocket ``subscribe`` payload (``query``, ``variables``)."""
    return request_hash(payload.get("query"), payload.get("variables"),
                        orjson.dumps(payload, default=str))
