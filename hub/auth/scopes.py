"""The hub's OAuth 2.0 scopes (RFC 6749 §3.3) and the defaults per party type.

The canonical list lives here; the token endpoint refuses anything else
(``invalid_scope``) and the API checks them with :func:`hub.auth.resource.require_scopes`.
"""

from __future__ import annotations

from typing import Final, Literal

PartyType = Literal["regulator", "platform", "association", "public"]
PARTY_TYPES: Final[tuple[PartyType, ...]] = ("regulator", "platform", "association", "public")

COMPLIANCE_READ: Final = "compliance:read"
SUBJECT_READ: Final = "subject:read"
SUBJECTS_READ: Final = "subjects:read"
GRAPH_TRAVERSE: Final = "graph:traverse"
EVALUATION_READ: Final = "evaluation:read"
EVALUATION_WRITE: Final = "evaluation:write"
ALERT_READ: Final = "alert:read"
COMPLAINT_WRITE: Final = "complaint:write"
PLATFORM_ACTION_WRITE: Final = "platform_action:write"
CASE_WRITE: Final = "case:write"
STORE_WRITE: Final = "store:write"
INSPECTION_READ: Final = "inspection:read"
CREDIT_ADMIN: Final = "credit:admin"

#: Every scope the hub knows, with what it allows (published in the RFC 8414 metadata).
SCOPES: Final[dict[str, str]] = {
    COMPLIANCE_READ: "Read a subject's published compliance status, grade and licence display.",
    SUBJECT_READ: "Read one subject's credit portrait (within the party's policy).",
    SUBJECTS_READ: "List and search subjects (within the party's policy).",
    GRAPH_TRAVERSE: "Traverse related-entity graphs (legal representatives, shareholding).",
    EVALUATION_READ: "Read shared credit evaluations.",
    EVALUATION_WRITE: "Issue credit evaluations of member subjects (associations).",
    ALERT_READ: "Read risk alerts and clues addressed to the party.",
    COMPLAINT_WRITE: "Submit consumer complaints and reports.",
    PLATFORM_ACTION_WRITE: "Report actions a platform took on a merchant (warn, suspend, stop).",
    CASE_WRITE: "Record enforcement cases and guidance (regulators).",
    STORE_WRITE: "Share merchant, store and listing data (platforms).",
    INSPECTION_READ: "Read inspection plans and results.",
    CREDIT_ADMIN: "Administer credit rules, classes and the sandbox (regulators).",
}

_REGULATOR_EXCLUDED = frozenset({EVALUATION_WRITE, PLATFORM_ACTION_WRITE, STORE_WRITE})

#: Scopes a new client gets when ``hub client create`` is given no ``--scope``.
DEFAULT_SCOPES: Final[dict[PartyType, frozenset[str]]] = {
    "regulator": frozenset(SCOPES) - _REGULATOR_EXCLUDED,
    "platform": frozenset({COMPLIANCE_READ, SUBJECT_READ, SUBJECTS_READ, ALERT_READ,
                           COMPLAINT_WRITE, PLATFORM_ACTION_WRITE, STORE_WRITE}),
    "association": frozenset({EVALUATION_READ, EVALUATION_WRITE, SUBJECT_READ, SUBJECTS_READ,
                              COMPLAINT_WRITE}),
    "public": frozenset({COMPLIANCE_READ}),
}

#: The most a client of each party type may be granted (also caps external issuers' tokens).
#: Today equal to the defaults; widen here, deliberately, if a party type needs more.
PERMITTED_SCOPES: Final[dict[PartyType, frozenset[str]]] = dict(DEFAULT_SCOPES)


def parse_scope(value: str | None) -> frozenset[str]:
    """A space-delimited ``scope`` value as a set (RFC 6749 §3.3)."""
    if not value:
        return frozenset()
    return frozenset(part for part in value.split(" ") if part)


def format_scope(scopes: frozenset[str] | set[str] | list[str] | tuple[str, ...]) -> str:
    """Scopes as a space-delimited string, in a stable order."""
    return " ".join(sorted(scopes))


def is_party_type(value: str) -> bool:
    return value in PARTY_TYPES
