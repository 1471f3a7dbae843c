"""Client authentication at the token and revocation endpoints.

``client_secret_basic`` and ``client_secret_post`` (RFC 6749 §2.3.1: exactly one method per
request, §5.2: 401 + ``WWW-Authenticate`` when the Authorization header was used) and
``private_key_jwt`` (RFC 7523 §2.2 and §3: ``iss`` = ``sub`` = client id, ``aud`` the token
endpoint or the issuer, ``exp`` required and short, ``jti`` single-use, signed by a key of
the client's registered JWKS).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import time
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import unquote_plus

import neo4j

from hub.auth import jwt as jwtlib
from hub.auth import store
from hub.auth.clients import JWT_METHOD, SECRET_METHODS, parse_jwks
from hub.auth.errors import InvalidClient, InvalidInput, InvalidRequest
from hub.auth.hashing import verify_secret
from hub.settings import Settings

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
# An access token must never pass as a client assertion.
_ASSERTION_TYP = frozenset({None, "jwt", "client-authentication+jwt"})


class InvalidBasicClient(InvalidClient):
    """invalid_client when the client used HTTP Basic: answered with a Basic challenge."""


@dataclass(frozen=True)
class AuthenticatedClient:
    context: store.PartyContext
    method: str

    @property
    def client_id(self) -> str:
        assert self.context.client is not None
        return self.context.client.client_id


def _basic_credentials(authorization: str) -> tuple[str, str]:
    try:
        decoded = base64.b64decode(authorization.split(" ", 1)[1].strip(),
                                   validate=True).decode()
        raw_id, sep, raw_secret = decoded.partition(":")
    except (IndexError, binascii.Error, UnicodeDecodeError):
        raise InvalidBasicClient("The Basic credentials are malformed.") from None
    if not sep or not raw_id:
        raise InvalidBasicClient("The Basic credentials are malformed.")
    # RFC 6749 §2.3.1: id and secret are form-urlencoded before Basic encoding.
    return unquote_plus(raw_id), unquote_plus(raw_secret)


async def authenticate_client(authorization: str | None, form: Mapping[str, str], *,
                              settings: Settings, driver: neo4j.AsyncDriver, database: str,
                              audiences: frozenset[str]) -> AuthenticatedClient:
    """Authenticate the calling client or raise ``invalid_client`` / ``invalid_request``."""
    basic = bool(authorization) and authorization.lower().startswith("basic ")  # type: ignore[union-attr]
    post = "client_secret" in form
    assertion = "client_assertion" in form or "client_assertion_type" in form
    if basic + post + assertion > 1:
        raise InvalidRequest("Use exactly one client authentication method.")
    if basic:
        client_id, secret = _basic_credentials(authorization or "")
        if form.get("client_id", client_id) != client_id:
            raise InvalidRequest("client_id does not match the Basic credentials.")
        return await _by_secret(client_id, secret, "client_secret_basic", driver, database)
    if post:
        client_id = form.get("client_id", "")
        if not client_id:
            raise InvalidRequest("client_secret_post needs client_id.")
        return await _by_secret(client_id, form["client_secret"], "client_secret_post",
                                driver, database)
    if assertion:
        return await _by_assertion(form, settings, driver, database, audiences)
    raise InvalidBasicClient("The client did not authenticate.")


async def _by_secret(client_id: str, secret: str, method: str, driver: neo4j.AsyncDriver,
                     database: str) -> AuthenticatedClient:
    failure = InvalidBasicClient() if method == "client_secret_basic" else InvalidClient()
    context = await store.client_context(driver, database, client_id) if client_id else None
    client = context.client if context else None
    stored = client.secret_hash if client and client.auth_method in SECRET_METHODS else None
    # Always run the slow hash (a dummy one for unknown ids): timing reveals nothing.
    ok = await asyncio.to_thread(verify_secret, secret, stored)
    if not ok or context is None or client is None or client.disabled:
        raise failure
    return AuthenticatedClient(context, method)


async def _by_assertion(form: Mapping[str, str], settings: Settings, driver: neo4j.AsyncDriver,
                        database: str, audiences: frozenset[str]) -> AuthenticatedClient:
    if form.get("client_assertion_type") != ASSERTION_TYPE:
        raise InvalidRequest(f"client_assertion_type must be {ASSERTION_TYPE}.")
    raw = form.get("client_assertion", "")
    try:
        jwt = jwtlib.parse(raw, settings.max_token_bytes)
        alg = jwtlib.check_header(jwt.header, typ=_ASSERTION_TYP, require_kid=False)
        client_id = jwtlib.string_claim(jwt.claims, "iss")
        if jwt.claims.get("sub") != client_id:
            raise jwtlib.TokenRejected("The assertion's sub must equal its iss.")
        if form.get("client_id", client_id) != client_id:
            raise jwtlib.TokenRejected("client_id does not match the assertion.")
        context = await store.client_context(driver, database, client_id)
        client = context.client if context else None
        if context is None or client is None or client.auth_method != JWT_METHOD \
                or not client.jwks or client.disabled:
            raise jwtlib.TokenRejected("Client authentication failed.")
        try:
            keys = parse_jwks(client.jwks)
        except InvalidInput:
            raise jwtlib.TokenRejected("Client authentication failed.") from None
        key = jwtlib.select_key(keys, jwt.header, alg)
        jwtlib.verify_signature(jwt, key, alg)
        if not jwtlib.audience_matches(jwt.claims, audiences):
            raise jwtlib.TokenRejected("The assertion's audience is wrong.")
        now = time.time()
        exp = jwtlib.check_times(jwt.claims, now, settings.token_leeway, require_iat=False)
        if exp - now > settings.assertion_max_lifetime:
            raise jwtlib.TokenRejected("The assertion's lifetime is too long.")
        jti = jwtlib.string_claim(jwt.claims, "jti")
    except jwtlib.TokenRejected as exc:
        raise InvalidClient(exc.reason) from None
    if not await store.consume_assertion_id(driver, database, client_id=client_id, jti=jti,
                                            expires_at=int(exp) + 1):
        raise InvalidClient("The assertion has been used before.")
    return AuthenticatedClient(context, JWT_METHOD)
