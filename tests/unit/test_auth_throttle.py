"""The token throttle's pure parts: buckets on a controlled clock, LRU bounds, the claimed
client id and the source address (X-Forwarded-For only from trusted proxies)."""

from __future__ import annotations

import base64
import json

import pytest

from hub.auth.throttle import TokenThrottle, claimed_client_id, parse_networks, source_address


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def throttle(clock: Clock, **kw: float) -> TokenThrottle:
    limits = {"client_per_minute": 6.0, "client_burst": 2.0, "address_per_minute": 0.0,
              "address_burst": 1.0, "size": 3.0} | kw
    return TokenThrottle(client_per_minute=limits["client_per_minute"],
                         client_burst=limits["client_burst"],
                         address_per_minute=limits["address_per_minute"],
                         address_burst=limits["address_burst"], size=int(limits["size"]),
                         clock=clock)


def test_bucket_refills_and_refusals_spend_nothing() -> None:
    clock = Clock()
    t = throttle(clock)
    assert t.take("c", "a") == 0.0 and t.take("c", "a") == 0.0
    assert t.take("c", "a") == pytest.approx(10.0)  # 6 a minute: one every 10 s
    clock.now += 4
    assert t.take("c", "a") == pytest.approx(6.0)  # the refused attempt spent nothing
    clock.now += 6
    assert t.take("c", "a") == 0.0
    assert t.take("other", "a") == 0.0


def test_both_limits_apply_and_zero_turns_one_off() -> None:
    clock = Clock()
    t = throttle(clock, client_per_minute=0, address_per_minute=60, address_burst=1)
    assert t.take("c1", "10.0.0.1") == 0.0
    assert t.take("c2", "10.0.0.1") == pytest.approx(1.0)
    assert t.take("c3", "10.0.0.2") == 0.0
    assert len(t.clients) == 0
    both = throttle(clock, address_per_minute=60, address_burst=5)
    assert both.take("c", "x") == 0.0 and both.take("c", "x") == 0.0
    assert both.take("c", "y") > 0  # the client's bucket is empty, whatever the address
    assert both.take(None, "x") == 0.0  # no claimed id: the address alone decides


def test_buckets_are_lru_bounded() -> None:
    clock = Clock()
    t = throttle(clock, client_burst=1, size=3)
    assert t.take("victim", "a") == 0.0
    for n in range(20):
        t.take(f"flood-{n}", "a")
        if n % 2:
            assert t.take("victim", "a") > 0  # kept: it is used more recently than most
        assert len(t.clients) <= 3


def _jwt(claims: dict[str, str]) -> str:
    part = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    return f"e30.{part}.sig"


def test_claimed_client_id() -> None:
    basic = "Basic " + base64.b64encode(b"client%2F1:secret").decode()
    assert claimed_client_id(basic, {}) == "client/1"
    assert claimed_client_id("Basic !!!", {}) is None
    assert claimed_client_id(None, {"client_id": "c2"}) == "c2"
    assert claimed_client_id(None, {"client_assertion": _jwt({"sub": "c3"})}) == "c3"
    assert claimed_client_id(None, {"client_assertion": "a.b.c"}) is None
    assert claimed_client_id(None, {}) is None


def test_source_address() -> None:
    proxies = parse_networks(["10.0.0.0/8", "::1"])
    assert source_address("203.0.113.5", "198.51.100.1", ()) == "203.0.113.5"
    assert source_address("203.0.113.5", "198.51.100.1", proxies) == "203.0.113.5"
    assert source_address("10.1.2.3", "198.51.100.1", proxies) == "198.51.100.1"
    assert source_address("10.1.2.3", "1.1.1.1, 198.51.100.1, 10.9.9.9", proxies) \
        == "198.51.100.1"
    assert source_address("::1", "2001:db8::7", proxies) == "2001:db8::7"
    assert source_address(None, None, proxies) == "unknown"
    with pytest.raises(ValueError, match="not-an-ip"):
        parse_networks(["not-an-ip"])
