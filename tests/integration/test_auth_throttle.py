"""The token endpoint's throttle over real HTTP: per claimed client id and per source
address, 429 + Retry-After before any secret is hashed, X-Forwarded-For only from a
trusted proxy, bounded memory."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import neo4j
import pytest

from hub.auth import clear_caches
from hub.auth import client_auth as client_auth_module
from hub.settings import Settings
from tests.conftest import serve
from tests.integration.auth_fixtures import Registered, basic, register, with_probe

TOKEN_FORM = {"grant_type": "client_credentials"}


@pytest.fixture(autouse=True)
def raw_peer(monkeypatch: pytest.MonkeyPatch) -> None:
    """Like ``hub serve`` (proxy_headers=False): uvicorn must not rewrite the peer from
    X-Forwarded-For itself (its default trusts loopback), so the hub's setting decides."""
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "192.0.2.1")


@contextmanager
def throttled_hub(hub_settings: Settings, tmp_path: Path, **limits: Any) -> Iterator[
        tuple[str, Any]]:
    settings = hub_settings.model_copy(update={"key_dir": tmp_path / "keys", **limits})
    clear_caches()
    app = with_probe(settings)
    with serve(app) as url:
        yield url, app
    clear_caches()


@pytest.fixture
def hashed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Client ids whose secret reached the (real) scrypt check, in order."""
    seen: list[str] = []
    real = client_auth_module.verify_secret

    def counting(secret: str, stored: str | None) -> bool:
        seen.append(secret)
        return real(secret, stored)

    monkeypatch.setattr(client_auth_module, "verify_secret", counting)
    return seen


def wrong(url: str, client_id: str, **headers: str) -> httpx.Response:
    return httpx.post(f"{url}/oauth/token", data=TOKEN_FORM, timeout=60,
                      headers={"Authorization": basic(client_id, "not-the-secret"), **headers})


def right(url: str, reg: Registered) -> httpx.Response:
    assert reg.secret is not None
    return httpx.post(f"{url}/oauth/token", data=TOKEN_FORM, timeout=60,
                      headers={"Authorization": basic(reg.client_id, reg.secret)})


def assert_throttled(response: httpx.Response) -> int:
    assert response.status_code == 429, response.text
    assert response.json()["error"] == "slow_down"
    assert response.headers["cache-control"] == "no-store"
    seconds = int(response.headers["retry-after"])
    assert seconds >= 1
    return seconds


def test_client_id_is_throttled_before_its_secret_is_hashed(
        hub_settings: Settings, graph: neo4j.Driver, tmp_path: Path,
        hashed: list[str]) -> None:
    victim = register(graph, "regulator", party_id="reg-victim")
    other = register(graph, "regulator", party_id="reg-other")
    # one attempt a minute after the burst: nothing refills while the test runs, however
    # slow the machine (the refill itself is timed in tests/unit/test_auth_throttle.py)
    with throttled_hub(hub_settings, tmp_path, token_rate_per_minute=1, token_burst=3,
                       token_address_rate_per_minute=0) as (url, _):
        for _ in range(3):
            assert wrong(url, victim.client_id).status_code == 401
        assert len(hashed) == 3
        # the right secret is refused too, and never hashed: the bucket is empty
        first = assert_throttled(right(url, victim))
        assert 1 <= first <= 60
        post = httpx.post(f"{url}/oauth/token", timeout=60, data={
            **TOKEN_FORM, "client_id": victim.client_id, "client_secret": "x"})
        assert_throttled(post)  # the same client id, another authentication method
        revoke = httpx.post(f"{url}/oauth/revoke", data={"token": "x"}, timeout=60,
                            headers={"Authorization": basic(victim.client_id, "x")})
        # refused attempts spend nothing: the wait does not grow
        assert assert_throttled(revoke) <= first
        assert len(hashed) == 3
        # another client from the same address is not affected
        assert right(url, other).status_code == 200


def test_source_address_and_forwarded_for(hub_settings: Settings, graph: neo4j.Driver,
                                          tmp_path: Path, hashed: list[str]) -> None:
    limits = {"token_rate_per_minute": 0, "token_address_rate_per_minute": 0.5,
              "token_address_burst": 2}
    with throttled_hub(hub_settings, tmp_path / "a", **limits) as (url, _):
        assert wrong(url, "made-up-1").status_code == 401
        assert wrong(url, "made-up-2").status_code == 401
        # no trusted proxy: a forged X-Forwarded-For does not buy a fresh bucket
        assert_throttled(wrong(url, "made-up-3", **{"X-Forwarded-For": "203.0.113.9"}))
        assert len(hashed) == 2
    with throttled_hub(hub_settings, tmp_path / "b", trusted_proxies=["127.0.0.0/8"],
                       **limits) as (url, _):
        behind = {"X-Forwarded-For": "203.0.113.9"}
        assert wrong(url, "made-up-1", **behind).status_code == 401
        assert wrong(url, "made-up-2", **behind).status_code == 401
        assert_throttled(wrong(url, "made-up-3", **behind))
        # entries left of the last untrusted hop are the client's to forge
        forged = {"X-Forwarded-For": "198.51.100.1, 203.0.113.9"}
        assert_throttled(wrong(url, "made-up-4", **forged))
        # another client behind the proxy has its own bucket
        assert wrong(url, "made-up-5", **{"X-Forwarded-For": "203.0.113.10"}).status_code \
            == 401


def test_buckets_are_bounded_and_keep_the_one_under_attack(
        hub_settings: Settings, graph: neo4j.Driver, tmp_path: Path) -> None:
    with throttled_hub(hub_settings, tmp_path, token_rate_per_minute=0.5, token_burst=1,
                       token_address_rate_per_minute=0, token_throttle_size=4) as (url, app):
        assert wrong(url, "victim").status_code == 401
        assert_throttled(wrong(url, "victim"))
        for n in range(12):  # made-up ids cannot evict the id that is being hammered
            assert wrong(url, f"flood-{n}").status_code == 401
            if n % 2:
                assert_throttled(wrong(url, "victim"))
        assert len(app.state.token_throttle.clients) <= 4
