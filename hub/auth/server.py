"""The built-in authorization server's HTTP endpoints.

- ``POST /oauth/token``: RFC 6749 §4.4 (client credentials grant only), responses per §5.1,
  errors per §5.2 (JSON, ``Cache-Control: no-store``).
- ``POST /oauth/revoke``: RFC 7009 (a client revokes its own access tokens by ``jti``).
- ``GET /.well-known/jwks.json``: RFC 7517 §5, public keys only.
- ``GET /.well-known/oauth-authorization-server``: RFC 8414 §2 metadata.
"""

from __future__ import annotations

import logging
import math
import time
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from hub.auth import jwt as jwtlib
from hub.auth import store
from hub.auth.client_auth import InvalidBasicClient, authenticate_client
from hub.auth.errors import (
    InvalidGrant,
    InvalidRequest,
    InvalidScope,
    OAuth2Error,
    SlowDown,
    UnauthorizedClient,
    UnsupportedGrantType,
)
from hub.auth.keys import KeyStore
from hub.auth.parties import agreement_in_force, needs_agreement, today_in
from hub.auth.resource import Authenticator, authenticator_for
from hub.auth.scopes import SCOPES, format_scope, parse_scope
from hub.auth.throttle import TokenThrottle, claimed_client_id, parse_networks, source_address
from hub.auth.tokens import (
    ACCESS_TOKEN_TYP,
    issue_access_token,
    issuer,
    jwks_uri,
    revocation_endpoint,
    token_endpoint,
)
from hub.settings import Settings

log = logging.getLogger("hub.auth")
MAX_FORM_BYTES = 64 * 1024
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
AUTH_METHODS = ["client_secret_basic", "client_secret_post", "private_key_jwt"]
ASSERTION_ALGS = sorted(jwtlib.ALLOWED_ALGS)


def _error(exc: OAuth2Error, extra: dict[str, str] | None = None) -> JSONResponse:
    headers = dict(NO_STORE) | (extra or {})
    if isinstance(exc, InvalidBasicClient):
        headers["WWW-Authenticate"] = 'Basic realm="credit-hub", charset="UTF-8"'
    return JSONResponse(exc.body(), status_code=exc.http_status, headers=headers)


def _throttle(request: Request, settings: Settings) -> TokenThrottle:
    """This app's token throttle (one per app and worker, made on first use)."""
    throttle: TokenThrottle | None = getattr(request.app.state, "token_throttle", None)
    if throttle is None:
        throttle = TokenThrottle(client_per_minute=settings.token_rate_per_minute,
                                 client_burst=settings.token_burst,
                                 address_per_minute=settings.token_address_rate_per_minute,
                                 address_burst=settings.token_address_burst,
                                 size=settings.token_throttle_size)
        request.app.state.token_throttle = throttle
        request.app.state.trusted_proxies = parse_networks(settings.trusted_proxies)
    return throttle


def _throttled(request: Request, settings: Settings, form: dict[str, str]) -> Response | None:
    """429 + Retry-After when the claimed client or the address is over its rate; this
    runs before any secret is checked (scrypt is the cost being protected)."""
    throttle = _throttle(request, settings)
    address = source_address(request.client.host if request.client else None,
                             request.headers.get("x-forwarded-for"),
                             request.app.state.trusted_proxies)
    client_id = claimed_client_id(request.headers.get("authorization"), form)
    wait = throttle.take(client_id, address)
    if not wait:
        return None
    seconds = max(1, math.ceil(wait))
    log.warning("token request throttled", extra={"client_id": client_id, "address": address})
    return _error(SlowDown(f"Too many token requests; retry after {seconds} s."),
                  {"Retry-After": str(seconds)})


async def _form(request: Request) -> dict[str, str]:
    """The urlencoded body; a parameter sent twice is refused (RFC 6749 §3.2)."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        raise InvalidRequest("The body must be application/x-www-form-urlencoded.")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise InvalidRequest("The request body is too large.")
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False,
                          max_num_fields=50)
    except (UnicodeDecodeError, ValueError):
        raise InvalidRequest("The request body cannot be parsed.") from None
    form: dict[str, str] = {}
    for name, value in pairs:
        if name in form:
            raise InvalidRequest(f"The parameter {name!r} is repeated.")
        form[name] = value
    return form


def _authenticator(request: Request) -> Authenticator:
    return authenticator_for(request)


async def token(request: Request) -> Response:
    """Issue an access token to an authenticated client (client_credentials)."""
    auth = _authenticator(request)
    settings = auth.settings
    try:
        form = await _form(request)
        refused = _throttled(request, settings, form)
        if refused is not None:
            return refused
        grant = form.get("grant_type")
        if not grant:
            raise InvalidRequest("grant_type is missing.")
        if grant != "client_credentials":
            raise UnsupportedGrantType()
        client = await authenticate_client(
            request.headers.get("authorization"), form, settings=settings, driver=auth.driver,
            database=auth.database,
            audiences=frozenset({token_endpoint(settings), issuer(settings)}))
        context = client.context
        assert context.client is not None
        party = context.party
        if party.disabled:
            raise UnauthorizedClient("The client's party is disabled.")
        if needs_agreement(party) and not agreement_in_force(
                context.agreements, today_in(settings.agreement_timezone)):
            raise UnauthorizedClient("The party's cooperation agreement is not in force.")
        allowed = context.client.scopes
        requested = parse_scope(form.get("scope"))
        if "scope" in form and not requested:
            raise InvalidScope("The scope parameter is empty.")
        if requested - allowed:
            raise InvalidScope("The requested scope exceeds the client's scopes: "
                               + format_scope(requested - allowed))
        granted = requested or allowed
        access_token, claims = issue_access_token(auth.keys, settings,
                                                  client_id=client.client_id, party=party,
                                                  scopes=granted)
    except OAuth2Error as exc:
        log.info("token refused", extra={"error": exc.error, "reason": exc.description})
        return _error(exc)
    log.info("token issued", extra={"client_id": client.client_id, "party": party.id,
                                    "jti": claims["jti"], "method": client.method})
    return JSONResponse({"access_token": access_token, "token_type": "Bearer",
                         "expires_in": settings.token_ttl, "scope": claims["scope"]},
                        headers=NO_STORE)


async def revoke(request: Request) -> Response:
    """RFC 7009 §2: revoke one of the calling client's own access tokens."""
    auth = _authenticator(request)
    settings = auth.settings
    try:
        form = await _form(request)
        refused = _throttled(request, settings, form)
        if refused is not None:
            return refused
        client = await authenticate_client(
            request.headers.get("authorization"), form, settings=settings, driver=auth.driver,
            database=auth.database,
            audiences=frozenset({token_endpoint(settings), issuer(settings),
                                 revocation_endpoint(settings)}))
        value = form.get("token")
        if not value:
            raise InvalidRequest("token is missing.")
        claims = _own_token_claims(auth.keys, settings, value)
        if claims is None:
            return Response(status_code=200, headers=NO_STORE)  # §2.2: invalid tokens are OK
        if claims.get("client_id") != client.client_id:
            raise InvalidGrant("The token was not issued to this client.")
        exp = claims.get("exp")
        if isinstance(exp, int) and exp > time.time():
            await store.revoke(auth.driver, auth.database, jti=str(claims["jti"]),
                               client_id=client.client_id, expires_at=exp)
            auth.note_revoked(str(claims["jti"]))  # this process refuses it at once
            log.info("token revoked", extra={"client_id": client.client_id,
                                             "jti": claims["jti"]})
    except OAuth2Error as exc:
        return _error(exc)
    return Response(status_code=200, headers=NO_STORE)


def _own_token_claims(keys: KeyStore, settings: Settings, value: str) -> dict[str, Any] | None:
    """The claims of an access token this hub signed (expired or not), else ``None``."""
    try:
        jwt = jwtlib.parse(value, settings.max_token_bytes)
        alg = jwtlib.check_header(jwt.header, typ=frozenset[str | None]({ACCESS_TOKEN_TYP}),
                                  require_kid=True)
        signing = keys.get(jwt.header["kid"])
        if signing is None or jwt.claims.get("iss") != issuer(settings):
            return None
        if signing.alg != alg:
            return None
        jwtlib.verify_signature(jwt, signing.key, alg)
        jwtlib.string_claim(jwt.claims, "jti")
    except jwtlib.TokenRejected:
        return None
    return jwt.claims


async def jwks(request: Request) -> Response:
    """The public signing keys (never a private member)."""
    keys = _authenticator(request).keys
    keys.current()  # make sure there is one to publish
    return JSONResponse(keys.jwks(), headers={"Cache-Control": "public, max-age=60"})


def metadata_document(settings: Settings) -> dict[str, Any]:
    """RFC 8414 §2 authorization server metadata."""
    return {
        "issuer": issuer(settings),
        "token_endpoint": token_endpoint(settings),
        "jwks_uri": jwks_uri(settings),
        "revocation_endpoint": revocation_endpoint(settings),
        "grant_types_supported": ["client_credentials"],
        "response_types_supported": [],
        "token_endpoint_auth_methods_supported": AUTH_METHODS,
        "token_endpoint_auth_signing_alg_values_supported": ASSERTION_ALGS,
        "revocation_endpoint_auth_methods_supported": AUTH_METHODS,
        "revocation_endpoint_auth_signing_alg_values_supported": ASSERTION_ALGS,
        "scopes_supported": sorted(SCOPES),
    }


async def metadata(request: Request) -> Response:
    return JSONResponse(metadata_document(_authenticator(request).settings),
                        headers={"Cache-Control": "public, max-age=300"})


def auth_routes(settings: Settings | None = None) -> list[BaseRoute]:
    """The authorization server's routes, for ``create_app``.

    With ``settings`` the key configuration is checked now (fail fast at start-up).
    """
    if settings is not None:
        KeyStore.from_settings(settings)
    return [
        Route("/oauth/token", token, methods=["POST"]),
        Route("/oauth/revoke", revoke, methods=["POST"]),
        Route("/.well-known/jwks.json", jwks, methods=["GET"]),
        Route("/.well-known/oauth-authorization-server", metadata, methods=["GET"]),
    ]
