"""private_key_jwt client authentication (RFC 7523 §2.2, §3) at the real token endpoint."""

from __future__ import annotations

import json
import secrets
import time
from typing import Any

import httpx
import neo4j
import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

from hub.auth.client_auth import ASSERTION_TYPE
from hub.auth.errors import InvalidInput
from tests.integration.auth_fixtures import (
    auth_hub,
    auth_settings,
    call_probe,
    register,
)

__all__ = ["auth_hub", "auth_settings"]
TOKEN_URL = "http://127.0.0.1:8000/oauth/token"


def assertion(key: Any, client_id: str, *, alg: str = "ES256", aud: str = TOKEN_URL,
              lifetime: int = 60, jti: str | None = None, **extra: Any) -> str:
    now = int(time.time())
    claims = {"iss": client_id, "sub": client_id, "aud": aud, "iat": now,
              "exp": now + lifetime, "jti": jti or secrets.token_urlsafe(12), **extra}
    return jwt.encode({"alg": alg, "kid": key.kid}, claims, key, algorithms=[alg])


def request_token(url: str, value: str, **form: str) -> httpx.Response:
    return httpx.post(f"{url}/oauth/token", data={
        "grant_type": "client_credentials", "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": value, **form})


@pytest.fixture
def client_key() -> ECKey:
    return ECKey.generate_key("P-256", parameters={"kid": "client-key-1"})


def jwks_of(*keys: Any) -> str:
    return json.dumps({"keys": [k.as_dict(private=False) for k in keys]})


def test_private_key_jwt_token(auth_hub: str, graph: neo4j.Driver, client_key: ECKey) -> None:
    rsa = RSAKey.generate_key(2048, parameters={"kid": "client-key-2"})
    reg = register(graph, "association", jwks=jwks_of(client_key, rsa))
    assert reg.secret is None
    response = request_token(auth_hub, assertion(client_key, reg.client_id),
                             scope="evaluation:read")
    assert response.status_code == 200, response.text
    me = call_probe(auth_hub, response.json()["access_token"]).json()
    assert me["party_id"] == "association-1" and me["scopes"] == ["evaluation:read"]
    # The issuer is an accepted audience too (RFC 7523bis), and RS256 keys work.
    issuer_aud = assertion(rsa, reg.client_id, alg="RS256", aud="http://127.0.0.1:8000")
    assert request_token(auth_hub, issuer_aud).status_code == 200


def test_replayed_jti_is_refused(auth_hub: str, graph: neo4j.Driver, client_key: ECKey) -> None:
    reg = register(graph, "association", jwks=jwks_of(client_key))
    value = assertion(client_key, reg.client_id, jti="once-only")
    assert request_token(auth_hub, value).status_code == 200
    replay = request_token(auth_hub, value)
    assert replay.status_code == 401 and replay.json()["error"] == "invalid_client"
    assert "used before" in replay.json()["error_description"]
    fresh_same_jti = assertion(client_key, reg.client_id, jti="once-only", lifetime=90)
    assert request_token(auth_hub, fresh_same_jti).status_code == 401


@pytest.mark.parametrize(("case", "fragment"), [
    ("wrong aud", "audience"),
    ("unregistered key", "signature"),
    ("unknown kid", "not known"),
    ("long lifetime", "lifetime"),
    ("expired", "expired"),
    ("no exp", "exp"),
    ("no jti", "jti"),
    ("sub differs", "sub"),
    ("access token typ", "type"),
    ("jku header", "jku"),
])
def test_bad_assertions(case: str, fragment: str, auth_hub: str, graph: neo4j.Driver,
                        client_key: ECKey) -> None:
    reg = register(graph, "association", jwks=jwks_of(client_key))
    cid = reg.client_id
    stranger = ECKey.generate_key("P-256", parameters={"kid": "client-key-1"})
    now = int(time.time())
    base = {"iss": cid, "sub": cid, "aud": TOKEN_URL, "iat": now, "exp": now + 60,
            "jti": secrets.token_urlsafe(8)}
    header: dict[str, Any] = {"alg": "ES256", "kid": "client-key-1"}
    key: Any = client_key
    claims: dict[str, Any] = dict(base)
    if case == "wrong aud":
        claims["aud"] = "https://elsewhere.example/token"
    elif case == "unregistered key":
        key = stranger
    elif case == "unknown kid":
        header["kid"] = "nope"
    elif case == "long lifetime":
        claims["exp"] = now + 3600
    elif case == "expired":
        claims.update(iat=now - 600, exp=now - 300)
    elif case == "no exp":
        del claims["exp"]
    elif case == "no jti":
        del claims["jti"]
    elif case == "sub differs":
        claims["sub"] = "someone-else"
    elif case == "access token typ":
        header["typ"] = "at+jwt"
    elif case == "jku header":
        header["jku"] = "https://evil.example/jwks.json"
    value = jwt.encode(header, claims, key, algorithms=["ES256"])
    response = request_token(auth_hub, value)
    assert response.status_code == 401, response.text
    assert response.json()["error"] == "invalid_client"
    assert fragment in response.json()["error_description"]


def test_secret_client_cannot_use_assertions_and_vice_versa(
        auth_hub: str, graph: neo4j.Driver, client_key: ECKey) -> None:
    jwt_client = register(graph, "association", jwks=jwks_of(client_key))
    secret_client = register(graph, "public")
    value = assertion(client_key, secret_client.client_id)
    assert request_token(auth_hub, value).json()["error"] == "invalid_client"
    post = httpx.post(f"{auth_hub}/oauth/token", data={
        "grant_type": "client_credentials", "client_id": jwt_client.client_id,
        "client_secret": ""})
    assert post.status_code == 401
    wrong_type = request_token(auth_hub, assertion(client_key, jwt_client.client_id),
                               client_assertion_type="urn:example:other")
    assert wrong_type.json()["error"] == "invalid_request"


def test_private_keys_are_not_registered(graph: neo4j.Driver, client_key: ECKey) -> None:
    register(graph, "public")
    with pytest.raises(InvalidInput, match="private"):
        register(graph, "association", party_id="assoc-x",
                 jwks=json.dumps({"keys": [client_key.as_dict(private=True)]}))
