"""Webhook registrations and their signatures.

A party that cannot hold a socket registers one HTTPS endpoint; the worker
(:mod:`hub.delivery.worker`) POSTs each of the party's notifications to it as JSON.

Signing follows the Standard Webhooks specification (its reference library,
``standardwebhooks``): ``webhook-id`` (the notification's id, the same on every retry, so
receivers de-duplicate), ``webhook-timestamp`` (unix seconds) and ``webhook-signature``
(``v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">``); receivers verify with any
Standard Webhooks library and refuse timestamps more than five minutes off. The earlier
``X-Hub-Signature: t=<unix seconds>,v1=<hex>`` header (HMAC over ``"<t>." + body``) is
still sent for one release, so receivers can move over; it will then be dropped.

**Why the secret is stored in clear** (unlike client secrets, which are only hashed): the
hub must *produce* the HMAC, so it needs the key itself, and a hash would not do. The
trade-off: anyone who can read the ``:Webhook`` nodes can forge deliveries to that
receiver. Mitigations: the secret is shown once at registration and never listed; it only
authenticates the hub *to the receiver* (it grants nothing in the hub); rotating it is
``hub webhook add --replace``. Encrypting it at rest under a key outside the database
would narrow the exposure to database + key holders.

**Targets** (docs/alerts.md): the host of a webhook URL is resolved and *every* address
checked, at registration and again before each delivery round (a name that pointed at a
public address yesterday may point at 127.0.0.1 today: DNS rebinding). Deliveries then
connect to the address that was checked (pinned; TLS still verifies the name), so a
second lookup cannot swap it. In production an address must be globally routable:
loopback, private, link-local, multicast, reserved, unspecified (and those hidden in
IPv4-mapped IPv6) are refused unless the operator names the host in
``HUB_WEBHOOK_ALLOW_HOSTS``. Development also accepts loopback (a local receiver).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import ipaddress
import secrets
import socket
import time
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import SplitResult, urlsplit, urlunsplit

import neo4j
from standardwebhooks.webhooks import Webhook as StandardWebhook

from hub.errors import HubError

SIGNATURE_HEADER = "X-Hub-Signature"
DEFAULT_TOLERANCE = 300  # seconds a receiver should accept a signature for
DEFAULT_PURPOSE = {"platform": "periodic_sweep", "regulator": "supervision"}


class WebhookError(HubError):
    """A webhook cannot be registered or changed as asked."""


@dataclass(frozen=True)
class Webhook:
    id: str
    party_id: str
    url: str
    purpose: str
    created_at: str
    disabled: bool


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _allowed(host: str, allow_hosts: Collection[str]) -> bool:
    return host.lower().rstrip(".") in {h.lower().rstrip(".") for h in allow_hosts}


def _parts(url: str, *, production: bool, allow_hosts: Collection[str]) -> SplitResult:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise WebhookError(f"{url!r} is not an absolute http(s) URL.",
                           "Give the full URL, e.g. https://example.com/hub-alerts.")
    if parts.username or parts.password:
        raise WebhookError("The webhook URL must not carry credentials.",
                           "Receivers authenticate the hub by the signature header.")
    if parts.fragment:
        raise WebhookError("The webhook URL must not have a #fragment.")
    try:
        parts.port  # noqa: B018  (raises on a malformed port)
    except ValueError:
        raise WebhookError(f"{url!r} has an invalid port.") from None
    if production and parts.scheme != "https" and not _allowed(parts.hostname, allow_hosts):
        raise WebhookError("Webhook URLs must use https in production.",
                           "Plain http is only for a host named in HUB_WEBHOOK_ALLOW_HOSTS.")
    return parts


def validate_url(url: str, *, production: bool, allow_hosts: Collection[str] = ()) -> str:
    """An absolute http(s) URL without credentials; https in production unless the
    operator allows the host. Plain http would expose alert contents and the signature to
    the network. This checks the text only; :func:`check_target` checks the addresses."""
    return _parts(url, production=production, allow_hosts=allow_hosts).geturl()


def address_refusal(address: str, *, production: bool) -> str | None:
    """Why a webhook may not connect to ``address`` (None: it may)."""
    ip = ipaddress.ip_address(address.split("%")[0])  # drop an IPv6 zone (fe80::1%eth0)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    if ip.is_loopback:
        return "a loopback address" if production else None
    for kind in ("unspecified", "link_local", "multicast", "reserved", "private"):
        if getattr(ip, f"is_{kind}"):
            return f"a {kind.replace('_', '-')} address"
    if not ip.is_global:
        return "not a globally routable address"
    return None


@dataclass(frozen=True)
class Target:
    """A checked webhook URL and the address deliveries connect to."""

    url: str
    address: str

    def request(self) -> tuple[str, dict[str, str], dict[str, Any]]:
        """(URL to connect to, headers, httpx extensions) pinned to ``address``; the
        Host header and the TLS server name stay the registered host's."""
        parts = urlsplit(self.url)
        host = f"[{self.address}]" if ":" in self.address else self.address
        netloc = host + (f":{parts.port}" if parts.port else "")
        pinned = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
        extensions: dict[str, Any] = {}
        if parts.scheme == "https":
            extensions["sni_hostname"] = parts.hostname
        return pinned, {"host": parts.netloc}, extensions


def _decide(parts: SplitResult, addresses: list[str], *, production: bool,
            allow_hosts: Collection[str]) -> Target:
    host = parts.hostname or ""
    if not addresses:
        raise WebhookError(f"The webhook host {host!r} does not resolve.",
                           "Check the name, or register the URL once it resolves.")
    if not _allowed(host, allow_hosts):
        for address in addresses:
            reason = address_refusal(address, production=production)
            if reason:
                raise WebhookError(
                    f"The webhook host {host!r} resolves to {address}, {reason}.",
                    "Webhooks go to public addresses only; an operator may allow an "
                    "internal receiver by name in HUB_WEBHOOK_ALLOW_HOSTS.")
    return Target(parts.geturl(), addresses[0])


def _port(parts: SplitResult) -> int:
    return parts.port or (443 if parts.scheme == "https" else 80)


def _unique(infos: list[Any]) -> list[str]:
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def check_target(url: str, *, production: bool,
                 allow_hosts: Collection[str] = ()) -> Target:
    """Validate ``url`` and resolve its host; every address must pass (blocking lookup)."""
    parts = _parts(url, production=production, allow_hosts=allow_hosts)
    try:
        infos = socket.getaddrinfo(parts.hostname, _port(parts), type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        infos = []
    return _decide(parts, _unique(infos), production=production, allow_hosts=allow_hosts)


async def check_target_async(url: str, *, production: bool,
                             allow_hosts: Collection[str] = ()) -> Target:
    """:func:`check_target` without blocking the event loop (the delivery worker)."""
    parts = _parts(url, production=production, allow_hosts=allow_hosts)
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(
            parts.hostname, _port(parts), type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        infos = []
    return _decide(parts, _unique(infos), production=production, allow_hosts=allow_hosts)


def new_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` + base64 of 32 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def standard_headers(secret: str, msg_id: str, body: bytes,
                     timestamp: int | None = None) -> dict[str, str]:
    """The Standard Webhooks headers for ``body`` delivered as message ``msg_id``."""
    sent = datetime.fromtimestamp(int(time.time()) if timestamp is None else timestamp, UTC)
    signature = StandardWebhook(secret).sign(msg_id, sent, body.decode())
    return {"webhook-id": msg_id, "webhook-timestamp": str(int(sent.timestamp())),
            "webhook-signature": signature}


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The legacy ``X-Hub-Signature`` header value for ``body`` sent at ``timestamp``."""
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def verify(secret: str, body: bytes, header: str, *, tolerance: int = DEFAULT_TOLERANCE,
           now: float | None = None) -> bool:
    """What a receiver does (docs/alerts.md has a standalone copy): any ``v1`` matches,
    in constant time, and the timestamp is within ``tolerance`` seconds."""
    fields: dict[str, list[str]] = {}
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        fields.setdefault(key, []).append(value)
    try:
        t = int(fields["t"][0])
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - t) > tolerance:
        return False
    expected = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return any(hmac.compare_digest(expected, v) for v in fields.get("v1", []))


def _webhook(data: dict[str, Any]) -> Webhook:
    return Webhook(id=data["id"], party_id=data["party_id"], url=data["url"],
                   purpose=data.get("purpose") or "", created_at=data["created_at"],
                   disabled=bool(data.get("disabled")))


def add_webhook(driver: neo4j.Driver, party_id: str, url: str, *, purpose: str | None = None,
                production: bool = False, replace: bool = False,
                allow_hosts: Collection[str] = (),
                database: str = "neo4j") -> tuple[Webhook, str]:
    """Register ``url`` for a party; returns the webhook and its secret (shown once).

    One active webhook per party (its notifications are delivered once): with
    ``replace`` the current one is disabled, otherwise registering a second is refused.
    """
    from hub.auth.parties import get_party

    url = check_target(url, production=production, allow_hosts=allow_hosts).url
    party = get_party(driver, party_id, database=database)
    if party.disabled:
        raise WebhookError(f"Party {party_id!r} is disabled.")
    purpose = purpose or DEFAULT_PURPOSE.get(party.type)
    if not purpose:
        raise WebhookError(f"A {party.type} party receives no alerts.",
                           "Only platforms and regulators are notified of alerts.")
    hook_id = f"wh-{secrets.token_hex(6)}"
    secret = new_secret()
    now = datetime.now(UTC).isoformat(timespec="seconds")
    records, _, _ = driver.execute_query("""
        MATCH (p:Party {id: $party})
        OPTIONAL MATCH (old:Webhook {party_id: $party}) WHERE NOT coalesce(old.disabled, false)
        WITH p, collect(old) AS olds
        WHERE $replace OR size(olds) = 0
        FOREACH (o IN olds | SET o.disabled = true, o.disabled_at = $now)
        CREATE (w:Webhook {id: $id, party_id: $party, url: $url, secret: $secret,
                           purpose: $purpose, created_at: $now, disabled: false})
        MERGE (w)-[:FOR]->(p)
        RETURN w {.id, .party_id, .url, .purpose, .created_at, .disabled} AS w
        """, party=party_id, id=hook_id, url=url, secret=secret, purpose=purpose, now=now,
        replace=replace, database_=database)
    if not records:
        raise WebhookError(f"Party {party_id!r} already has an active webhook.",
                           "Pass --replace to replace it (the old one is disabled).")
    return _webhook(records[0]["w"]), secret


def list_webhooks(driver: neo4j.Driver, *, party_id: str | None = None,
                  database: str = "neo4j") -> list[Webhook]:
    records, _, _ = driver.execute_query(
        "MATCH (w:Webhook) WHERE $party IS NULL OR w.party_id = $party "
        "RETURN w {.id, .party_id, .url, .purpose, .created_at, .disabled} AS w "
        "ORDER BY w.party_id, w.created_at", party=party_id, database_=database,
        routing_=neo4j.RoutingControl.READ)
    return [_webhook(r["w"]) for r in records]


def disable_webhook(driver: neo4j.Driver, webhook_id: str, *, database: str = "neo4j") -> None:
    records, _, _ = driver.execute_query(
        "MATCH (w:Webhook {id: $id}) SET w.disabled = true, w.disabled_at = $now "
        "RETURN w.id AS id", id=webhook_id,
        now=datetime.now(UTC).isoformat(timespec="seconds"), database_=database)
    if not records:
        raise WebhookError(f"No webhook {webhook_id!r}.", "List them: hub webhook list.")


STATUS = """
MATCH (w:Webhook) WHERE $party IS NULL OR w.party_id = $party
CALL (w) {
  MATCH (n:Notification {party_id: w.party_id})
  RETURN sum(CASE WHEN n.delivered_at IS NULL AND n.failed_at IS NULL THEN 1 ELSE 0 END)
           AS pending,
         sum(CASE WHEN n.delivered_at IS NULL AND n.failed_at IS NULL
                   AND coalesce(n.attempts, 0) > 0 THEN 1 ELSE 0 END) AS retrying,
         sum(CASE WHEN n.delivered_at IS NULL AND n.failed_at IS NOT NULL THEN 1 ELSE 0 END)
           AS failed,
         sum(CASE WHEN n.delivered_via = 'webhook' THEN 1 ELSE 0 END) AS delivered
}
CALL (w) {
  OPTIONAL MATCH (n:Notification {party_id: w.party_id})
  WHERE n.delivered_at IS NULL AND n.failed_at IS NOT NULL
  WITH n ORDER BY n.failed_at DESC LIMIT $limit
  RETURN collect(n {.id, .alert_id, .attempts, .last_error, .failed_at}) AS failures
}
RETURN w {.id, .party_id, .url, .purpose, .created_at, .disabled, .last_error} AS w,
       pending, retrying, failed, delivered, failures
ORDER BY w.party_id, w.created_at
"""


def status(driver: neo4j.Driver, *, party_id: str | None = None, limit: int = 20,
           database: str = "neo4j") -> list[dict[str, Any]]:
    """Per webhook: pending, retrying, failed (given up) and delivered counts, recent
    failures. A disabled webhook is listed too (its party's outbox still fills)."""
    records, _, _ = driver.execute_query(STATUS, party=party_id, limit=limit,
                                         database_=database,
                                         routing_=neo4j.RoutingControl.READ)
    return [{**dict(r["w"]), "pending": r["pending"], "retrying": r["retrying"],
             "failed": r["failed"], "delivered": r["delivered"],
             "failures": list(r["failures"])} for r in records]


def retry_failed(driver: neo4j.Driver, party_id: str, *, database: str = "neo4j") -> int:
    """Put a party's given-up notifications back in the queue (attempts start again)."""
    records, _, _ = driver.execute_query(
        "MATCH (n:Notification {party_id: $party}) "
        "WHERE n.delivered_at IS NULL AND n.failed_at IS NOT NULL "
        "SET n.failed_at = null, n.attempts = 0, n.next_attempt_at = null "
        "RETURN count(n) AS n", party=party_id, database_=database)
    return int(records[0]["n"])
