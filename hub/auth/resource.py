"""Resource-server side: turning a Bearer access token into a :class:`Principal`.

RFC 6750 §2.1 (Authorization: Bearer), RFC 9068 §4 (validating JWT access tokens) and
RFC 8725 (JWT best practices). Every request is checked for: the Bearer scheme; size before
parsing; an allow-listed asymmetric ``alg``; ``typ`` = ``at+jwt``; no ``jku``/``x5u``/``jwk``/
``x5c``; a ``kid`` found in the key set of the exact ``iss`` (the hub's own or a configured
external issuer); the signature; exact ``aud``; ``exp`` (required), ``nbf``/``iat`` with
leeway; the ``jti`` not revoked; the party and client enabled; a platform's agreement in
force. Party/client/agreement status is cached for at most ``HUB_AUTH_CACHE_TTL`` (≤5 s).
"""

from __future__ import annotations

import time
import weakref
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import neo4j
from starlette.requests import HTTPConnection
from starlette.responses import JSONResponse

from hub.auth import jwt as jwtlib
from hub.auth import store
from hub.auth.errors import BearerTokenError, InsufficientScope, InvalidToken, MissingToken
from hub.auth.external import ExternalKeys, JWKSUnavailable
from hub.auth.keys import KeyStore
from hub.auth.parties import agreement_in_force, needs_agreement, today_in
from hub.auth.scopes import PERMITTED_SCOPES, parse_scope
from hub.auth.tokens import issuer as own_issuer
from hub.settings import Settings

if TYPE_CHECKING:
    from joserfc.jwk import KeySet

_ACCESS_TYP: frozenset[str | None] = frozenset({"at+jwt"})
# Claims that only ID tokens carry (OpenID Connect Core §2, §3.1.3.6).
_ID_TOKEN_CLAIMS = frozenset({"nonce", "at_hash", "c_hash", "s_hash"})
_instances: weakref.WeakSet[Authenticator] = weakref.WeakSet()


@dataclass(frozen=True)
class Principal:
    """Who is calling: the party (from the token's own claim, checked against the graph)."""

    party_id: str
    party_type: str
    client_id: str
    scopes: frozenset[str]
    token_id: str
    jurisdictions: tuple[str, ...]
    platform_id: str | None
    association_id: str | None
    expires_at: datetime
    issuer: str = ""

    def has_scopes(self, *scopes: str) -> bool:
        return set(scopes) <= self.scopes


def require_scopes(principal: Principal, *scopes: str) -> None:
    """Raise :class:`InsufficientScope` (403) unless the principal holds every scope."""
    missing = frozenset(scopes) - principal.scopes
    if missing:
        raise InsufficientScope(
            f"This request needs the scope {' '.join(sorted(missing))}.",
            scopes=frozenset(scopes))


def bearer_token(authorization: str | None) -> str:
    """The token of an ``Authorization: Bearer <token>`` header (RFC 6750 §2.1)."""
    if not authorization:
        raise MissingToken()
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer":
        raise MissingToken()
    token = token.strip()
    if not token or " " in token:
        raise InvalidToken("The Authorization header is malformed.")
    return token


class Authenticator:
    """Validates access tokens for one hub (its settings, keys and database)."""

    def __init__(self, settings: Settings, driver: neo4j.AsyncDriver, database: str, *,
                 keys: KeyStore | None = None, external: ExternalKeys | None = None) -> None:
        self.settings = settings
        self.driver = driver
        self.database = database
        self.keys = keys or KeyStore.from_settings(settings)
        self.external = external or ExternalKeys(settings.external_issuers,
                                                 settings.jwks_cache_ttl)
        self.issuer = own_issuer(settings)
        self._status: dict[tuple[str, str], tuple[float, store.PartyContext | None]] = {}
        # Revoked token ids, re-read at most every `revocation_refresh` seconds: one query
        # per interval instead of one per request. Revocations made through this process
        # apply at once; those made through another worker within the interval.
        self._revoked: set[str] = set()
        self._revoked_at = -float("inf")
        _instances.add(self)

    def clear_cache(self) -> None:
        self._status.clear()
        self._revoked.clear()
        self._revoked_at = -float("inf")
        self.external.clear()

    def note_revoked(self, jti: str) -> None:
        self._revoked.add(jti)

    async def _is_revoked(self, jti: str) -> bool:
        refresh = self.settings.revocation_refresh
        if refresh <= 0:
            return await store.is_revoked(self.driver, self.database, jti)
        now = time.monotonic()
        if now - self._revoked_at >= refresh:
            self._revoked = await store.live_revocations(self.driver, self.database)
            self._revoked_at = now
        return jti in self._revoked

    async def authenticate(self, authorization: str | None) -> Principal:
        """The principal behind an ``Authorization`` header, or a :class:`BearerTokenError`."""
        token = bearer_token(authorization)
        try:
            return await self._validate(token)
        except jwtlib.TokenRejected as exc:
            raise InvalidToken(exc.reason) from None

    async def _validate(self, token: str) -> Principal:
        s = self.settings
        jwt = jwtlib.parse(token, s.max_token_bytes)
        alg = jwtlib.check_header(jwt.header, typ=_ACCESS_TYP, require_kid=True)
        iss = jwt.claims.get("iss")
        if not isinstance(iss, str):
            raise jwtlib.TokenRejected("The token has no issuer.")
        if iss == self.issuer:
            audience, party_claim = s.audience, "party"
            signing = self.keys.get(jwt.header["kid"])
            keyset: KeySet | None = (None if signing is None else
                                     _single(signing.key))
        elif iss in self.external.issuers:
            config = self.external.issuers[iss]
            audience, party_claim = config.audience, config.party_claim
            try:
                keyset = await self.external.keys_for(iss, jwt.header["kid"])
            except JWKSUnavailable:
                raise jwtlib.TokenRejected("The issuer's keys are unavailable.") from None
        else:
            raise jwtlib.TokenRejected("The token's issuer is not trusted.")
        if keyset is None:
            raise jwtlib.TokenRejected("The token's signing key is not known.")
        key = jwtlib.select_key(keyset, jwt.header, alg)
        jwtlib.verify_signature(jwt, key, alg)

        claims = jwt.claims
        if _ID_TOKEN_CLAIMS & set(claims):
            raise jwtlib.TokenRejected("An ID token is not an access token.")
        if not jwtlib.audience_matches(claims, frozenset({audience})):
            raise jwtlib.TokenRejected("The token is not meant for this API.")
        exp = jwtlib.check_times(claims, time.time(), s.token_leeway, require_iat=True)
        jti = jwtlib.string_claim(claims, "jti")
        client_id = jwtlib.string_claim(claims, "client_id")
        jwtlib.string_claim(claims, "sub")
        party_id = jwtlib.string_claim(claims, party_claim)
        scope = claims.get("scope", "")
        if not isinstance(scope, str):
            raise jwtlib.TokenRejected("The token's 'scope' claim is malformed.")

        own = iss == self.issuer
        context, revoked = await self._status_and_revocation(party_id, client_id if own else None,
                                                             jti)
        if revoked:
            raise jwtlib.TokenRejected("The token has been revoked.")
        if context is None:
            raise jwtlib.TokenRejected("The token's party is not known.")
        party = context.party
        if party.disabled:
            raise jwtlib.TokenRejected("The token's party is disabled.")
        scopes = parse_scope(scope)
        if own:
            client = context.client
            if client is None or client.party_id != party.id:
                raise jwtlib.TokenRejected("The token's client is not known.")
            if client.disabled:
                raise jwtlib.TokenRejected("The token's client is disabled.")
            if claims.get("party_type") != party.type:
                raise jwtlib.TokenRejected("The token's party type is wrong.")
            scopes &= client.scopes
        else:
            scopes &= PERMITTED_SCOPES[party.type]
        if needs_agreement(party) and not agreement_in_force(
                context.agreements, today_in(s.agreement_timezone)):
            raise jwtlib.TokenRejected("The party's cooperation agreement is not in force.")
        return Principal(
            party_id=party.id, party_type=party.type, client_id=client_id,
            scopes=frozenset(scopes), token_id=jti, jurisdictions=party.jurisdictions,
            platform_id=party.platform_id, association_id=party.association_id,
            expires_at=datetime.fromtimestamp(exp, UTC), issuer=iss)

    async def _status_and_revocation(self, party_id: str, client_id: str | None,
                                     jti: str) -> tuple[store.PartyContext | None, bool]:
        cache_key = (party_id, client_id or "")
        cached = self._status.get(cache_key)
        now = time.monotonic()
        if cached and now - cached[0] < self.settings.auth_cache_ttl:
            return cached[1], await self._is_revoked(jti)
        context = await store.party_context(self.driver, self.database, party_id, client_id)
        revoked = await self._is_revoked(jti)
        if len(self._status) > 10_000:
            self._status.clear()
        self._status[cache_key] = (now, context)
        return context, revoked


def _single(key: Any) -> KeySet:
    from joserfc.jwk import KeySet

    return KeySet([key])


def clear_caches() -> None:
    """Forget cached party/client/agreement status everywhere in this process (tests)."""
    for authenticator in list(_instances):
        authenticator.clear_cache()


def authenticator_for(conn: HTTPConnection) -> Authenticator:
    """The app's :class:`Authenticator`, created on first use from ``app.state.hub``."""
    state = conn.app.state
    found: Authenticator | None = getattr(state, "hub_authenticator", None)
    if found is None:
        hub = state.hub
        found = Authenticator(hub.settings, hub.driver, hub.database)
        state.hub_authenticator = found
    return found


async def authenticate(conn: HTTPConnection) -> Principal:
    """Authenticate a request or websocket from its ``Authorization`` header."""
    return await authenticator_for(conn).authenticate(conn.headers.get("authorization"))


def bearer_error_response(exc: BearerTokenError) -> JSONResponse:
    """An RFC 6750 §3 error response: status, ``WWW-Authenticate`` and a small JSON body."""
    return JSONResponse(exc.body() or {"error": "unauthorized"}, status_code=exc.status_code,
                        headers=exc.headers())
