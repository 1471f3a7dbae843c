"""RFC 6750 §3 challenges, scope checks and the RFC 8414 document (no database)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from hub.auth import InsufficientScope, InvalidToken, MissingToken, Principal, require_scopes
from hub.auth.clients import parse_jwks, resolve_scopes
from hub.auth.errors import InvalidClient, InvalidInput, www_authenticate
from hub.auth.resource import bearer_token
from hub.auth.server import metadata_document
from hub.settings import Settings


def principal(*scopes: str) -> Principal:
    return Principal(party_id="p", party_type="platform", client_id="c",
                     scopes=frozenset(scopes), token_id="t", jurisdictions=(),
                     platform_id="P", association_id=None, expires_at=datetime.now(UTC))


def test_www_authenticate() -> None:
    assert www_authenticate() == 'Bearer realm="credit-hub"'
    challenge = InvalidToken('The token has "expired".').www_authenticate()
    assert challenge == ('Bearer realm="credit-hub", error="invalid_token", '
                         'error_description="The token has expired."')
    assert MissingToken().headers()["WWW-Authenticate"] == 'Bearer realm="credit-hub"'
    assert InvalidClient().body() == {"error": "invalid_client",
                                      "error_description": "Client authentication failed."}


def test_require_scopes() -> None:
    require_scopes(principal("a", "b"), "a")
    require_scopes(principal("a"))
    with pytest.raises(InsufficientScope) as raised:
        require_scopes(principal("a"), "a", "b")
    assert raised.value.status_code == 403
    assert 'scope="a b"' in raised.value.www_authenticate()


def test_bearer_token_parsing() -> None:
    assert bearer_token("Bearer abc") == "abc"
    assert bearer_token("bearer  abc ") == "abc"
    for missing in (None, "", "Basic abc", "Token abc"):
        with pytest.raises(MissingToken):
            bearer_token(missing)
    for malformed in ("Bearer", "Bearer a b"):
        with pytest.raises(InvalidToken):
            bearer_token(malformed)


def test_metadata_document() -> None:
    doc = metadata_document(Settings(issuer="https://hub.example/"))
    assert doc["issuer"] == "https://hub.example"
    assert doc["token_endpoint"] == "https://hub.example/oauth/token"
    assert doc["grant_types_supported"] == ["client_credentials"]


def test_client_registration_checks() -> None:
    assert resolve_scopes("public", None) == {"compliance:read"}
    with pytest.raises(InvalidInput):
        resolve_scopes("public", [])
    with pytest.raises(InvalidInput, match="asymmetric"):
        parse_jwks('{"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}')
    with pytest.raises(InvalidInput, match="JSON"):
        parse_jwks("not json")
