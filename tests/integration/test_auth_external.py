"""Tokens from a trusted external issuer (e.g. Keycloak): the JWKS is fetched from the
configured URL (a loopback HTTP server here), never from the token."""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import neo4j
import pytest
from joserfc import jwt
from joserfc.jwk import ECKey

from hub.settings import ExternalIssuer, Settings
from tests.integration.auth_fixtures import call_probe, register, serve, with_probe

IDP = "https://idp.example/realms/credit"


class JWKSServer:
    def __init__(self) -> None:
        self.keys: list[dict[str, Any]] = []
        self.hits = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.hits += 1
                body = json.dumps({"keys": outer.keys}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/certs"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)


@pytest.fixture
def jwks_server() -> Iterator[JWKSServer]:
    server = JWKSServer()
    server.thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()


@pytest.fixture
def external_hub(hub_settings: Settings, graph: neo4j.Driver, jwks_server: JWKSServer,
                 tmp_path: Any) -> Iterator[str]:
    settings = hub_settings.model_copy(update={
        "key_dir": tmp_path / "keys",
        "external_issuers": [ExternalIssuer(issuer=IDP, jwks_url=jwks_server.url,
                                            audience="credit-hub", party_claim="hub_party")]})
    with serve(with_probe(settings)) as url:
        yield url


def idp_token(key: ECKey, *, typ: str = "at+jwt", **claims: Any) -> str:
    now = int(time.time())
    body = {"iss": IDP, "aud": "credit-hub", "sub": "svc-account", "client_id": "kc-client",
            "iat": now, "exp": now + 300, "jti": secrets.token_urlsafe(8),
            "scope": "subject:read credit:admin", "hub_party": "association-1", **claims}
    return jwt.encode({"alg": "ES256", "typ": typ, "kid": key.kid}, body, key,
                      algorithms=["ES256"])


def test_external_issuer_tokens(external_hub: str, graph: neo4j.Driver,
                                jwks_server: JWKSServer) -> None:
    register(graph, "association")
    idp_key = ECKey.generate_key("P-256", parameters={"kid": "kc-1"})
    jwks_server.keys = [idp_key.as_dict(private=False)]

    ok = call_probe(external_hub, idp_token(idp_key))
    assert ok.status_code == 200, ok.text
    me = ok.json()
    assert me["party_id"] == "association-1" and me["issuer"] == IDP
    assert me["client_id"] == "kc-client"
    assert me["scopes"] == ["subject:read"], "capped by what the party type may hold"

    unknown_party = call_probe(external_hub, idp_token(idp_key, hub_party="nobody"))
    assert unknown_party.status_code == 401
    assert "not known" in unknown_party.json()["error_description"]
    assert call_probe(external_hub, idp_token(idp_key, typ="JWT")).status_code == 401
    assert call_probe(external_hub, idp_token(idp_key, aud="account")).status_code == 401

    # A rotated IdP key is picked up by re-fetching the configured URL on an unknown kid.
    hits = jwks_server.hits
    new_key = ECKey.generate_key("P-256", parameters={"kid": "kc-2"})
    jwks_server.keys.append(new_key.as_dict(private=False))
    assert call_probe(external_hub, idp_token(new_key)).status_code == 200
    assert jwks_server.hits == hits + 1
    # ... but not on every unknown kid (rate-limited), and never from a jku.
    stranger = ECKey.generate_key("P-256", parameters={"kid": "kc-3"})
    assert call_probe(external_hub, idp_token(stranger)).status_code == 401
    assert jwks_server.hits == hits + 1
