"""Parties and their cooperation agreements: the principals the hub issues tokens to.

A party is a regulator (with jurisdictions: GB/T 2260 division codes), a platform (linked to
its ``:Platform``), an association (linked to its ``:Association``) or the public. A
platform's access rests on its cooperation agreement 政企合作协议: outside every agreement's
validity period its clients get no tokens and its tokens are refused.

This is the Python API the ``hub party`` / ``hub agreement`` commands call; it uses the sync
driver with managed transactions.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import neo4j

from hub.auth.errors import Conflict, InvalidInput, NotFound
from hub.auth.scopes import PARTY_TYPES, PartyType

DIVISION_CODE = re.compile(r"^\d{6}$")
PARTY_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$")


@dataclass(frozen=True)
class Party:
    id: str
    type: PartyType
    name: str
    jurisdictions: tuple[str, ...] = ()
    platform_id: str | None = None
    association_id: str | None = None
    disabled: bool = False
    created_at: datetime | None = None


@dataclass(frozen=True)
class Agreement:
    id: str
    party_id: str
    valid_from: date
    valid_to: date
    signed_on: date | None = None

    def in_force(self, day: date) -> bool:
        """Whether ``day`` lies in the validity period (both ends inclusive)."""
        return self.valid_from <= day <= self.valid_to


def _native(value: Any) -> Any:
    return value.to_native() if hasattr(value, "to_native") else value


def party_from_map(data: Mapping[str, Any]) -> Party:
    return Party(
        id=data["id"], type=data["type"], name=data.get("name") or "",
        jurisdictions=tuple(data.get("jurisdictions") or ()),
        platform_id=data.get("platform_id"), association_id=data.get("association_id"),
        disabled=bool(data.get("disabled")), created_at=_native(data.get("created_at")),
    )


def agreement_from_map(data: Mapping[str, Any]) -> Agreement:
    return Agreement(id=data["id"], party_id=data["party_id"],
                     valid_from=_native(data["valid_from"]), valid_to=_native(data["valid_to"]),
                     signed_on=_native(data.get("signed_on")))


def today_in(timezone: str) -> date:
    """Today's date where the agreements are signed (``HUB_AGREEMENT_TIMEZONE``)."""
    return datetime.now(ZoneInfo(timezone)).date()


def agreement_in_force(agreements: Iterable[Agreement], day: date) -> bool:
    return any(a.in_force(day) for a in agreements)


def needs_agreement(party: Party) -> bool:
    """Platforms act under a cooperation agreement; other parties do not need one."""
    return party.type == "platform"


def validate_party(party_id: str, party_type: str, name: str, jurisdictions: Sequence[str],
                   platform_id: str | None, association_id: str | None) -> None:
    if not PARTY_ID.match(party_id):
        raise InvalidInput(f"Party id {party_id!r} is not valid.",
                           "Use letters, digits and _ . : - (at most 100 characters).")
    if party_type not in PARTY_TYPES:
        raise InvalidInput(f"Unknown party type {party_type!r}.",
                           f"Use one of: {', '.join(PARTY_TYPES)}.")
    if not name.strip():
        raise InvalidInput("A party needs a name.")
    bad = [code for code in jurisdictions if not DIVISION_CODE.match(code)]
    if bad:
        raise InvalidInput(f"Jurisdiction {bad[0]!r} is not a 6-digit division code.",
                           "Use GB/T 2260 codes, e.g. 510100 (Chengdu) or 510104 (Jinjiang).")
    if party_type == "regulator" and not jurisdictions:
        raise InvalidInput("A regulator needs at least one jurisdiction.",
                           "Add --jurisdiction 510104 (repeatable).")
    if party_type != "regulator" and jurisdictions:
        raise InvalidInput("Only regulators have jurisdictions.")
    if party_type == "platform" and not platform_id:
        raise InvalidInput("A platform party needs --platform-id (the :Platform it runs).")
    if party_type != "platform" and platform_id:
        raise InvalidInput("Only platform parties have a platform id.")
    if party_type == "association" and not association_id:
        raise InvalidInput("An association party needs --association-id.")
    if party_type != "association" and association_id:
        raise InvalidInput("Only association parties have an association id.")


def create_party(driver: neo4j.Driver, *, party_id: str, party_type: str, name: str,
                 jurisdictions: Sequence[str] = (), platform_id: str | None = None,
                 association_id: str | None = None, database: str = "neo4j") -> Party:
    """Create a party (an id already taken is a :class:`Conflict`)."""
    jurisdictions = sorted(set(jurisdictions))
    validate_party(party_id, party_type, name, jurisdictions, platform_id, association_id)
    try:
        records, _, _ = driver.execute_query(
            """
            CREATE (p:Party {id: $id, type: $type, name: $name, jurisdictions: $jurisdictions,
                             disabled: false, created_at: $now})
            SET p.platform_id = $platform_id, p.association_id = $association_id
            FOREACH (_ IN CASE WHEN $platform_id IS NULL THEN [] ELSE [1] END |
              MERGE (pl:Platform {id: $platform_id})
              MERGE (p)-[:REPRESENTS]->(pl))
            FOREACH (_ IN CASE WHEN $association_id IS NULL THEN [] ELSE [1] END |
              MERGE (a:Association {id: $association_id})
              MERGE (p)-[:REPRESENTS]->(a))
            RETURN p {.*} AS party
            """,
            id=party_id, type=party_type, name=name.strip(), jurisdictions=jurisdictions,
            platform_id=platform_id, association_id=association_id, now=datetime.now(UTC),
            database_=database,
        )
    except neo4j.exceptions.ConstraintError:
        raise Conflict(f"Party {party_id!r} already exists.",
                       "Choose another id, or see it with `hub party list`.") from None
    return party_from_map(records[0]["party"])


def get_party(driver: neo4j.Driver, party_id: str, *, database: str = "neo4j") -> Party:
    records, _, _ = driver.execute_query(
        "MATCH (p:Party {id: $id}) RETURN p {.*} AS party", id=party_id,
        database_=database, routing_=neo4j.RoutingControl.READ)
    if not records:
        raise NotFound(f"No party {party_id!r}.", "List parties with `hub party list`.")
    return party_from_map(records[0]["party"])


def list_parties(driver: neo4j.Driver, *, database: str = "neo4j") -> list[Party]:
    records, _, _ = driver.execute_query(
        "MATCH (p:Party) RETURN p {.*} AS party ORDER BY p.id",
        database_=database, routing_=neo4j.RoutingControl.READ)
    return [party_from_map(r["party"]) for r in records]


def set_party_disabled(driver: neo4j.Driver, party_id: str, disabled: bool = True, *,
                       database: str = "neo4j") -> Party:
    """Disable (or re-enable) a party: its clients get no tokens, its tokens are refused."""
    records, _, _ = driver.execute_query(
        "MATCH (p:Party {id: $id}) SET p.disabled = $disabled, p.disabled_at = $at "
        "RETURN p {.*} AS party",
        id=party_id, disabled=disabled, at=datetime.now(UTC) if disabled else None,
        database_=database)
    if not records:
        raise NotFound(f"No party {party_id!r}.", "List parties with `hub party list`.")
    return party_from_map(records[0]["party"])


def disable_party(driver: neo4j.Driver, party_id: str, *, database: str = "neo4j") -> Party:
    return set_party_disabled(driver, party_id, True, database=database)


def create_agreement(driver: neo4j.Driver, *, party_id: str, valid_from: date, valid_to: date,
                     signed_on: date | None = None, agreement_id: str | None = None,
                     database: str = "neo4j") -> Agreement:
    """Record a cooperation agreement of a party, valid ``valid_from``..``valid_to`` inclusive."""
    if valid_to < valid_from:
        raise InvalidInput(f"The agreement ends ({valid_to}) before it starts ({valid_from}).")
    agreement_id = agreement_id or f"agr-{party_id}-{valid_from:%Y%m%d}-{secrets.token_hex(3)}"
    try:
        records, _, _ = driver.execute_query(
            """
            MATCH (p:Party {id: $party_id})
            CREATE (a:Agreement {id: $id, party_id: $party_id, valid_from: $valid_from,
                                 valid_to: $valid_to, created_at: $now})
            SET a.signed_on = $signed_on
            CREATE (a)-[:OF]->(p)
            RETURN a {.*} AS agreement
            """,
            id=agreement_id, party_id=party_id, valid_from=valid_from, valid_to=valid_to,
            signed_on=signed_on, now=datetime.now(UTC), database_=database)
    except neo4j.exceptions.ConstraintError:
        raise Conflict(f"Agreement {agreement_id!r} already exists.") from None
    if not records:
        raise NotFound(f"No party {party_id!r}.", "Create it first with `hub party add`.")
    return agreement_from_map(records[0]["agreement"])


def list_agreements(driver: neo4j.Driver, party_id: str | None = None, *,
                    database: str = "neo4j") -> list[Agreement]:
    records, _, _ = driver.execute_query(
        "MATCH (a:Agreement) WHERE $party_id IS NULL OR a.party_id = $party_id "
        "RETURN a {.*} AS agreement ORDER BY a.party_id, a.valid_from",
        party_id=party_id, database_=database, routing_=neo4j.RoutingControl.READ)
    return [agreement_from_map(r["agreement"]) for r in records]


def as_party_type(value: str) -> PartyType:
    if value not in PARTY_TYPES:
        raise InvalidInput(f"Unknown party type {value!r}.")
    return value
