"""A party's policy compiled for one request: Cypher predicates, parameters, masks.

The predicates are Cypher *text* over fixed variable names with every value passed as a
parameter (``$p_*``); query builders embed them inside the one query they run, so the
database itself never returns a row outside the party's scope (no fetch-then-filter).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from hub.errors import Forbidden as Forbidden  # re-exported: importers use this path
from hub.policy.loader import load_model
from hub.policy.model import AccessPolicy, KindPolicy, PartyPolicy
from hub.resources import packaged

DEFAULT_POLICY_FILE = packaged("policies") / "access.yaml"


def jurisdiction_prefixes(codes: tuple[str, ...] | list[str]) -> list[str]:
    """``510100`` covers 5101xx (a city), ``510000`` 51xxxx (a province)."""
    prefixes = []
    for code in codes:
        prefix = code
        while len(prefix) > 2 and prefix.endswith("00"):
            prefix = prefix[:-2]
        prefixes.append(prefix)
    return prefixes


_SCOPES = {
    "jurisdiction": "any(j IN $p_prefixes WHERE {s}.division STARTS WITH j)",
    # A store's platform_id is part of its key and mirrors its ON edge; reading it saves
    # two hops (and the Platform lookup) per store on the hottest predicate.
    # Only an open store (or one closed within the grace period) gives the full view: a
    # closed store pushed for any code must not turn a status view into a full one.
    "platform_merchants":
        "EXISTS {{ ({s})-[:OPERATES]->(st_scope:Store) "
        "WHERE st_scope.platform_id = $p_platform AND "
        "(st_scope.closed_on IS NULL OR st_scope.closed_on >= $p_open_since) }}",
    "association_members":
        "EXISTS {{ ({s})-[m:MEMBER_OF]->(:Association {{id: $p_association}}) "
        "WHERE m.end IS NULL }}",
    "all": "true",
    "none": "false",
}


_MATCHES = {
    # A subquery keeps the variables bound before it (a page's total); ``WITH *`` lets
    # the caller's WHERE follow.
    "platform_merchants":
        "CALL () {{ MATCH (st_m:Store {{platform_id: $p_platform}})<-[:OPERATES]-"
        "({s}:Subject) RETURN DISTINCT {s} }} WITH *",
    "association_members":
        "CALL () {{ MATCH (:Association {{id: $p_association}})<-[:MEMBER_OF]-({s}:Subject) "
        "RETURN DISTINCT {s} }} WITH *",
    "jurisdiction": "MATCH ({s}:Subject)",
    "all": "MATCH ({s}:Subject)",
    "none": "MATCH ({s}:Subject)",
}


@dataclass(frozen=True)
class CompiledPolicy:
    party_id: str
    party_type: str
    operation: str
    purpose: str
    policy: PartyPolicy
    params: dict[str, Any] = field(hash=False)
    # kind → the row rule that applies to this party type (access.yaml ``kinds``)
    rows: dict[str, str] = field(hash=False, default_factory=dict)
    kinds: dict[str, KindPolicy] = field(hash=False, default_factory=dict)

    def full(self, s: str = "s") -> str:
        """Predicate: ``s`` is inside the party's scope (full view)."""
        return _SCOPES[self.policy.scope].format(s=s)

    def covers_division(self, division: str) -> bool:
        """A regulator's jurisdiction covers this division code (inspection plans,
        sandbox statistics: the division-level twin of :meth:`full`)."""
        return self.policy.scope == "all" or (
            self.policy.scope == "jurisdiction"
            and any(division.startswith(p) for p in self.params["p_prefixes"]))

    def subjects_match(self, s: str = "s") -> str:
        """A MATCH yielding the candidates of the party's scope from the narrowest index
        (a platform's stores, an association's members) instead of every subject; the
        caller still applies :meth:`full` (the rule itself)."""
        return _MATCHES[self.policy.scope].format(s=s)

    def view(self, s: str = "s") -> str:
        """Cypher expression: 'full', 'status', 'public' or null (invisible)."""
        outside = self.policy.outside_scope
        fallback = "null" if outside == "none" else f"'{outside}'"
        return f"CASE WHEN {self.full(s)} THEN 'full' ELSE {fallback} END"

    def section(self, name: str) -> bool:
        return name in self.policy.sections

    def mask(self, kind: str, expr: str) -> str:
        """Cypher masking ``expr`` (a person's name, ID or phone) per the party's policy;
        ``individual_name`` is the one rule for individual businesses' names."""
        if kind == "individual_name":
            return mask_name(expr)  # outside the full view, for every party type alike
        how = getattr(self.policy.masks, kind)
        if how == "hidden":
            return "null"
        if how == "clear" or kind != "person_name":
            return expr  # ID numbers and phones are stored masked already
        return mask_name(expr)


def mask_name(expr: str) -> str:
    """``王小红`` → ``王*红``: first and last character kept."""
    return (f"CASE WHEN {expr} IS NULL OR size({expr}) <= 1 THEN {expr} "
            f"WHEN size({expr}) = 2 THEN left({expr}, 1) + '*' "
            f"ELSE left({expr}, 1) + substring('**********', 0, size({expr}) - 2) "
            f"+ right({expr}, 1) END")


@dataclass(frozen=True)
class PartyIdentity:
    """What compilation needs to know about the caller (from the validated token)."""

    party_id: str
    party_type: str
    jurisdictions: tuple[str, ...] = ()
    platform_id: str | None = None
    association_id: str | None = None


class PolicyBook:
    """The loaded ``access.yaml`` and its compiled, cached forms."""

    def __init__(self, policy: AccessPolicy) -> None:
        self.policy = policy

    @classmethod
    def load(cls, path: Path = DEFAULT_POLICY_FILE) -> PolicyBook:
        return cls(load_model(path, AccessPolicy))

    def for_party(self, party_type: str, party_id: str) -> PartyPolicy:
        base = next((p for t, p in self.policy.party_types.items() if t == party_type), None)
        if base is None:
            raise Forbidden(f"no access policy for party type {party_type!r}")
        override = self.policy.overrides.get(party_id)
        if override:
            merged: PartyPolicy = PartyPolicy.model_validate({**base.model_dump(), **override})
            return merged
        return base

    def persisted_only(self, party_type: str, party_id: str) -> bool:
        """The party runs manifest documents only (checked per request, so cached)."""
        return _persisted_only(self, party_type, party_id)

    def compile(self, who: PartyIdentity, operation: str,
                purpose: str | None) -> CompiledPolicy:
        """``purpose`` None: a field without one (``me``, ``setClock``) — the operation
        alone is checked."""
        # The day is part of the cache key: the closed-store grace period moves with it.
        return _compile(self, who, operation, purpose, date.today().isoformat())


@lru_cache(maxsize=4096)
def _persisted_only(book: PolicyBook, party_type: str, party_id: str) -> bool:
    try:
        return book.for_party(party_type, party_id).persisted_only
    except Forbidden:
        return False  # no policy at all: every operation is refused later anyway


@lru_cache(maxsize=4096)
def _compile(book: PolicyBook, who: PartyIdentity, operation: str,
             purpose: str | None, today: str) -> CompiledPolicy:
    policy = book.for_party(who.party_type, who.party_id)
    if operation not in policy.operations:
        raise Forbidden(f"a {who.party_type} may not use {operation}",
                        "Ask the hub's operator if your agreement should allow it.")
    if purpose is not None and purpose not in policy.purposes:
        allowed = ", ".join(p.upper() for p in policy.purposes)
        raise Forbidden(f"purpose {purpose.upper()} is not allowed for a {who.party_type}",
                        f"Declare one of: {allowed}.")
    params: dict[str, Any] = {
        "p_party": who.party_id,
        "p_prefixes": jurisdiction_prefixes(who.jurisdictions),
        "p_platform": who.platform_id,
        "p_association": who.association_id,
        "p_open_since": (date.fromisoformat(today) - timedelta(
            days=book.policy.enrolment.closed_store_grace_days)).isoformat(),
    }
    rows: dict[str, str] = {name: kind.rows.get(who.party_type, kind.rows["default"])
            for name, kind in book.policy.kinds.items()}
    return CompiledPolicy(who.party_id, who.party_type, operation, purpose or "", policy,
                          params, rows, dict(book.policy.kinds))
