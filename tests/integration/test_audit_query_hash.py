"""An auditor holding a request can re-derive its ``query_hash`` (docs/audit.md), over
HTTP (POST and GET) and over WebSocket, whatever bytes the request was sent as."""

from __future__ import annotations

import asyncio
import hashlib
import json
from typing import Any

import httpx
import orjson

from tests.integration.api_world import HTTP_TIMEOUT, World, world
from tests.integration.delivery_world import (
    SUBSCRIPTION,
    WAIT,
    audit_lines,
    receive,
    subscribe,
)

__all__ = ["world"]

QUERY = "query($p: Purpose!, $f: Int) {\n  alerts(purpose: $p, first: $f) { totalCount } }"


def rederive(query: str, variables: dict[str, Any] | None) -> str:
    """The auditor's recipe, with the standard library only."""
    text = json.dumps({"query": query, "variables": variables or {}}, sort_keys=True,
                      separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def last_hash(w: World, operation: str) -> str:
    return str([line for line in audit_lines(w) if line["operation"] == operation][-1][
        "query_hash"])


def test_http_requests_hash_canonically(world: World) -> None:
    headers = {"authorization": f"Bearer {world.tokens['party-plat-01']}",
               "content-type": "application/json"}
    variables = {"p": "PERIODIC_SWEEP", "f": 1}
    expected = rederive(QUERY, variables)
    bodies = [
        orjson.dumps({"query": QUERY, "variables": variables}),
        # the same request with other key order, whitespace and escapes
        ('{ "variables" : { "f" : 1 , "p" : "PERIODIC_\\u0053WEEP" } ,\n "query" : '
         + json.dumps(QUERY) + " }").encode(),
    ]
    seen = []
    for body in bodies:
        response = httpx.post(f"{world.url}/graphql", content=body, headers=headers,
                              timeout=HTTP_TIMEOUT)
        assert response.status_code == 200 and "errors" not in response.json(), response.text
        seen.append(last_hash(world, "alerts"))
    got = httpx.get(f"{world.url}/graphql", params={"query": QUERY,
                                                   "variables": json.dumps(variables)},
                    headers=headers, timeout=HTTP_TIMEOUT)
    assert got.status_code == 200 and "errors" not in got.json(), got.text
    seen.append(last_hash(world, "alerts"))
    assert seen == [expected] * 3
    # no variables and empty variables hash alike
    plain = '{ alerts(purpose: PERIODIC_SWEEP, first: 1) { totalCount } }'
    assert world.gql("party-plat-01", plain).status_code == 200
    assert last_hash(world, "alerts") == rederive(plain, None)


def test_a_refused_token_is_audited_with_the_canonical_hash(world: World) -> None:
    body = {"query": QUERY, "variables": {"p": "PERIODIC_SWEEP"}}
    response = httpx.post(f"{world.url}/graphql", json=body, timeout=HTTP_TIMEOUT,
                          headers={"authorization": "Bearer not-a-token"})
    assert response.status_code == 401
    assert last_hash(world, "authenticate") == rederive(QUERY, body["variables"])


def test_websocket_operations_hash_like_http(world: World) -> None:
    async def refused() -> dict[str, Any] | None:
        ws = await subscribe(world, "party-plat-01", "SUPERVISION")  # not a platform purpose
        try:
            return await receive(ws, WAIT)
        finally:
            await ws.close()

    message = asyncio.run(refused())
    assert message is not None and message["type"] == "error", message
    assert last_hash(world, "alertNotifications") == rederive(SUBSCRIPTION,
                                                             {"p": "SUPERVISION"})
