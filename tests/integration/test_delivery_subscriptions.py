"""``subscription alertNotifications`` over a real websocket (uvicorn), real Neo4j.

A red line fires for a merchant of plat-01: plat-01 and the Jinjiang regulator receive
it, plat-02 (no store for that subject) and the Wuhou regulator (outside the
jurisdiction) receive nothing; delivery is audited and marked; a reconnect gets nothing
twice; a socket without a valid token is closed with 4401 / 4403.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import neo4j
import orjson
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from hub.settings import Settings
from tests.integration.api_world import IN_JJ, World
from tests.integration.delivery_world import (
    PROTOCOL,
    SUBSCRIPTION,
    WAIT,
    audit_lines,
    hub_world,
    open_socket,
    raise_tobacco_alert,
    receive,
    subscribe,
    undelivered,
    ws_url,
)


@pytest.fixture
def w(graph: neo4j.Driver, hub_settings: Settings, tmp_path: Path) -> Any:
    with hub_world(graph, hub_settings, tmp_path) as world:
        yield world


async def drain(ws: ClientConnection, seconds: float) -> list[dict[str, Any]]:
    """Every message that arrives within ``seconds``."""
    out = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while (left := deadline - loop.time()) > 0:
        message = await receive(ws, left)
        if message is None:
            break
        out.append(message)
    return out


async def until_alert(ws: ClientConnection, alert_id: str, seconds: float = WAIT
                      ) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while (left := deadline - loop.time()) > 0:
        message = await receive(ws, left)
        assert message is not None, "no notification arrived"
        assert message["type"] == "next", message
        assert "errors" not in message["payload"], message
        note: dict[str, Any] = message["payload"]["data"]["alertNotifications"]
        if note["alert"]["id"] == alert_id:
            return note
    raise AssertionError("the alert was not delivered")


def test_alert_reaches_exactly_the_parties_it_concerns(w: World, graph: neo4j.Driver,
                                                        tmp_path: Path) -> None:
    async def scenario() -> None:
        plat1 = await subscribe(w, "party-plat-01", "PERIODIC_SWEEP")
        plat2 = await subscribe(w, "party-plat-02", "PERIODIC_SWEEP")
        reg_jj = await subscribe(w, "reg-jj", "SUPERVISION")
        reg_wh = await subscribe(w, "reg-wh", "SUPERVISION")
        try:
            alert_id = await asyncio.to_thread(raise_tobacco_alert, graph, tmp_path)
            note = await until_alert(plat1, alert_id)
            assert note["alert"]["uscc"] == IN_JJ
            assert (note["alert"]["rule"], note["alert"]["severity"]) == (
                "tobacco_online", "red_line")
            facts = note["alert"]["evidence"]["facts"]  # rendered for plat-01
            assert (facts[0]["kind"], facts[0]["id"]) == ("Store", "plat-01/A1")
            assert note["alert"]["deadline"] and note["kind"] == "alert"
            assert note["id"].endswith(">party-plat-01")
            assert (await until_alert(reg_jj, alert_id))["id"].endswith(">reg-jj")
            assert await drain(plat2, 1.5) == [], "plat-02 has no store of this subject"
            assert await drain(reg_wh, 0.5) == [], "Wuhou is outside the jurisdiction"
        finally:
            for ws in (plat1, plat2, reg_jj, reg_wh):
                await ws.close()
        return None

    asyncio.run(scenario())
    # Sent → marked delivered (via the socket) and audited with the alert's id.
    assert undelivered(graph, "party-plat-01") == []
    assert undelivered(graph, "reg-jj") == []
    assert undelivered(graph, "party-plat-02") == []  # it never had one
    records, _, _ = graph.execute_query(
        "MATCH (n:Notification {party_id: 'party-plat-01'}) RETURN n.delivered_via AS via")
    assert {r["via"] for r in records} == {"websocket"}
    alert_ids = {n["record_ids"][0] for n in audit_lines(w)
                 if n["operation"] == "alertNotifications" and n["party"] == "party-plat-01"}
    assert len(alert_ids) == len(records) and alert_ids
    assert all(line["purpose"] == "periodic_sweep" for line in audit_lines(w)
               if line["operation"] == "alertNotifications"
               and line["party"] == "party-plat-01")

    async def reconnect() -> list[dict[str, Any]]:
        ws = await subscribe(w, "party-plat-01", "PERIODIC_SWEEP")
        try:
            return await drain(ws, 1.5)
        finally:
            await ws.close()

    assert asyncio.run(reconnect()) == [], "nothing is delivered twice"


def test_backlog_is_delivered_on_connect(w: World, graph: neo4j.Driver,
                                         tmp_path: Path) -> None:
    alert_id = raise_tobacco_alert(graph, tmp_path)
    assert undelivered(graph, "party-plat-01")

    async def scenario() -> dict[str, Any]:
        ws = await subscribe(w, "party-plat-01", "ONBOARDING_CHECK")
        try:
            return await until_alert(ws, alert_id)
        finally:
            await ws.close()

    assert asyncio.run(scenario())["alert"]["id"] == alert_id


def test_scope_and_purpose_are_checked_per_subscription(w: World) -> None:
    async def first(party: str, purpose: str) -> dict[str, Any] | None:
        ws = await subscribe(w, party, purpose)
        try:
            return await receive(ws, WAIT)
        finally:
            await ws.close()

    refused = asyncio.run(first("party-plat-01", "SUPERVISION"))  # not a platform purpose
    assert refused is not None and refused["type"] == "error", refused
    assert refused["payload"][0]["extensions"]["code"] == "FORBIDDEN"
    assert "SUPERVISION" in refused["payload"][0]["message"]
    association = asyncio.run(first("party-assoc-01", "CREDIT_EVALUATION"))
    assert association is not None and association["type"] == "error"
    assert association["payload"][0]["extensions"]["code"] == "FORBIDDEN"
    denied = [line for line in audit_lines(w) if line["outcome"] == "denied"
              and line["operation"] == "alertNotifications"]
    assert {line["party"] for line in denied} == {"party-plat-01", "party-assoc-01"}
    # Over plain HTTP a subscription is refused with a clear 400 pointing at WebSocket.
    response = w.gql("party-plat-01", SUBSCRIPTION, {"p": "PERIODIC_SWEEP"})
    assert response.status_code == 400
    assert "WebSocket" in response.json()["errors"][0]["message"]


def test_connection_without_valid_token_is_refused(w: World) -> None:
    async def close_code(init: dict[str, Any] | None,
                         headers: dict[str, str] | None = None) -> int | None:
        ws = await open_socket(w, init, headers)
        try:
            with pytest.raises(ConnectionClosed):
                while True:
                    message = orjson.loads(await asyncio.wait_for(ws.recv(), WAIT))
                    assert message["type"] != "connection_ack", message
        finally:
            await ws.close()
        return ws.close_code

    assert asyncio.run(close_code(None)) == 4401
    assert asyncio.run(close_code({})) == 4401
    assert asyncio.run(close_code({"authorization": "Basic dXNlcjpwdw=="})) == 4401
    assert asyncio.run(close_code({"authorization": "Bearer not-a-jwt"})) == 4403
    forged = w.tokens["party-plat-01"][:-4] + "AAAA"
    assert asyncio.run(close_code({"authorization": f"Bearer {forged}"})) == 4403
    denied = [line for line in audit_lines(w) if line["operation"] == "authenticate"]
    assert len(denied) == 2 and all(line["outcome"] == "denied" for line in denied)

    async def header_token() -> dict[str, Any]:
        # The upgrade request's Authorization header is accepted too.
        ws = await open_socket(w, {}, {"authorization": f"Bearer {w.tokens['reg-jj']}"})
        try:
            return orjson.loads(await asyncio.wait_for(ws.recv(), WAIT))  # type: ignore[no-any-return]
        finally:
            await ws.close()

    assert asyncio.run(header_token())["type"] == "connection_ack"

    async def subscribe_before_init() -> int | None:
        async with connect(ws_url(w), subprotocols=[PROTOCOL]) as raw:
            await raw.send(orjson.dumps({"id": "1", "type": "subscribe", "payload": {
                "query": SUBSCRIPTION, "variables": {"p": "PERIODIC_SWEEP"}}}).decode())
            with pytest.raises(ConnectionClosed):
                await asyncio.wait_for(raw.recv(), WAIT)
            return raw.close_code

    assert asyncio.run(subscribe_before_init()) == 4401
