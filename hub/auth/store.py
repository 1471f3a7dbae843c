"""The trust layer's graph reads and writes on the request path (async driver).

Client lookup for the token endpoint (RFC 6749 §2.3), the party/client/agreement status
behind every access token, revoked token ids (RFC 7009 §2.1: kept until the token would
have expired) and used assertion ids (RFC 7523 §3: a ``jti`` is accepted once).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import neo4j

from hub.auth.clients import Client, client_from_map
from hub.auth.parties import Agreement, Party, agreement_from_map, party_from_map

_PRUNE_LIMIT = 1000


@dataclass(frozen=True)
class PartyContext:
    """A party with one of its clients (if asked for) and its agreements."""

    party: Party
    client: Client | None = None
    agreements: tuple[Agreement, ...] = field(default_factory=tuple)


async def client_context(driver: neo4j.AsyncDriver, database: str,
                         client_id: str) -> PartyContext | None:
    """The client, its party and the party's agreements; ``None`` if any is missing."""
    records, _, _ = await driver.execute_query(
        """
        MATCH (c:Client {client_id: $client_id})
        MATCH (p:Party {id: c.party_id})
        OPTIONAL MATCH (a:Agreement {party_id: p.id})
        RETURN c {.*} AS client, p {.*} AS party, collect(a {.*}) AS agreements
        """,
        client_id=client_id, database_=database, routing_=neo4j.RoutingControl.READ)
    if not records:
        return None
    row = records[0]
    return PartyContext(party_from_map(row["party"]), client_from_map(row["client"]),
                        tuple(agreement_from_map(a) for a in row["agreements"]))


async def party_context(driver: neo4j.AsyncDriver, database: str, party_id: str,
                        client_id: str | None) -> PartyContext | None:
    """The party, the named client (when it is registered here) and the agreements."""
    records, _, _ = await driver.execute_query(
        """
        MATCH (p:Party {id: $party_id})
        OPTIONAL MATCH (c:Client {client_id: $client_id})
        OPTIONAL MATCH (a:Agreement {party_id: p.id})
        RETURN p {.*} AS party, c {.*} AS client, collect(a {.*}) AS agreements
        """,
        party_id=party_id, client_id=client_id, database_=database,
        routing_=neo4j.RoutingControl.READ)
    if not records:
        return None
    row = records[0]
    client = client_from_map(row["client"]) if row["client"] else None
    return PartyContext(party_from_map(row["party"]), client,
                        tuple(agreement_from_map(a) for a in row["agreements"]))


async def is_revoked(driver: neo4j.AsyncDriver, database: str, jti: str) -> bool:
    records, _, _ = await driver.execute_query(
        "RETURN EXISTS { MATCH (:RevokedToken {jti: $jti}) } AS revoked",
        jti=jti, database_=database, routing_=neo4j.RoutingControl.READ)
    return bool(records[0]["revoked"])


async def live_revocations(driver: neo4j.AsyncDriver, database: str) -> set[str]:
    """The ids of revoked tokens that have not expired yet (a small set: tokens are
    short-lived and revocations are pruned at expiry)."""
    records, _, _ = await driver.execute_query(
        "MATCH (r:RevokedToken) WHERE r.expires_at >= $now RETURN collect(r.jti) AS jtis",
        now=int(time.time()), database_=database, routing_=neo4j.RoutingControl.READ)
    return {str(j) for j in records[0]["jtis"]}


async def revoke(driver: neo4j.AsyncDriver, database: str, *, jti: str, client_id: str,
                 expires_at: int) -> None:
    """Record a revoked token id until the token's own expiry; prune expired records."""
    now = int(time.time())
    await driver.execute_query(
        "MERGE (r:RevokedToken {jti: $jti}) "
        "ON CREATE SET r.client_id = $client_id, r.expires_at = $expires_at, r.revoked_at = $now",
        jti=jti, client_id=client_id, expires_at=expires_at, now=now, database_=database)
    await driver.execute_query(
        "MATCH (r:RevokedToken) WHERE r.expires_at < $now "
        "WITH r LIMIT $limit DELETE r", now=now, limit=_PRUNE_LIMIT, database_=database)


async def consume_assertion_id(driver: neo4j.AsyncDriver, database: str, *, client_id: str,
                               jti: str, expires_at: int) -> bool:
    """Record an assertion's ``jti``; ``False`` if this client already used it (a replay)."""
    now = int(time.time())
    try:
        await driver.execute_query(
            "CREATE (:UsedAssertion {key: $key, client_id: $client_id, expires_at: $exp})",
            key=f"{client_id} {jti}", client_id=client_id, exp=expires_at, database_=database)
    except neo4j.exceptions.ConstraintError:
        # An expired record may linger until pruned; a replay after expiry is refused anyway
        # by the exp check, so a conflict is always a replay.
        return False
    await driver.execute_query(
        "MATCH (u:UsedAssertion) WHERE u.expires_at < $now WITH u LIMIT $limit DELETE u",
        now=now, limit=_PRUNE_LIMIT, database_=database)
    return True
