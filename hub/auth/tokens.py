"""Access tokens as JWTs, RFC 9068 (JWT Profile for OAuth 2.0 Access Tokens).

Header: ``typ: at+jwt`` (§2.1) and ``kid``. Claims (§2.2): ``iss``, ``aud``, ``exp``,
``iat``, ``nbf``, ``jti``, ``sub`` and ``client_id`` (the client, for client_credentials),
``scope`` (space-separated), plus the hub's own ``party`` and ``party_type``: the party is
stated, never inferred from ``sub``.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from joserfc import jwt

from hub.auth.keys import KeyStore
from hub.auth.parties import Party
from hub.auth.scopes import format_scope
from hub.settings import Settings

ACCESS_TOKEN_TYP = "at+jwt"  # noqa: S105 - a media type, not a secret


def issuer(settings: Settings) -> str:
    return settings.issuer.rstrip("/")


def token_endpoint(settings: Settings) -> str:
    return issuer(settings) + "/oauth/token"


def revocation_endpoint(settings: Settings) -> str:
    return issuer(settings) + "/oauth/revoke"


def jwks_uri(settings: Settings) -> str:
    return issuer(settings) + "/.well-known/jwks.json"


def issue_access_token(keys: KeyStore, settings: Settings, *, client_id: str, party: Party,
                       scopes: frozenset[str], now: int | None = None,
                       ttl: int | None = None) -> tuple[str, dict[str, Any]]:
    """Sign a new access token with the current key; returns the token and its claims."""
    key = keys.current()
    issued = int(time.time()) if now is None else now
    claims: dict[str, Any] = {
        "iss": issuer(settings),
        "aud": settings.audience,
        "sub": client_id,
        "client_id": client_id,
        "iat": issued,
        "nbf": issued,
        "exp": issued + (settings.token_ttl if ttl is None else ttl),
        "jti": secrets.token_urlsafe(16),
        "scope": format_scope(scopes),
        "party": party.id,
        "party_type": party.type,
    }
    header = {"alg": key.alg, "typ": ACCESS_TOKEN_TYP, "kid": key.kid}
    token = jwt.encode(header, claims, key.key, algorithms=[key.alg])
    return token, claims
