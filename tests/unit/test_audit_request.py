"""``hub.audit.request``: the canonical query hash of a request, whatever its bytes."""

from __future__ import annotations

import hashlib

import orjson

from hub.audit.record import query_hash
from hub.audit.request import http_hash, payload_hash

Q = "{ subjects(first: 1) { uscc } }"


def test_same_request_in_other_bytes_hashes_alike() -> None:
    a = orjson.dumps({"query": Q, "variables": {"b": {"y": 1, "x": [1, "二"]}, "a": None}})
    b = ('{"variables":{"a":null,"b":{"x":[1,"\\u4e8c"],"y":1}},  "query":'
         + orjson.dumps(Q).decode() + "}").encode()
    assert a != b
    assert http_hash(a, {}) == http_hash(b, {}) == query_hash(
        Q, {"a": None, "b": {"x": [1, "二"], "y": 1}})


def test_absent_null_and_empty_variables_hash_alike() -> None:
    forms = [{"query": Q}, {"query": Q, "variables": None}, {"query": Q, "variables": {}}]
    assert {http_hash(orjson.dumps(f), {}) for f in forms} == {query_hash(Q)}


def test_the_query_text_is_hashed_verbatim() -> None:
    assert http_hash(orjson.dumps({"query": Q}), {}) != http_hash(
        orjson.dumps({"query": Q.replace(" ", "  ")}), {})


def test_get_parameters_hash_like_a_post() -> None:
    post = http_hash(orjson.dumps({"query": Q, "variables": {"n": 2}}), {})
    assert http_hash(b"", {"query": Q, "variables": '{ "n" : 2 }'}) == post


def test_a_persisted_document_hashes_as_its_text() -> None:
    body = orjson.dumps({"documentId": "sha256:abc", "variables": {"n": 2}})
    assert http_hash(body, {}, Q) == query_hash(Q, {"n": 2})


def test_websocket_payload_hashes_like_http() -> None:
    payload = {"query": Q, "variables": {"n": 2}, "operationName": None}
    assert payload_hash(payload) == http_hash(orjson.dumps(payload), {})


def test_what_is_not_a_graphql_request_hashes_as_its_bytes() -> None:
    for body in (b"not json", b"[1, 2]", b'{"query": 5}', b'{"query": "q", "variables": []}'):
        assert http_hash(body, {}) == hashlib.sha256(body).hexdigest()
