"""Who may see which object: one Cypher predicate per kind of node the API can return.

Every query builder, renderer and push payload composes :func:`sees`; no other module
decides visibility. A predicate is Cypher text over a bound variable (and the subject
``s`` it hangs off, whose full view the caller has already established) with every value
passed as a ``$p_*`` parameter of the compiled policy.
"""

from __future__ import annotations

from typing import Literal

from hub.policy.compiled import CompiledPolicy

Kind = Literal[
    "Store", "Product", "Licence", "AnnualReport", "RegistrationChange", "Complaint", "Case",
    "Inspection", "CreditEvaluation", "Alert", "Role",
]

# The access.yaml section that carries each kind (no section, no rows).
SECTION: dict[Kind, str] = {
    "Store": "stores",
    "Product": "products",
    "Licence": "licences",
    "AnnualReport": "annual_reports",
    "RegistrationChange": "registration_changes",
    "Complaint": "complaints",
    "Case": "cases",
    "Inspection": "inspections",
    "CreditEvaluation": "evaluations",
    "Alert": "alerts",
    "Role": "people",
}


def row_filter(policy: CompiledPolicy, kind: Kind, v: str) -> str:
    """The row filter within an allowed section (without the section check)."""
    party = policy.party_type
    if kind in ("Store", "Product"):
        # A platform sees its own stores (and what they list), never another platform's.
        store = v if kind == "Store" else f"st_of_{v}"
        own = f"{store}.platform_id = $p_platform"
        if party != "platform":
            return "true"
        if kind == "Store":
            return own
        return f"EXISTS {{ ({store}:Store)-[:LISTS]->({v}) WHERE {own} }}"
    if kind == "Complaint":
        if party == "platform":
            return f"EXISTS {{ ({v})-[:VIA]->(:Platform {{id: $p_platform}}) }}"
        return "true"
    if kind == "CreditEvaluation":
        shared = f"$p_party IN coalesce({v}.shared_with, [])"
        if party == "association":
            return f"({v}.association_id = $p_association OR {shared})"
        return shared
    if kind == "Alert":
        # Regulators: alerts about subjects in their jurisdiction (the caller scopes ``s``);
        # platforms: the alerts pushed to them.
        if party == "regulator":
            return "true"
        if party == "platform":
            return f"EXISTS {{ ({v})-[:NOTIFIES]->(:Party {{id: $p_party}}) }}"
        return "false"
    return "true"


def sees(policy: CompiledPolicy, kind: Kind, v: str) -> str:
    """Cypher predicate: the caller may see the ``kind`` object bound to ``v``."""
    if not policy.section(SECTION[kind]):
        return "false"
    return row_filter(policy, kind, v)
