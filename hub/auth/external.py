"""Trusted external issuers (e.g. a Keycloak realm) and their JWK Sets.

Each configured issuer ``{issuer, jwks_url, audience, party_claim}`` (``HUB_EXTERNAL_ISSUERS``)
has its JWKS fetched from the configured URL only — never from a token's ``jku``/``x5u`` —
and cached for ``HUB_JWKS_CACHE_TTL`` seconds; an unknown ``kid`` triggers at most one
re-fetch per ``REFETCH_INTERVAL`` (RFC 7517 §5; RFC 8725 §3.10). Key sets can also be
injected pre-loaded (tests, air-gapped deployments).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import urllib.request
from dataclasses import dataclass

from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from hub.settings import ExternalIssuer

log = logging.getLogger("hub.auth.external")
REFETCH_INTERVAL = 30.0
MAX_JWKS_BYTES = 256 * 1024
FETCH_TIMEOUT = 5.0


class JWKSUnavailable(Exception):
    """The issuer's JWKS could not be fetched or read."""


@dataclass
class _Entry:
    keys: KeySet
    fetched_at: float
    injected: bool = False


def fetch_jwks(url: str) -> KeySet:
    """GET a JWK Set (http/https only, bounded size and time)."""
    if not url.startswith(("https://", "http://")):
        raise JWKSUnavailable("only http(s) JWKS URLs are fetched")
    request = urllib.request.Request(url, headers={"Accept": "application/json"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT) as response:  # noqa: S310
            body = response.read(MAX_JWKS_BYTES + 1)
        if len(body) > MAX_JWKS_BYTES:
            raise JWKSUnavailable("JWKS too large")
        data = json.loads(body)
        keys = [k for k in data.get("keys", []) if isinstance(k, dict)
                and k.get("kty") in ("EC", "RSA", "OKP") and "d" not in k]
        return KeySet.import_key_set({"keys": keys})
    except (OSError, ValueError, AttributeError, JoseError) as exc:
        raise JWKSUnavailable(f"{type(exc).__name__}") from None


class ExternalKeys:
    """The key sets of the configured external issuers, cached."""

    def __init__(self, issuers: list[ExternalIssuer], ttl: float = 300.0) -> None:
        self.issuers = {i.issuer: i for i in issuers}
        self.ttl = ttl
        self._cache: dict[str, _Entry] = {}
        self._last_fetch: dict[str, float] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    def inject(self, issuer: str, keys: KeySet) -> None:
        """Use ``keys`` for ``issuer`` instead of fetching them."""
        self._cache[issuer] = _Entry(keys, time.monotonic(), injected=True)

    def clear(self) -> None:
        self._cache = {k: v for k, v in self._cache.items() if v.injected}
        self._last_fetch.clear()

    async def keys_for(self, issuer: str, kid: str) -> KeySet:
        """The issuer's keys, fetched if stale or if ``kid`` is unknown (rate-limited)."""
        config = self.issuers[issuer]
        entry = self._cache.get(issuer)
        now = time.monotonic()
        if entry:
            fresh = now - entry.fetched_at < self.ttl
            if entry.injected or (fresh and _has_kid(entry.keys, kid)):
                return entry.keys
            last = self._last_fetch.get(issuer)
            if fresh and last is not None and now - last < REFETCH_INTERVAL:
                return entry.keys  # kid unknown, but a kid miss re-fetched very recently
            if fresh:
                self._last_fetch[issuer] = now
        lock = self._locks.setdefault(issuer, asyncio.Lock())
        async with lock:
            try:
                keys = await asyncio.to_thread(fetch_jwks, config.jwks_url)
            except JWKSUnavailable as exc:
                log.warning("external JWKS unavailable",
                            extra={"issuer": issuer, "reason": str(exc)})
                if entry:
                    return entry.keys  # serve the stale set rather than fail everyone
                raise
            self._cache[issuer] = _Entry(keys, time.monotonic())
            return keys


def _has_kid(keys: KeySet, kid: str) -> bool:
    return any(k.kid == kid for k in keys)
