"""The token endpoint (RFC 6749 §4.4, §5) and access-token validation (RFC 9068, RFC 6750)
end to end: the real app under uvicorn, the real Neo4j, and a protected probe route.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import httpx
import neo4j
import pytest
from joserfc import jws
from joserfc.jwk import ECKey

from hub.auth import clear_caches, disable_party, set_client_disabled
from hub.auth.keys import KeyStore
from hub.settings import Settings
from tests.integration.auth_fixtures import (
    access_token,
    auth_hub,
    auth_settings,
    b64,
    basic,
    call_probe,
    decode_part,
    get_token,
    key_store,
    register,
)

__all__ = ["auth_hub", "auth_settings", "key_store"]  # fixtures used below


def assert_oauth_error(response: httpx.Response, status: int, error: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"] == error
    assert response.headers["cache-control"] == "no-store"


def assert_invalid_token(response: httpx.Response, fragment: str = "") -> None:
    assert response.status_code == 401, response.text
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith("Bearer ") and 'error="invalid_token"' in challenge
    assert fragment.lower() in response.json()["error_description"].lower()


# -- the token endpoint --------------------------------------------------------------------
def test_client_secret_basic_token_validates(auth_hub: str, graph: neo4j.Driver,
                                             auth_settings: Settings) -> None:
    reg = register(graph, "regulator")
    response = get_token(auth_hub, reg)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 600
    header, claims = decode_part(body["access_token"], 0), decode_part(body["access_token"], 1)
    assert header["typ"] == "at+jwt" and header["alg"] == "ES256" and header["kid"]
    assert claims["iss"] == "http://127.0.0.1:8000" and claims["aud"] == "credit-hub"
    assert claims["sub"] == claims["client_id"] == reg.client_id
    assert claims["party"] == "regulator-1" and claims["party_type"] == "regulator"
    assert claims["exp"] - claims["iat"] == 600 and claims["nbf"] == claims["iat"]
    assert "credit:admin" in claims["scope"].split() and "store:write" not in claims["scope"]

    me = call_probe(auth_hub, body["access_token"])
    assert me.status_code == 200, me.text
    principal = me.json()
    assert principal["party_id"] == "regulator-1" and principal["jurisdictions"] == ["510104"]
    assert principal["client_id"] == reg.client_id and principal["token_id"] == claims["jti"]


def test_client_secret_post_and_scope_subset(auth_hub: str, graph: neo4j.Driver) -> None:
    reg = register(graph, "platform")
    assert reg.secret is not None
    response = httpx.post(f"{auth_hub}/oauth/token", data={
        "grant_type": "client_credentials", "client_id": reg.client_id,
        "client_secret": reg.secret, "scope": "compliance:read store:write"})
    assert response.status_code == 200, response.text
    assert response.json()["scope"] == "compliance:read store:write"
    me = call_probe(auth_hub, response.json()["access_token"]).json()
    assert me["party_type"] == "platform" and me["platform_id"] == "plat-platform-1"
    assert me["scopes"] == ["compliance:read", "store:write"]


def test_scope_beyond_the_client_is_invalid_scope(auth_hub: str, graph: neo4j.Driver) -> None:
    reg = register(graph, "public")
    assert_oauth_error(get_token(auth_hub, reg, scope="compliance:read credit:admin"),
                       400, "invalid_scope")
    assert_oauth_error(get_token(auth_hub, reg, scope="no-such-scope"), 400, "invalid_scope")


def test_other_grant_types_are_unsupported(auth_hub: str, graph: neo4j.Driver) -> None:
    reg = register(graph, "public")
    assert reg.secret is not None
    for grant in ("password", "authorization_code", "refresh_token"):
        response = httpx.post(f"{auth_hub}/oauth/token", data={"grant_type": grant},
                              headers={"Authorization": basic(reg.client_id, reg.secret)})
        assert_oauth_error(response, 400, "unsupported_grant_type")
    no_grant = httpx.post(f"{auth_hub}/oauth/token", data={},
                          headers={"Authorization": basic(reg.client_id, reg.secret)})
    assert_oauth_error(no_grant, 400, "invalid_request")
    json_body = httpx.post(f"{auth_hub}/oauth/token", json={"grant_type": "client_credentials"})
    assert_oauth_error(json_body, 400, "invalid_request")
    assert httpx.get(f"{auth_hub}/oauth/token").status_code == 405


def test_bad_client_secret(auth_hub: str, graph: neo4j.Driver) -> None:
    reg = register(graph, "regulator")
    wrong = httpx.post(f"{auth_hub}/oauth/token", data={"grant_type": "client_credentials"},
                       headers={"Authorization": basic(reg.client_id, "not-the-secret")})
    assert_oauth_error(wrong, 401, "invalid_client")
    assert wrong.headers["www-authenticate"].startswith("Basic ")
    assert "not-the-secret" not in wrong.text
    unknown = httpx.post(f"{auth_hub}/oauth/token", data={"grant_type": "client_credentials"},
                         headers={"Authorization": basic("nobody", "x")})
    assert unknown.json() == wrong.json(), "an unknown client looks like a wrong secret"
    post = httpx.post(f"{auth_hub}/oauth/token", data={
        "grant_type": "client_credentials", "client_id": reg.client_id, "client_secret": "x"})
    assert_oauth_error(post, 401, "invalid_client")
    assert reg.secret is not None
    both = httpx.post(f"{auth_hub}/oauth/token", data={
        "grant_type": "client_credentials", "client_id": reg.client_id,
        "client_secret": reg.secret}, headers={"Authorization": basic(reg.client_id, reg.secret)})
    assert_oauth_error(both, 400, "invalid_request")


def test_disabled_client_and_party(auth_hub: str, graph: neo4j.Driver) -> None:
    reg = register(graph, "association")
    other = register(graph, "public", party_id="public-2")
    token, other_token = access_token(auth_hub, reg), access_token(auth_hub, other)
    assert call_probe(auth_hub, token).status_code == 200

    set_client_disabled(graph, reg.client_id)
    clear_caches()
    assert_invalid_token(call_probe(auth_hub, token), "client is disabled")
    assert_oauth_error(get_token(auth_hub, reg), 401, "invalid_client")

    disable_party(graph, other.party_id)
    clear_caches()
    assert_invalid_token(call_probe(auth_hub, other_token), "party is disabled")
    assert_oauth_error(get_token(auth_hub, other), 400, "unauthorized_client")


def test_platform_agreement_governs_access(auth_hub: str, graph: neo4j.Driver) -> None:
    today = date.today()
    lapsed = register(graph, "platform", party_id="plat-old",
                      agreement=(today - timedelta(days=400), today - timedelta(days=35)))
    response = get_token(auth_hub, lapsed)
    assert_oauth_error(response, 400, "unauthorized_client")
    assert "agreement" in response.json()["error_description"]
    future = register(graph, "platform", party_id="plat-future",
                      agreement=(today + timedelta(days=3), today + timedelta(days=300)))
    assert_oauth_error(get_token(auth_hub, future), 400, "unauthorized_client")

    current = register(graph, "platform", party_id="plat-now")
    token = access_token(auth_hub, current)
    assert call_probe(auth_hub, token).status_code == 200
    graph.execute_query("MATCH (a:Agreement {party_id: 'plat-now'}) SET a.valid_to = $d",
                        d=today - timedelta(days=1))
    clear_caches()
    assert_invalid_token(call_probe(auth_hub, token), "agreement")


def test_insufficient_scope_is_403(auth_hub: str, graph: neo4j.Driver) -> None:
    reg = register(graph, "platform")
    token = access_token(auth_hub, reg, scope="compliance:read")
    assert call_probe(auth_hub, token, "compliance:read").status_code == 200
    response = call_probe(auth_hub, token, "compliance:read", "subjects:read")
    assert response.status_code == 403
    challenge = response.headers["www-authenticate"]
    assert 'error="insufficient_scope"' in challenge and "subjects:read" in challenge


def test_missing_or_foreign_credentials(auth_hub: str, graph: neo4j.Driver) -> None:
    response = call_probe(auth_hub, None)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer realm="credit-hub"'
    basic_auth = httpx.get(f"{auth_hub}/probe", headers={"Authorization": "Basic eDp5"})
    assert basic_auth.status_code == 401 and "error=" not in basic_auth.headers[
        "www-authenticate"]
    assert_invalid_token(call_probe(auth_hub, "not.a-token"))


# -- refused tokens --------------------------------------------------------------------------
Forge = Callable[[dict[str, Any], dict[str, Any], KeyStore], str]


def signed(header: dict[str, Any], claims: dict[str, Any], keys: KeyStore) -> str:
    key = keys.current()
    return jws.serialize_compact({**header, "alg": key.alg}, json.dumps(claims), key.key,
                                 algorithms=[key.alg])


def _with(header: dict[str, Any] | None = None, drop_header: str | None = None,
          **claims: Any) -> Forge:
    def forge(h: dict[str, Any], c: dict[str, Any], keys: KeyStore) -> str:
        new_h = {**h, **(header or {})}
        if drop_header:
            new_h.pop(drop_header)
        new_c = {**c, **claims}
        return signed(new_h, {k: v for k, v in new_c.items() if v is not None}, keys)
    return forge


def _alg_none(h: dict[str, Any], c: dict[str, Any], keys: KeyStore) -> str:
    return f"{b64({**h, 'alg': 'none'})}.{b64(c)}."


def _hs256_with_public_key(h: dict[str, Any], c: dict[str, Any], keys: KeyStore) -> str:
    public_pem = keys.current().key.as_pem(private=False)
    signing_input = f"{b64({**h, 'alg': 'HS256'})}.{b64(c)}"
    mac = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(mac)}"


def _other_key(h: dict[str, Any], c: dict[str, Any], keys: KeyStore) -> str:
    stranger = ECKey.generate_key("P-256")
    return jws.serialize_compact(h, json.dumps(c), stranger, algorithms=["ES256"])


def _embedded_jwk(h: dict[str, Any], c: dict[str, Any], keys: KeyStore) -> str:
    stranger = ECKey.generate_key("P-256")
    header = {**h, "jwk": stranger.as_dict(private=False)}
    return jws.serialize_compact(header, json.dumps(c), stranger,
                                 algorithms=["ES256"])


def _oversized(h: dict[str, Any], c: dict[str, Any], keys: KeyStore) -> str:
    return signed(h, {**c, "padding": "x" * 9000}, keys)


NOW = int(time.time())
REFUSALS: dict[str, tuple[Forge, str]] = {
    "alg none": (_alg_none, ""),
    "HS256 signed with the public key": (_hs256_with_public_key, "algorithm"),
    "missing typ": (_with(drop_header="typ"), "type"),
    "typ JWT (an ID token)": (_with(header={"typ": "JWT"}, nonce="n-0S6_WzA2Mj"), "type"),
    "wrong iss": (_with(iss="https://evil.example"), "issuer"),
    "wrong aud": (_with(aud="another-api"), "not meant"),
    "expired": (_with(exp=NOW - 120, iat=NOW - 720, nbf=NOW - 720), "expired"),
    "not yet valid": (_with(nbf=NOW + 3600, iat=NOW, exp=NOW + 4000), "not valid yet"),
    "no exp": (_with(exp=None), "exp"),
    "unknown kid": (_with(header={"kid": "no-such-key"}), "not known"),
    "no kid": (_with(drop_header="kid"), "key id"),
    "jku header": (_with(header={"jku": "https://evil.example/jwks"}), "jku"),
    "x5u header": (_with(header={"x5u": "https://evil.example/cert"}), "x5u"),
    "embedded jwk": (_embedded_jwk, ""),
    "signed by an unknown key": (_other_key, "signature"),
    "oversized": (_oversized, "too large"),
    "other party type": (_with(party_type="regulator"), "party type"),
}


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_refused_tokens(case: str, auth_hub: str, graph: neo4j.Driver,
                        key_store: KeyStore) -> None:
    reg = register(graph, "platform")
    genuine = access_token(auth_hub, reg)
    assert call_probe(auth_hub, genuine).status_code == 200
    forge, fragment = REFUSALS[case]
    forged = forge(decode_part(genuine, 0), decode_part(genuine, 1), key_store)
    assert_invalid_token(call_probe(auth_hub, forged), fragment)


def test_revoked_token(auth_hub: str, graph: neo4j.Driver) -> None:
    reg, other = register(graph, "regulator"), register(graph, "public", party_id="public-9")
    token, keep = access_token(auth_hub, reg), access_token(auth_hub, reg)
    assert reg.secret is not None and other.secret is not None
    stolen = httpx.post(f"{auth_hub}/oauth/revoke", data={"token": token},
                        headers={"Authorization": basic(other.client_id, other.secret)})
    assert_oauth_error(stolen, 400, "invalid_grant")
    assert call_probe(auth_hub, token).status_code == 200

    revoked = httpx.post(f"{auth_hub}/oauth/revoke",
                         data={"token": token, "token_type_hint": "access_token"},
                         headers={"Authorization": basic(reg.client_id, reg.secret)})
    assert revoked.status_code == 200 and revoked.headers["cache-control"] == "no-store"
    assert_invalid_token(call_probe(auth_hub, token), "revoked")
    assert call_probe(auth_hub, keep).status_code == 200
    stored, _, _ = graph.execute_query("MATCH (r:RevokedToken) RETURN r.jti AS jti, "
                                       "r.expires_at AS exp")
    assert [r["jti"] for r in stored] == [decode_part(token, 1)["jti"]]
    assert stored[0]["exp"] == decode_part(token, 1)["exp"]

    garbage = httpx.post(f"{auth_hub}/oauth/revoke", data={"token": "garbage"},
                         headers={"Authorization": basic(reg.client_id, reg.secret)})
    assert garbage.status_code == 200  # RFC 7009 §2.2
    anonymous = httpx.post(f"{auth_hub}/oauth/revoke", data={"token": keep})
    assert_oauth_error(anonymous, 401, "invalid_client")


# -- keys, JWKS, metadata ---------------------------------------------------------------------
def test_key_rotation(auth_hub: str, graph: neo4j.Driver, key_store: KeyStore) -> None:
    reg = register(graph, "regulator")
    old = access_token(auth_hub, reg)
    old_kid = decode_part(old, 0)["kid"]
    new_key = key_store.rotate()
    new = access_token(auth_hub, reg)
    assert decode_part(new, 0)["kid"] == new_key.kid != old_kid
    assert call_probe(auth_hub, old).status_code == 200
    assert call_probe(auth_hub, new).status_code == 200
    published = {k["kid"] for k in httpx.get(f"{auth_hub}/.well-known/jwks.json").json()["keys"]}
    assert published == {old_kid, new_key.kid}

    key_store.retire(old_kid)
    assert_invalid_token(call_probe(auth_hub, old), "not known")
    assert call_probe(auth_hub, new).status_code == 200
    published = {k["kid"] for k in httpx.get(f"{auth_hub}/.well-known/jwks.json").json()["keys"]}
    assert published == {new_key.kid}


def test_jwks_has_public_keys_only(auth_hub: str, key_store: KeyStore,
                                   auth_settings: Settings) -> None:
    key_store.current()  # the first (ES256) key
    key_store.rotate("RS256")
    response = httpx.get(f"{auth_hub}/.well-known/jwks.json")
    assert response.status_code == 200
    keys = response.json()["keys"]
    assert {k["kty"] for k in keys} == {"EC", "RSA"}
    for jwk in keys:
        assert not {"d", "p", "q", "dp", "dq", "qi", "k"} & set(jwk), jwk
        assert jwk["use"] == "sig" and jwk["kid"] and jwk["alg"] in ("ES256", "RS256")
    key_dir = auth_settings.key_dir
    assert key_dir is not None
    for path in key_dir.iterdir():
        assert path.stat().st_mode & 0o777 == 0o600
    assert key_dir.stat().st_mode & 0o777 == 0o700


def test_metadata_document(auth_hub: str) -> None:
    response = httpx.get(f"{auth_hub}/.well-known/oauth-authorization-server")
    assert response.status_code == 200
    meta = response.json()
    issuer = "http://127.0.0.1:8000"
    assert meta["issuer"] == issuer
    assert meta["token_endpoint"] == f"{issuer}/oauth/token"
    assert meta["jwks_uri"] == f"{issuer}/.well-known/jwks.json"
    assert meta["revocation_endpoint"] == f"{issuer}/oauth/revoke"
    assert meta["grant_types_supported"] == ["client_credentials"]
    assert set(meta["token_endpoint_auth_methods_supported"]) == {
        "client_secret_basic", "client_secret_post", "private_key_jwt"}
    assert "ES256" in meta["token_endpoint_auth_signing_alg_values_supported"]
    assert not any(a.startswith("HS") or a == "none"
                   for a in meta["token_endpoint_auth_signing_alg_values_supported"])
    assert len(meta["scopes_supported"]) == 13 and "credit:admin" in meta["scopes_supported"]
