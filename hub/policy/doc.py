"""``docs/access.md`` generated from ``policies/access.yaml`` (``hub policy doc``), so the
page cannot drift from the rules that run (a test compares the two)."""

from __future__ import annotations

from hub.policy.model import AccessPolicy, KindPolicy, PartyPolicy
from hub.policy.visibility import ROW_RULES

_SCOPE = {
    "jurisdiction": "subjects whose division lies in the regulator's jurisdiction",
    "platform_merchants": "subjects with an open store on the party's platform (or one "
                          "closed less than the grace period ago)",
    "association_members": "current members of the party's association",
    "all": "every subject",
    "none": "no subject",
}
_OUTSIDE = {"none": "nothing (an unknown code and an invisible one look the same)",
            "status": "the status view", "public": "the public view"}


def _fields(kind: KindPolicy, policy: PartyPolicy) -> str:
    parts = []
    for owner, names in kind.types.items():
        shown = list(names)
        for key, rule in kind.special.items():
            t, _, name = key.partition(".")
            if t != owner:
                continue
            if rule.mask in ("person_name", "id_number", "phone"):
                how = getattr(policy.masks, rule.mask)
                shown.append(f"{name} ({how})")
            elif rule.mask == "individual_name":
                shown.append(f"{name} (individual businesses masked outside the full view)")
            else:
                shown.append(f"{name} (derived{': ' + rule.note if rule.note else ''})")
        parts.append(f"`{owner}`: " + ", ".join(shown) if shown else f"`{owner}`: —")
    if kind.details is not None:
        parts.append("details: " + ", ".join(kind.details))
    return "<br>".join(parts) or "—"


def _party(name: str, policy: PartyPolicy, access: AccessPolicy) -> list[str]:
    out = [f"## {name}", "",
           f"* **scope** (full view): {_SCOPE[policy.scope]}",
           f"* **outside the scope**: {_OUTSIDE[policy.outside_scope]}",
           f"* **operations**: {', '.join(f'`{o}`' for o in policy.operations)}",
           f"* **purposes**: {', '.join(p.upper() for p in policy.purposes)}",
           f"* **sections**: {', '.join(policy.sections) or '—'}",
           f"* **masks**: person name {policy.masks.person_name}, ID number "
           f"{policy.masks.id_number}, phone {policy.masks.phone}",
           f"* **traversal**: depth ≤ {policy.traversal.max_depth}, relations "
           f"{', '.join(policy.traversal.relations) or '—'}, fan-out ≤ "
           f"{policy.traversal.max_fanout}",
           f"* **budget**: {policy.budget.records_per_day:,} records a day", "",
           "| kind | sees | rows | fields |", "|---|---|---|---|"]
    for kname, kind in access.kinds.items():
        allowed = kind.section is None or kind.section in policy.sections
        rule = kind.rows.get(name, kind.rows["default"])
        if not allowed or rule == "none":
            out.append(f"| {kname} | no{f' (no {kind.section})' if not allowed else ''} "
                       "| — | — |")
            continue
        out.append(f"| {kname} | yes | {rule} | {_fields(kind, policy)} |")
    return [*out, ""]


def render(access: AccessPolicy) -> str:
    lines = ["# What each party sees", "",
             "<!-- Generated from policies/access.yaml by `hub policy doc --out "
             "docs/access.md`; do not edit (a test fails when it drifts). -->", "",
             "Deny by default: a party sees a kind only when its policy has the kind's "
             "section and the kind's row rule for its party type lets the row through; of "
             "a row it sees only the fields listed (masked as shown). A filter, a sort or "
             "a count on a kind follows the same rule: a filter on a section the party "
             "lacks is refused, and every count (totalCount, openAlerts, degrees, capped "
             "hubs) counts only rows the party may see. Every root field's operation is "
             "the field's own name, checked before it runs.", "",
             "## Subject views", "",
             "* **full**: the subject is in the party's scope; every section the policy "
             "allows.",
             "* **status** (a platform about any other subject, for onboarding): name, "
             "registration status, class, colour, sandbox membership.",
             "* **public** (the public): name, class, colour, licence display 亮照.",
             "* An individual business's (个体工商户) name is masked (`王*店`) outside the "
             "full view, for every party alike: it is often its operator's own name. The "
             "full view shows it in clear.", "",
             "## Enrolments", "",
             f"A platform's full view of a subject needs an open store of the subject on "
             f"its platform; a store closed more than "
             f"{access.enrolment.closed_store_grace_days} days ago gives only the status "
             f"view. A platform's first store for a subject is an enrolment 入驻: recorded "
             f"with its time and party and shown to the subject's regulators "
             f"(`enrolments`), flagged when the code was unknown to the registry or when "
             f"the platform, with an established base, had never enrolled anyone in that "
             f"city; more than {access.enrolment.daily_threshold} enrolments by one "
             f"platform in one day (within the regulator's jurisdiction) is an anomaly.", "",
             "## Row rules", "", "| rule | rows |", "|---|---|"]
    lines += [f"| {name} | {text} |" for name, (_, text) in ROW_RULES.items()]
    lines.append("")
    for name, policy in access.party_types.items():
        lines += _party(name, policy, access)
    lines += ["## Kinds", "", "| kind | section | note |", "|---|---|---|"]
    lines += [f"| {k} | {v.section or '—'} | {v.note or ''} |" for k, v in access.kinds.items()]
    lines += ["", "Types without data of their own: "
              + ", ".join(f"`{t}`" for t in access.structural_types) + ".", ""]
    return "\n".join(lines)
