"""OAuth clients of parties (RFC 6749 §2): registration, secrets, JWKS, disabling.

A client authenticates either with a secret (``client_secret_basic`` / ``client_secret_post``,
RFC 6749 §2.3.1; only a slow salted hash is stored) or with a signed assertion
(``private_key_jwt``, RFC 7523 §2.2) verified against the public JWKS registered here.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import neo4j
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from hub.auth.errors import InvalidInput, NotFound
from hub.auth.hashing import hash_secret, new_secret
from hub.auth.parties import _native, as_party_type, get_party
from hub.auth.scopes import DEFAULT_SCOPES, PERMITTED_SCOPES, SCOPES

SECRET_METHODS = ("client_secret_basic", "client_secret_post")
JWT_METHOD = "private_key_jwt"
AUTH_METHODS = (*SECRET_METHODS, JWT_METHOD)
_PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
_ASYMMETRIC = frozenset({"EC", "RSA", "OKP"})


@dataclass(frozen=True)
class Client:
    client_id: str
    party_id: str
    scopes: frozenset[str]
    auth_method: str
    disabled: bool = False
    created_at: datetime | None = None
    jwks: str | None = None
    secret_hash: str | None = field(default=None, repr=False)


def client_from_map(data: Mapping[str, Any]) -> Client:
    return Client(client_id=data["client_id"], party_id=data["party_id"],
                  scopes=frozenset(data.get("scopes") or ()),
                  auth_method=data.get("auth_method") or "client_secret_basic",
                  disabled=bool(data.get("disabled")), created_at=_native(data.get("created_at")),
                  jwks=data.get("jwks"), secret_hash=data.get("secret_hash"))


def parse_jwks(text: str) -> KeySet:
    """A client's public JWK Set; private members or symmetric keys are refused."""
    try:
        data = json.loads(text)
    except ValueError:
        raise InvalidInput("The JWKS is not valid JSON.") from None
    if isinstance(data, dict) and "kty" in data:
        data = {"keys": [data]}
    keys = data.get("keys") if isinstance(data, dict) else None
    if not isinstance(keys, list) or not keys:
        raise InvalidInput("The JWKS must be an object with a non-empty \"keys\" list.")
    for jwk in keys:
        if not isinstance(jwk, dict) or jwk.get("kty") not in _ASYMMETRIC:
            raise InvalidInput("Every JWKS key must be an asymmetric (EC, RSA, OKP) public key.")
        if _PRIVATE_MEMBERS & set(jwk):
            raise InvalidInput("The JWKS contains a private key.",
                               "Register only the public half; keep the private key yourself.")
    if len(keys) > 1 and not all(isinstance(k.get("kid"), str) and k["kid"] for k in keys):
        raise InvalidInput("With more than one key, every key needs a \"kid\".")
    try:
        return KeySet.import_key_set(data)
    except (JoseError, ValueError, TypeError) as exc:
        raise InvalidInput(f"The JWKS cannot be read: {type(exc).__name__}.") from None


def resolve_scopes(party_type: str, scopes: Iterable[str] | None) -> frozenset[str]:
    """The client's allowed scopes: the given ones (checked) or the party type's defaults."""
    kind = as_party_type(party_type)
    if scopes is None:
        return DEFAULT_SCOPES[kind]
    chosen = frozenset(scopes)
    unknown = sorted(chosen - set(SCOPES))
    if unknown:
        raise InvalidInput(f"Unknown scope {unknown[0]!r}.",
                           f"Known scopes: {', '.join(sorted(SCOPES))}.")
    beyond = sorted(chosen - PERMITTED_SCOPES[kind])
    if beyond:
        raise InvalidInput(f"A {kind} party may not hold scope {beyond[0]!r}.",
                           f"Permitted: {', '.join(sorted(PERMITTED_SCOPES[kind]))}.")
    if not chosen:
        raise InvalidInput("A client needs at least one scope.")
    return chosen


def create_client(driver: neo4j.Driver, party_id: str, scopes: Iterable[str] | None = None, *,
                  jwks: str | None = None, client_id: str | None = None,
                  database: str = "neo4j") -> tuple[str, str | None]:
    """Register a client of ``party_id``; returns ``(client_id, secret)``.

    The secret is returned once and never stored (only its scrypt hash is). With ``jwks``
    (a JSON JWK Set of public keys) the client uses ``private_key_jwt`` and has no secret.
    """
    party = get_party(driver, party_id, database=database)
    if party.disabled:
        raise InvalidInput(f"Party {party_id!r} is disabled.")
    allowed = resolve_scopes(party.type, scopes)
    client_id = client_id or f"hub-{secrets.token_hex(8)}"
    secret: str | None
    if jwks is not None:
        parse_jwks(jwks)
        secret, secret_hash, method = None, None, JWT_METHOD
    else:
        secret = new_secret()
        secret_hash, method = hash_secret(secret), "client_secret_basic"
    try:
        records, _, _ = driver.execute_query(
            """
            MATCH (p:Party {id: $party_id})
            CREATE (c:Client {client_id: $client_id, party_id: $party_id, scopes: $scopes,
                              auth_method: $method, disabled: false, created_at: $now})
            SET c.secret_hash = $secret_hash, c.jwks = $jwks
            CREATE (c)-[:OF]->(p)
            RETURN c.client_id AS client_id
            """,
            party_id=party_id, client_id=client_id, scopes=sorted(allowed), method=method,
            now=datetime.now(UTC), secret_hash=secret_hash, jwks=jwks, database_=database)
    except neo4j.exceptions.ConstraintError:
        raise InvalidInput(f"Client id {client_id!r} is already taken.") from None
    if not records:
        raise NotFound(f"No party {party_id!r}.")
    return client_id, secret


def get_client(driver: neo4j.Driver, client_id: str, *, database: str = "neo4j") -> Client:
    records, _, _ = driver.execute_query(
        "MATCH (c:Client {client_id: $id}) RETURN c {.*} AS client", id=client_id,
        database_=database, routing_=neo4j.RoutingControl.READ)
    if not records:
        raise NotFound(f"No client {client_id!r}.", "List clients with `hub client list`.")
    return client_from_map(records[0]["client"])


def list_clients(driver: neo4j.Driver, party_id: str | None = None, *,
                 database: str = "neo4j") -> list[Client]:
    records, _, _ = driver.execute_query(
        "MATCH (c:Client) WHERE $party_id IS NULL OR c.party_id = $party_id "
        "RETURN c {.*} AS client ORDER BY c.party_id, c.client_id",
        party_id=party_id, database_=database, routing_=neo4j.RoutingControl.READ)
    return [client_from_map(r["client"]) for r in records]


def set_client_disabled(driver: neo4j.Driver, client_id: str, disabled: bool = True, *,
                        database: str = "neo4j") -> Client:
    """Disable (or re-enable) a client: no new tokens, and its live tokens are refused."""
    records, _, _ = driver.execute_query(
        "MATCH (c:Client {client_id: $id}) SET c.disabled = $disabled RETURN c {.*} AS client",
        id=client_id, disabled=disabled, database_=database)
    if not records:
        raise NotFound(f"No client {client_id!r}.", "List clients with `hub client list`.")
    return client_from_map(records[0]["client"])


def disable_client(driver: neo4j.Driver, client_id: str, *, database: str = "neo4j") -> Client:
    return set_client_disabled(driver, client_id, True, database=database)
