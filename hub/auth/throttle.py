"""Throttling of the token endpoint, per claimed client id and per source address.

Checking a client secret costs one scrypt (~120 ms of CPU), so guessing secrets, or just
flooding ``/oauth/token``, would buy CPU cheaply. Every attempt spends one token from two
token buckets — the client id it claims (read from the request, *before* any check) and
the address it comes from — and an empty bucket answers 429 with ``Retry-After`` without
touching the secret. Buckets live in two LRU maps of bounded size: a flood of made-up ids
evicts idle buckets, never the one under attack (it stays recently used).

The source address is the TCP peer. ``X-Forwarded-For`` is believed only when the peer is
one of ``HUB_TRUSTED_PROXIES``; then the address is the right-most entry that is not a
trusted proxy (entries to its left are the client's to forge).
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import unquote_plus

import orjson

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
MAX_KEY = 200  # a claimed id longer than this is cut: keys stay small


@dataclass
class _Bucket:
    tokens: float
    updated: float


class Buckets:
    """Token buckets keyed by string, at most ``size`` of them (least recently used go)."""

    def __init__(self, per_minute: float, burst: float, size: int) -> None:
        self.per_second = per_minute / 60.0
        self.burst = max(burst, 1.0)
        self.size = size
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def __len__(self) -> int:
        return len(self._buckets)

    def wait(self, key: str, now: float) -> float:
        """Seconds until ``key`` has a whole token (0.0: it has one); refills the bucket."""
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(self.burst, now)
            while len(self._buckets) > self.size:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(key)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.per_second)
        bucket.updated = now
        return 0.0 if bucket.tokens >= 1.0 else (1.0 - bucket.tokens) / self.per_second

    def spend(self, key: str) -> None:
        self._buckets[key].tokens -= 1.0


class TokenThrottle:
    """The token endpoint's two limits; ``per_minute <= 0`` turns a limit off."""

    def __init__(self, *, client_per_minute: float, client_burst: float,
                 address_per_minute: float, address_burst: float, size: int,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.clients = Buckets(client_per_minute, client_burst, size)
        self.addresses = Buckets(address_per_minute, address_burst, size)
        self._on = (client_per_minute > 0, address_per_minute > 0)
        self._clock = clock
        self._lock = threading.Lock()

    def take(self, client_id: str | None, address: str) -> float:
        """Spend one attempt for both keys: 0.0 if allowed, else seconds to wait.

        A refused attempt spends nothing, so a client that waits as told gets through."""
        active = []
        if self._on[0] and client_id:
            active.append((self.clients, client_id[:MAX_KEY]))
        if self._on[1]:
            active.append((self.addresses, address))
        now = self._clock()
        with self._lock:
            wait = max((buckets.wait(key, now) for buckets, key in active), default=0.0)
            if wait == 0.0:
                for buckets, key in active:
                    buckets.spend(key)
            return wait


def claimed_client_id(authorization: str | None, form: Mapping[str, str]) -> str | None:
    """The client id a token request claims, unverified: HTTP Basic, ``client_id``, or a
    client assertion's ``sub``. Only a throttle key: nothing is trusted from it."""
    if authorization and authorization.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        return unquote_plus(decoded.partition(":")[0]) or None
    if form.get("client_id"):
        return form["client_id"]
    assertion = form.get("client_assertion", "")
    parts = assertion.split(".")
    if len(parts) == 3 and len(parts[1]) <= 8192:
        try:
            claims = orjson.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
        except (binascii.Error, ValueError):
            return None
        sub = claims.get("sub") if isinstance(claims, dict) else None
        return sub if isinstance(sub, str) and sub else None
    return None


def parse_networks(values: Iterable[str]) -> tuple[IPNetwork, ...]:
    """``10.0.0.1`` or ``10.0.0.0/8`` (IPv4 or IPv6); raises ValueError naming the bad one."""
    networks = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError:
            raise ValueError(f"{value!r} is not an IP address or network") from None
    return tuple(networks)


def _trusted(address: str, proxies: tuple[IPNetwork, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in proxies)


def source_address(peer: str | None, forwarded_for: str | None,
                   proxies: tuple[IPNetwork, ...]) -> str:
    """The address a request comes from (see the module docstring)."""
    address = peer or "unknown"
    if not proxies or not forwarded_for or not _trusted(address, proxies):
        return address
    for hop in reversed([h.strip() for h in forwarded_for.split(",") if h.strip()]):
        address = hop
        if not _trusted(hop, proxies):
            break
    return address[:64]
