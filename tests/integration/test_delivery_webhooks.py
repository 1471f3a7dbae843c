"""Signed webhooks through real HTTP to a local receiver, real Neo4j.

The app's background worker delivers a red-line alert to plat-01's endpoint with a
valid signature; a receiver answering 500 is retried with backoff and gets the alert once
it recovers; a replayed round sends nothing twice; a receiver that never recovers (or
redirects) ends as failed, visible in the status and re-queueable; concurrent claims
never share a notification; URLs are validated.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import neo4j
import orjson
import pytest

from hub.audit import AuditLog
from hub.delivery import outbox
from hub.delivery.webhooks import (
    WebhookError,
    add_webhook,
    retry_failed,
    sign,
    status,
    validate_url,
    verify,
)
from hub.delivery.worker import RoundSummary, WebhookWorker
from hub.graph.driver import Connection, async_driver
from hub.policy.compiled import PartyIdentity, PolicyBook
from hub.settings import Settings
from tests.integration.api_world import IN_JJ, build_graph
from tests.integration.delivery_world import (
    audit_lines,
    hub_world,
    raise_tobacco_alert,
    receiver,
    undelivered,
)

PARTY = "party-plat-01"


def wait_for(check: Any, seconds: float = 20) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("timed out")


def test_signed_delivery_by_the_app_worker(graph: neo4j.Driver, hub_settings: Settings,
                                           tmp_path: Path) -> None:
    with receiver([200]) as rx, hub_world(graph, hub_settings, tmp_path,
                                          webhooks_enabled=True,
                                          webhook_poll_seconds=0.2) as w:
        hook, secret = add_webhook(graph, PARTY, rx.url)
        assert secret.startswith("whsec_") and hook.purpose == "periodic_sweep"
        alert_id = raise_tobacco_alert(graph, tmp_path)
        got = wait_for(lambda: [r for r in rx.ok()
                                if orjson.loads(r.body)["alert"]["id"] == alert_id])
        first = got[0]
        assert verify(secret, first.body, first.headers["x-hub-signature"])
        assert not verify("whsec_wrong", first.body, first.headers["x-hub-signature"])
        assert not verify(secret, first.body + b" ", first.headers["x-hub-signature"])
        payload = orjson.loads(first.body)
        assert payload["type"] == "alert.notification" and payload["party_id"] == PARTY
        assert payload["alert"]["uscc"] == IN_JJ and payload["alert"]["rule"] == "tobacco_online"
        facts = payload["alert"]["evidence"]["facts"]  # rendered for plat-01
        assert [(f["kind"], f["id"]) for f in facts][:1] == [("Store", "plat-01/A1")]
        assert first.headers["x-hub-delivery"] == payload["id"]
        assert first.headers["content-type"] == "application/json"
        wait_for(lambda: undelivered(graph, PARTY) == [])
        records, _, _ = graph.execute_query(
            "MATCH (n:Notification {party_id: $p}) RETURN n.delivered_via AS via, "
            "n.attempts AS attempts", p=PARTY)
        assert {(r["via"], r["attempts"]) for r in records} == {("webhook", 1)}
        assert len(rx.received) == len(records), "each notification POSTed once"
        assert undelivered(graph, "reg-jj"), "parties without a webhook keep their outbox"
        audited = wait_for(lambda: [line for line in audit_lines(w)
                                    if line["operation"] == "webhook"])
        assert {line["record_ids"][0] for line in audited} >= {alert_id}
        assert all(line["party"] == PARTY and line["client"] == f"webhook:{hook.id}"
                   for line in audited)


@pytest.fixture
def world_graph(graph: neo4j.Driver, tmp_path: Path) -> neo4j.Driver:
    build_graph(graph, tmp_path)
    return graph


def run_rounds(conn: Connection, settings: Settings, tmp: Path, *,
               until: Any, seconds: float = 30) -> list[RoundSummary]:
    """Run worker rounds (as ``hub webhook deliver`` does) until ``until(summaries)``."""

    async def main() -> list[RoundSummary]:
        summaries: list[RoundSummary] = []
        async with async_driver(conn) as driver, await AuditLog.open(tmp / "audit") as audit:
            worker = WebhookWorker(settings, driver, conn.database,
                                   PolicyBook.load(settings.policy_file), audit)
            try:
                deadline = time.monotonic() + seconds
                while not until(summaries):
                    assert time.monotonic() < deadline, summaries
                    summaries.append(await worker.deliver_once())
                    await asyncio.sleep(0.05)
            finally:
                await worker.aclose()
        return summaries

    return asyncio.run(main())


def attempts_of(graph: neo4j.Driver) -> list[dict[str, Any]]:
    records, _, _ = graph.execute_query(
        "MATCH (n:Notification {party_id: $p}) RETURN n {.id, .attempts, .next_attempt_at, "
        ".delivered_at, .failed_at, .last_error} AS n ORDER BY n.created_at, n.id", p=PARTY)
    return [dict(r["n"]) for r in records]


def test_failing_receiver_is_retried_with_backoff(world_graph: neo4j.Driver,
                                                  neo4j_conn: Connection,
                                                  hub_settings: Settings,
                                                  tmp_path: Path) -> None:
    graph = world_graph
    settings = hub_settings.model_copy(update={"webhook_backoff_base": 1.0,
                                               "webhook_max_attempts": 5})
    with receiver([500, 500, 200]) as rx:
        add_webhook(graph, PARTY, rx.url)
        raise_tobacco_alert(graph, tmp_path)
        pending = len(undelivered(graph, PARTY))
        first = run_rounds(neo4j_conn, settings, tmp_path, until=lambda s: len(s) == 2)
        assert (first[0].delivered, first[0].retrying) == (0, 1)
        # Right away nothing is due: the party waits for its oldest notification's retry.
        assert first[1].webhooks == 0 and len(rx.received) == 1
        head = attempts_of(graph)[0]
        assert head["attempts"] == 1 and head["last_error"] == "HTTP 500"
        assert head["next_attempt_at"] and not head["delivered_at"]
        started = time.monotonic()
        run_rounds(neo4j_conn, settings, tmp_path,
                   until=lambda s: sum(x.delivered for x in s) >= pending)
        # The second failure waited ~1 s, the third attempt ~2 s more (±10 % jitter).
        assert time.monotonic() - started >= 2.5
        statuses = [r.status for r in rx.received]
        assert statuses[:3] == [500, 500, 200]
        delivered_ids = [orjson.loads(r.body)["id"] for r in rx.ok()]
        assert sorted(delivered_ids) == sorted(set(delivered_ids)), "nothing twice"
        assert len(delivered_ids) == pending
        assert undelivered(graph, PARTY) == []
        assert attempts_of(graph)[0]["attempts"] == 3
        # Replaying the worker delivers nothing.
        replay = run_rounds(neo4j_conn, settings, tmp_path, until=lambda s: len(s) == 2)
        assert sum(x.delivered for x in replay) == 0 and len(rx.ok()) == pending


@pytest.mark.parametrize("answer", [500, 302])
def test_receiver_that_never_recovers_ends_failed(world_graph: neo4j.Driver,
                                                  neo4j_conn: Connection,
                                                  hub_settings: Settings, tmp_path: Path,
                                                  answer: int) -> None:
    graph = world_graph
    settings = hub_settings.model_copy(update={"webhook_backoff_base": 0.2,
                                               "webhook_max_attempts": 2})
    with receiver([answer]) as rx:
        add_webhook(graph, PARTY, rx.url)
        raise_tobacco_alert(graph, tmp_path)
        pending = len(undelivered(graph, PARTY))
        run_rounds(neo4j_conn, settings, tmp_path,
                   until=lambda s: sum(x.failed for x in s) >= pending)
        assert all(r.status == answer for r in rx.received)
        assert len(rx.received) == 2 * pending, "max attempts each; redirects not followed"
        row = status(graph, party_id=PARTY)[0]
        assert (row["failed"], row["pending"], row["delivered"]) == (pending, 0, 0)
        assert row["failures"][0]["last_error"] == f"HTTP {answer}"
        assert row["failures"][0]["attempts"] == 2
        assert undelivered(graph, PARTY), "failed is not delivered"
        idle = run_rounds(neo4j_conn, settings, tmp_path, until=lambda s: len(s) == 1)
        assert idle[0].webhooks == 0, "given-up notifications are not retried"
        assert retry_failed(graph, PARTY) == pending
        assert status(graph, party_id=PARTY)[0]["pending"] == pending


def test_concurrent_claims_never_share_a_notification(world_graph: neo4j.Driver,
                                                      neo4j_conn: Connection,
                                                      tmp_path: Path) -> None:
    graph = world_graph
    graph.execute_query("""
        MATCH (s:Subject {uscc: $u})
        CREATE (a:Alert {id: 'AL-x', uscc: $u, rule: 'r', status: 'screen'})-[:ABOUT]->(s)
        WITH a
        MATCH (p:Party {id: $p})
        MERGE (a)-[:NOTIFIES]->(p)
        WITH a
        UNWIND range(1, 60) AS i
        CREATE (:Notification {id: 'N' + toString(i), alert_id: 'AL-x', party_id: $p,
                               kind: 'alert', created_at: '2026-01-01T00:00:00+00:00'})
        """, u=IN_JJ, p=PARTY)
    policy = PolicyBook.load(Settings().policy_file).compile(
        PartyIdentity(PARTY, "platform", (), "plat-01", None), "alerts", "periodic_sweep")

    async def main() -> list[list[str]]:
        async with async_driver(neo4j_conn) as driver:
            claims = await asyncio.gather(*(
                outbox.claim(driver, neo4j_conn.database, policy, f"owner-{i}",
                             lease_seconds=60, limit=40) for i in range(6)))
        return [[n.id for n in c] for c in claims]

    claimed = asyncio.run(main())
    flat = [n for c in claimed for n in c]
    # Racing claimers read the same 40 candidates; whoever locks a notification first
    # takes it, the others see it leased and skip it.
    assert len(flat) == len(set(flat)) == 40, claimed
    rest = asyncio.run(main())
    assert sorted(n for c in rest for n in c) == sorted(
        f"N{i}" for i in range(1, 61) if f"N{i}" not in flat)


def test_url_validation() -> None:
    assert validate_url("https://example.com/h", production=True)
    assert validate_url("http://127.0.0.1:9/h", production=True)
    assert validate_url("http://[::1]:9/h", production=True)
    assert validate_url("http://localhost/h", production=True)
    assert validate_url("http://example.com/h", production=False)
    for bad in ("http://example.com/h", "ftp://example.com", "https://u:p@example.com/",
                "/relative", "https://example.com/#frag"):
        with pytest.raises(WebhookError):
            validate_url(bad, production=True)


def test_signature_format_and_tolerance() -> None:
    header = sign("whsec_k", b"{}", 1_700_000_000)
    assert header.startswith("t=1700000000,v1=") and len(header.split("v1=")[1]) == 64
    assert verify("whsec_k", b"{}", header, now=1_700_000_100)
    assert not verify("whsec_k", b"{}", header, now=1_700_001_000), "too old"
    assert not verify("whsec_k", b"{}", "v1=00", now=1_700_000_000)


def test_one_active_webhook_per_party(world_graph: neo4j.Driver) -> None:
    first, _ = add_webhook(world_graph, PARTY, "http://127.0.0.1:9/a")
    with pytest.raises(WebhookError, match="already has"):
        add_webhook(world_graph, PARTY, "http://127.0.0.1:9/b")
    second, _ = add_webhook(world_graph, PARTY, "http://127.0.0.1:9/b", replace=True)
    rows = {r["id"]: r["disabled"] for r in status(world_graph, party_id=PARTY)}
    assert rows == {first.id: True, second.id: False}
    with pytest.raises(WebhookError, match="receives no alerts"):
        add_webhook(world_graph, "party-assoc-01", "http://127.0.0.1:9/c")



def test_cli(world_graph: neo4j.Driver, neo4j_conn: Connection, tmp_path: Path) -> None:
    from tests.integration.test_credit_cli import hub

    added = hub("webhook", "add", "--party", PARTY, "--url", "http://127.0.0.1:9/x",
                conn=neo4j_conn, tmp_path=tmp_path)
    assert added.returncode == 0, added.stderr
    assert orjson.loads(added.stdout)["secret"].startswith("whsec_")
    listed = hub("webhook", "list", conn=neo4j_conn, tmp_path=tmp_path)
    assert "secret" not in listed.stdout and PARTY in listed.stdout
    refused = hub("webhook", "add", "--party", "party-assoc-01", "--url",
                  "http://127.0.0.1:9/x", conn=neo4j_conn, tmp_path=tmp_path)
    assert refused.returncode == 1 and "error" in refused.stderr
    shown = hub("webhook", "status", conn=neo4j_conn, tmp_path=tmp_path)
    assert orjson.loads(shown.stdout)[0]["pending"] == 0
    once = hub("webhook", "deliver", "--once", conn=neo4j_conn, tmp_path=tmp_path)
    assert once.returncode == 0, once.stderr
    assert orjson.loads(once.stdout)["delivered"] == 0
