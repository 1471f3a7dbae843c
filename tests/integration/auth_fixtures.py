"""Shared fixtures and helpers for the trust-layer tests (import them into a test module).

``auth_hub`` runs the real app (plus a tiny protected probe route that calls
``hub.auth.authenticate``) under uvicorn against the clean test graph, with its own
key directory.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import neo4j
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from hub.auth import (
    BearerTokenError,
    authenticate,
    bearer_error_response,
    clear_caches,
    create_agreement,
    create_client,
    create_party,
    require_scopes,
)
from hub.auth.keys import KeyStore
from hub.settings import Settings
from tests.conftest import serve


async def probe(request: Request) -> Response:
    """A protected resource: who am I? ``?scope=x`` demands scope x."""
    try:
        principal = await authenticate(request)
        require_scopes(principal, *request.query_params.getlist("scope"))
    except BearerTokenError as exc:
        return bearer_error_response(exc)
    return JSONResponse({
        "party_id": principal.party_id, "party_type": principal.party_type,
        "client_id": principal.client_id, "scopes": sorted(principal.scopes),
        "token_id": principal.token_id, "jurisdictions": list(principal.jurisdictions),
        "platform_id": principal.platform_id, "association_id": principal.association_id,
        "expires_at": principal.expires_at.isoformat(), "issuer": principal.issuer,
    })


def with_probe(settings: Settings) -> Starlette:
    from hub.app import create_app

    app = create_app(settings)
    app.router.routes.append(Route("/probe", probe))
    return app


@pytest.fixture
def auth_settings(hub_settings: Settings, tmp_path: Path) -> Settings:
    return hub_settings.model_copy(update={"key_dir": tmp_path / "keys"})


@pytest.fixture
def key_store(auth_settings: Settings) -> KeyStore:
    return KeyStore.from_settings(auth_settings)


@pytest.fixture
def auth_hub(auth_settings: Settings, graph: neo4j.Driver) -> Iterator[str]:
    """The real app with a probe route, on the clean test graph."""
    clear_caches()
    with serve(with_probe(auth_settings)) as url:
        yield url
    clear_caches()


@dataclass(frozen=True)
class Registered:
    party_id: str
    client_id: str
    secret: str | None


def register(graph: neo4j.Driver, party_type: str = "regulator", *, party_id: str | None = None,
             scopes: list[str] | None = None, jwks: str | None = None,
             agreement: tuple[date, date] | None = None) -> Registered:
    """A party of ``party_type`` with one client (platforms get a current agreement)."""
    party_id = party_id or f"{party_type}-1"
    extra: dict[str, Any] = {
        "regulator": {"jurisdictions": ["510104"]},
        "platform": {"platform_id": f"plat-{party_id}"},
        "association": {"association_id": f"assoc-{party_id}"},
        "public": {},
    }[party_type]
    create_party(graph, party_id=party_id, party_type=party_type, name=f"{party_id} name",
                 **extra)
    if party_type == "platform":
        today = date.today()
        start, end = agreement or (today - timedelta(days=30), today + timedelta(days=365))
        create_agreement(graph, party_id=party_id, valid_from=start, valid_to=end)
    client_id, secret = create_client(graph, party_id, scopes, jwks=jwks)
    return Registered(party_id, client_id, secret)


def basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def get_token(url: str, reg: Registered, **form: str) -> httpx.Response:
    assert reg.secret is not None
    return httpx.post(f"{url}/oauth/token", data={"grant_type": "client_credentials", **form},
                      headers={"Authorization": basic(reg.client_id, reg.secret)})


def access_token(url: str, reg: Registered, **form: str) -> str:
    response = get_token(url, reg, **form)
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def call_probe(url: str, token: str | None, *scopes: str) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return httpx.get(f"{url}/probe", params=[("scope", s) for s in scopes], headers=headers)


def b64(data: bytes | dict[str, Any]) -> str:
    raw = json.dumps(data).encode() if isinstance(data, dict) else data
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_part(token: str, index: int) -> dict[str, Any]:
    part = token.split(".")[index]
    value: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return value
