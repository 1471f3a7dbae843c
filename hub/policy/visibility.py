"""Who may see which object, and which of its fields: the one visibility model.

``policies/access.yaml`` declares, per kind of node or relationship the API returns, the
section that carries it, a *row rule* per party type and a field allow-list per GraphQL
type (``kinds``). This module turns a rule into Cypher: every query builder, renderer and
push payload composes :func:`sees` (section allowed AND row rule), :func:`row_filter`
and :func:`details`; no other module decides visibility. A predicate is Cypher text over
a bound variable (and the subject ``s`` it hangs off, whose view the caller has already
established) with every value passed as a ``$p_*`` parameter of the compiled policy.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, get_args

from hub.policy.compiled import CompiledPolicy
from hub.policy.model import KINDS

Kind = Literal[
    "Subject", "Credit", "Role", "Person", "ContactLink", "Store", "Product", "Licence",
    "AnnualReport", "RegistrationChange", "Complaint", "Case", "Inspection",
    "CreditEvaluation", "Alert", "AlertStep", "Provenance", "Revision", "Enrolment",
    "RelatedSubject", "Reminder", "SandboxStats", "InspectionPlan", "Caller",
]
assert set(get_args(Kind)) == set(KINDS), "Kind and model.KINDS must list the same kinds"

#: Row rules: Cypher over ``{v}`` (the object) and ``{scope}`` (the caller's full view of
#: the subject the row hangs off), with a description for docs/access.md.
ROW_RULES: dict[str, tuple[str, str]] = {
    "all": ("true", "every row (of a subject the caller may see)"),
    "none": ("false", "no row"),
    "in_scope": ("{scope}", "rows of subjects in the caller's scope (its full view)"),
    "own_platform": ("{v}.platform_id = $p_platform", "the caller's own platform's rows"),
    "listed_in_own_store": (
        "EXISTS {{ (st_of_{v}:Store)-[:LISTS]->({v}) WHERE st_of_{v}.platform_id = "
        "$p_platform }}", "listings in the caller's own stores"),
    "via_own_platform": ("EXISTS {{ ({v})-[:VIA]->(:Platform {{id: $p_platform}}) }}",
                         "complaints made through the caller's platform"),
    "issued_or_shared": (
        "({v}.association_id = $p_association OR $p_party IN coalesce({v}.shared_with, []))",
        "issued by the caller's association, or shared with the caller"),
    "shared_with_party": ("$p_party IN coalesce({v}.shared_with, [])",
                          "shared with the caller by name"),
    "shared_in_scope": ("$p_party IN coalesce({v}.shared_with, []) AND {scope}",
                        "shared with the caller by name, about a subject in its scope"),
    "notified": ("EXISTS {{ ({v})-[:NOTIFIES]->(:Party {{id: $p_party}}) }}",
                 "alerts pushed to the caller"),
}

def rule_of(policy: CompiledPolicy, kind: Kind) -> str:
    return policy.rows.get(kind, "none")


def row_filter(policy: CompiledPolicy, kind: Kind, v: str, s: str = "s") -> str:
    """The row filter within an allowed section (without the section check); ``s`` is
    the subject the row hangs off."""
    template = ROW_RULES[rule_of(policy, kind)][0]
    scope = policy.full(s) if "{scope}" in template else ""
    return template.format(v=v, scope=scope)


def section_allowed(policy: CompiledPolicy, kind: Kind) -> bool:
    """The party's policy has the section that carries ``kind`` (or it needs none)."""
    rule = policy.kinds.get(kind)
    if rule is None:
        return False
    return rule.section is None or policy.section(rule.section)


def sees(policy: CompiledPolicy, kind: Kind, v: str, s: str = "s") -> str:
    """Cypher predicate: the caller may see the ``kind`` object bound to ``v`` (hanging
    off the subject bound to ``s``)."""
    if not section_allowed(policy, kind):
        return "false"
    return row_filter(policy, kind, v, s)


def details(policy: CompiledPolicy, kind: Kind, data: Mapping[str, Any]) -> dict[str, Any]:
    """A fact's ``details``: only the stored properties the kind's allow-list names, so a
    property added to the graph later never reaches a caller by default."""
    rule = policy.kinds.get(kind)
    keys = (rule.details if rule else None) or []
    return {k: data[k] for k in keys if k in data}


def shared_with(policy: CompiledPolicy, data: Mapping[str, Any]) -> list[str] | None:
    """An evaluation's recipients: the issuer's association sees the whole list, any
    other reader only itself (the list names other parties)."""
    recipients = data.get("shared_with")
    if recipients is None:
        return None
    if policy.party_type == "association" and \
            data.get("association_id") == policy.params.get("p_association"):
        return list(recipients)
    return [p for p in recipients if p == policy.party_id]
