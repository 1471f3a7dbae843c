"""Signed webhooks through real HTTP to a local receiver, real Neo4j.

The app's background worker delivers a red-line alert to plat-01's endpoint with a
valid signature; a receiver answering 500 is retried with backoff and gets the alert once
it recovers; a replayed round sends nothing twice; a receiver that never recovers (or
redirects) ends as failed, visible in the status and re-queueable; concurrent claims
never share a notification; URLs are validated and their addresses checked (production
refuses internal ones unless allowed by name), at registration and at every delivery.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import neo4j
import orjson
import pytest
from standardwebhooks.webhooks import Webhook as StandardWebhook
from standardwebhooks.webhooks import WebhookVerificationError

from hub.audit import AuditLog
from hub.delivery import outbox
from hub.delivery.webhooks import (
    Target,
    WebhookError,
    add_webhook,
    address_refusal,
    check_target,
    new_secret,
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
from tests.conftest import wait_until
from tests.integration.api_world import IN_JJ, build_graph
from tests.integration.delivery_world import (
    audit_lines,
    hub_world,
    raise_tobacco_alert,
    receiver,
    undelivered,
)

PARTY = "party-plat-01"


def wait_for(check: Any, seconds: float = 90) -> Any:
    return wait_until(check, seconds, "the deliveries")


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
        # Standard Webhooks: the reference library verifies the delivery as sent ...
        standard = StandardWebhook(secret)
        assert standard.verify(first.body, dict(first.headers))["id"] == first.headers[
            "webhook-id"]
        # ... and refuses a changed body, another secret or a missing header.
        for body, hook_secret, headers in (
                (first.body + b" ", secret, dict(first.headers)),
                (first.body, new_secret(), dict(first.headers)),
                (first.body, secret, {k: v for k, v in first.headers.items()
                                      if k != "webhook-id"})):
            with pytest.raises(WebhookVerificationError):
                StandardWebhook(hook_secret).verify(body, headers)
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
               until: Any, seconds: float = 90) -> list[RoundSummary]:
    """Run worker rounds (as ``hub webhook deliver`` does) until ``until(summaries)``."""

    async def main() -> list[RoundSummary]:
        summaries: list[RoundSummary] = []
        async with async_driver(conn) as driver, await AuditLog.open(tmp / "audit") as audit:
            worker = WebhookWorker(settings, driver, conn.database,
                                   PolicyBook.load(settings.access_policy), audit)
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
        # Retries are the same message: one webhook-id, so receivers de-duplicate.
        assert len({r.headers["webhook-id"] for r in rx.received[:3]}) == 1
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
    policy = PolicyBook.load(Settings().access_policy).compile(
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
    # takes it, the others see it leased and skip it. On a loaded machine a claimer may
    # start after another committed and read the next candidates: still none is shared.
    assert len(flat) == len(set(flat)) and 40 <= len(flat) <= 60, claimed
    assert all(len(c) <= 40 for c in claimed), claimed
    rest = asyncio.run(main())
    assert sorted(n for c in rest for n in c) == sorted(
        f"N{i}" for i in range(1, 61) if f"N{i}" not in flat)


def test_url_validation() -> None:
    assert validate_url("https://example.com/h", production=True)
    assert validate_url("http://example.com/h", production=False)
    assert validate_url("http://sidecar/h", production=True, allow_hosts=["SIDECAR"])
    for bad in ("http://example.com/h", "http://127.0.0.1:9/h", "ftp://example.com",
                "https://u:p@example.com/", "/relative", "https://example.com/#frag",
                "https://example.com:99999/"):
        with pytest.raises(WebhookError):
            validate_url(bad, production=True)


REFUSED = {  # address → why, in both modes
    "10.1.2.3": "private", "172.16.0.9": "private", "192.168.1.1": "private",
    "169.254.169.254": "link-local", "fe80::1%eth0": "link-local", "0.0.0.0": "unspecified",  # noqa: S104
    "::": "unspecified", "224.0.0.251": "multicast", "ff02::1": "multicast",
    "240.0.0.1": "reserved", "::ffff:10.0.0.1": "private", "fd00::1": "private",
    "100.64.0.1": "globally routable",  # carrier-grade NAT (shared address space)
}


def test_address_rule_in_both_modes() -> None:
    for production in (True, False):
        for address, why in REFUSED.items():
            reason = address_refusal(address, production=production)
            assert reason and why in reason, (address, production, reason)
        assert address_refusal("93.184.216.34", production=production) is None
        assert address_refusal("2606:2800:220:1:248:1893:25c8:1946",
                               production=production) is None
    for loopback in ("127.0.0.1", "127.5.5.5", "::1", "::ffff:127.0.0.1"):
        assert address_refusal(loopback, production=True) == "a loopback address"
        assert address_refusal(loopback, production=False) is None  # a local receiver


def test_targets_are_resolved_and_every_address_checked() -> None:
    assert check_target("https://93.184.216.34/h", production=True).address == "93.184.216.34"
    for url in ("https://127.0.0.1/h", "https://localhost:8443/h", "https://[::1]/h",
                "https://[::ffff:127.0.0.1]/h", "https://169.254.169.254/latest/meta-data",
                "https://10.0.0.8/h", "https://[fe80::1]/h", "https://0.0.0.0/h"):
        with pytest.raises(WebhookError, match="resolves to"):
            check_target(url, production=True)
    with pytest.raises(WebhookError, match="does not resolve"):
        check_target("https://no-such-host.invalid/h", production=True)
    # development: loopback is fine (the tests' receivers), other internal ranges are not
    assert check_target("http://localhost:9/h", production=False).address == "127.0.0.1"
    with pytest.raises(WebhookError, match="private"):
        check_target("http://192.168.0.10/h", production=False)
    # the operator may name an internal host; then http is allowed too
    named = check_target("http://localhost:9/h", production=True, allow_hosts=["localhost"])
    assert named.address == "127.0.0.1"


def test_deliveries_connect_to_the_checked_address() -> None:
    target = Target("https://hooks.example.com:8443/in?x=1", "93.184.216.34")
    assert target.request() == ("https://93.184.216.34:8443/in?x=1",
                                {"host": "hooks.example.com:8443"},
                                {"sni_hostname": "hooks.example.com"})
    v6 = Target("http://hooks.example.com/in", "2606:2800:220:1:248:1893:25c8:1946")
    assert v6.request() == ("http://[2606:2800:220:1:248:1893:25c8:1946]/in",
                            {"host": "hooks.example.com"}, {})


def test_production_refuses_internal_targets_at_registration(world_graph: neo4j.Driver) -> None:
    with pytest.raises(WebhookError, match="loopback"):
        add_webhook(world_graph, PARTY, "https://127.0.0.1:9/h", production=True)
    with pytest.raises(WebhookError, match="link-local"):
        add_webhook(world_graph, PARTY, "https://169.254.169.254/h", production=True)
    hook, _ = add_webhook(world_graph, PARTY, "http://localhost:9/h", production=True,
                          allow_hosts=["localhost"])
    assert hook.url == "http://localhost:9/h"


def test_targets_are_rechecked_at_delivery(world_graph: neo4j.Driver, neo4j_conn: Connection,
                                           hub_settings: Settings, tmp_path: Path) -> None:
    """Registered while allowed (development), refused when delivering in production: the
    check runs every round, not only at ``hub webhook add``; allowed by name, it delivers
    to the address it checked, with the registered Host."""
    graph = world_graph
    production = hub_settings.model_copy(update={"env": "production"})
    with receiver([200]) as rx:
        url = rx.url.replace("127.0.0.1", "localhost")
        add_webhook(graph, PARTY, url.replace("http:", "https:"))  # https: only the address
        raise_tobacco_alert(graph, tmp_path)
        pending = len(undelivered(graph, PARTY))
        refused = run_rounds(neo4j_conn, production, tmp_path, until=lambda s: len(s) == 1)
        assert refused[0].delivered == 0 and rx.received == []
        assert "loopback" in refused[0].skipped[0]
        assert "loopback" in status(graph, party_id=PARTY)[0]["last_error"]
        assert len(undelivered(graph, PARTY)) == pending  # kept for later, not dropped
        hook, _ = add_webhook(graph, PARTY, url, replace=True)  # the receiver speaks http
        allowed = production.model_copy(update={"webhook_allow_hosts": ["localhost"]})
        run_rounds(neo4j_conn, allowed, tmp_path,
                   until=lambda s: sum(x.delivered for x in s) >= pending)
        assert {r.headers["host"] for r in rx.ok()} == {url.split("/")[2]}
        assert undelivered(graph, PARTY) == [] and hook.url == url


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
