"""Derived artefacts rendered for their reader: credit explanations and alert evidence.

The credit engine stores *references* — kind and id of each fact behind an indicator or
an alert (:func:`hub.credit.facts_model.evidence`, the trigger kinds' ``refs``) — plus the
indicator's or rule's own numbers. Rendering resolves every reference of a batch of
artefacts in **one** Cypher query, through the reader's compiled policy
(:func:`hub.policy.visibility.sees`, composed, never re-decided here): a fact the reader
may see is shown with its current values; any other is left out and counted, with why
("2 facts held by other parties"). Scores, points and classes are the same for every
reader; an indicator's ``value`` and ``note`` (derived from its facts) are shown only
when none of its facts is withheld.

Stored artefacts of the older format (copies of the facts) are never shown: they render
as withheld until a re-score (explanations) or the alert's next occurrence rewrites them.
Until an artefact is rendered for a reader it is an :class:`Unrendered` — a dict that
already holds the all-withheld view, so a call site that forgets to render leaks nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import neo4j
import orjson

from hub.policy.compiled import CompiledPolicy
from hub.policy.visibility import Kind, section_allowed, sees

Artefact = Literal["explanation", "evidence"]
FORMAT = 2  # hub.credit.scoring.EXPLANATION_FORMAT, hub.credit.alerts.EVIDENCE_FORMAT


@dataclass(frozen=True)
class RefKind:
    """How a reference of one kind is found from its subject ``s``, and what is shown."""

    match: str  # pattern binding ``x`` from ``s`` and the reference ``r`` ("": x is s)
    fields: tuple[str, ...]  # the fact's fields a reader who may see it gets
    kind: Kind | None = None  # the visibility kind that decides (None: see _extra)


# The shown fields are the display shape of each fact in an explanation, not a
# visibility rule: who sees the fact at all is decided by ``sees``.
REF_KINDS: dict[str, RefKind] = {
    "Store": RefKind("(s)-[:OPERATES]->(x:Store {key: r.id})",
                     ("platform_id", "shop_id", "name", "licence_displayed", "opened_on",
                      "closed_on"), "Store"),
    "Product": RefKind("(s)-[:OPERATES]->(:Store)-[:LISTS]->(x:Product {key: r.id})",
                       ("title", "category", "listed_on", "delisted_on"), "Product"),
    "Licence": RefKind("(s)-[:HOLDS]->(x:Licence {key: r.id})",
                       ("licence_type", "valid_from", "valid_to"), "Licence"),
    "AnnualReport": RefKind("(s)-[:FILED]->(x:AnnualReport {key: r.id})",
                            ("year", "filed_on", "due_on"), "AnnualReport"),
    "RegistrationChange": RefKind("(s)-[:CHANGED]->(x:RegistrationChange {id: r.id})",
                                  ("item", "changed_on", "published", "published_on"),
                                  "RegistrationChange"),
    "Complaint": RefKind("(x:Complaint {id: r.id})-[:AGAINST]->(s)",
                         ("received_on", "channel", "status", "resolved_on"), "Complaint"),
    "Case": RefKind("(x:Case {id: r.id})-[:CONCERNS]->(s)",
                    ("opened_on", "outcome", "decided_on", "fine", "authority",
                     "legal_basis"), "Case"),
    "Inspection": RefKind("(x:Inspection {id: r.id})-[:OF]->(s)",
                          ("inspected_on", "result", "kind"), "Inspection"),
    "CreditEvaluation": RefKind("(x:CreditEvaluation {id: r.id})-[:RATES]->(s)",
                                ("association_id", "grade", "score", "issued_on", "valid_to"),
                                "CreditEvaluation"),
    "Alert": RefKind("(x:Alert {id: r.id})-[:ABOUT]->(s)",
                     ("rule", "severity", "status", "escalated_at"), "Alert"),
    # A platform action is a fact about the subject's store on that platform: whoever
    # may see that store may see the action (composes the Store rule).
    "PlatformAction": RefKind("(x:PlatformAction {id: r.id})-[:AGAINST]->(s)",
                              ("kind", "at", "platform_id")),
    # The scored subject's own registration facts.
    "Subject": RefKind("", ("registered_on", "status")),
    # A related subject: the link is a role (person / shareholding), the subject itself
    # must be in the reader's scope.
    "Related": RefKind("(x:Subject {uscc: r.id})", ("uscc", "credit_class", "status"),
                       "Role"),
}
PROVENANCE = ("src_party", "src_record")

WITHHELD_OLD = "recorded in an older format (shown again after a re-score)"
WITHHELD_UNRESOLVED = "not rendered for this reader"


def _visible(policy: CompiledPolicy, name: str, spec: RefKind) -> str:
    """Cypher over ``x`` (and ``s``): the reader may see this referenced fact."""
    if name == "PlatformAction":
        return ("EXISTS { (s)-[:OPERATES]->(st_pa:Store) WHERE st_pa.platform_id = "
                f"x.platform_id AND {sees(policy, 'Store', 'st_pa')} }}")
    if name == "Subject":
        return "true" if policy.section("registration") else "false"
    assert spec.kind is not None
    pred = sees(policy, spec.kind, "x")
    if name == "Related":
        pred = f"({pred}) AND {policy.full('x')}"
    return pred


def section_of(policy: CompiledPolicy, name: str) -> bool:
    """Whether the reader's policy has the section that carries this kind of fact."""
    if name == "PlatformAction":
        return section_allowed(policy, "Store")
    if name == "Subject":
        return policy.section("registration")
    spec = REF_KINDS.get(name)
    return bool(spec and spec.kind and section_allowed(policy, spec.kind))


_UNION = "\n  UNION ALL\n"


_QUERIES: dict[tuple[str, str, tuple[str, ...]], str] = {}


def resolve_query(policy: CompiledPolicy) -> str:
    """:func:`build_resolve_query`, cached by what the text depends on (party type, scope,
    sections; the values are parameters)."""
    key = (policy.party_type, policy.policy.scope, tuple(sorted(policy.policy.sections)))
    text = _QUERIES.get(key)
    if text is None:
        text = _QUERIES[key] = build_resolve_query(policy)
    return text


def build_resolve_query(policy: CompiledPolicy) -> str:
    """One query resolving a batch of references ``$refs`` (``{i, s, kind, id}``): per
    reference whether its fact is on record (``found``), whether the reader may see it
    (``ok``) and, only then, the fact's shown fields. A subject outside the reader's full
    view resolves nothing."""
    prov = PROVENANCE if policy.section("provenance") else ()
    branches = []
    for name, spec in REF_KINDS.items():
        fields = ", ".join(f".{f}" for f in (*spec.fields, *prov))
        branches.append(f"""  WITH r, s WHERE r.kind = '{name}' AND r.id IS NOT NULL
  {f"OPTIONAL MATCH {spec.match}" if spec.match else "WITH r, s, s AS x"}
  WITH r, x, x IS NOT NULL AND {_visible(policy, name, spec)} AS ok
  RETURN x IS NOT NULL AS found, ok, CASE WHEN ok THEN x {{{fields}}} END AS fact""")
    # A due annual report never filed has no node: the section alone decides.
    missing = "true" if section_allowed(policy, "AnnualReport") else "false"
    branches.append(f"""  WITH r, s WHERE r.kind = 'AnnualReport' AND r.id IS NULL
  RETURN true AS found, {missing} AS ok,
         CASE WHEN {missing} THEN {{year: r.year, missing: true}} END AS fact""")
    return f"""
UNWIND $refs AS r
OPTIONAL MATCH (s:Subject {{uscc: r.s}}) WHERE {policy.full('s')}
WITH r, s WHERE s IS NOT NULL
CALL (r, s) {{
{_UNION.join(branches)}
}}
RETURN r.i AS i, found, ok, fact"""


@dataclass(frozen=True)
class Resolved:
    found: bool
    ok: bool
    fact: dict[str, Any] | None


class Unrendered(dict[str, Any]):
    """A stored artefact awaiting its reader: the all-withheld view, with the stored blob
    (``stored``) and its subject (``uscc``) kept for :func:`render_pending`."""

    def __init__(self, artefact: Artefact, uscc: str, stored: Any) -> None:
        super().__init__(_render(artefact, stored, None, {}, iter(())))
        self.artefact: Artefact = artefact
        self.uscc = uscc
        self.stored = stored


def pending(artefact: Artefact, uscc: str, stored: Any) -> Unrendered | None:
    """Wrap a stored artefact (JSON text or decoded) until it is rendered for a reader."""
    if stored is None:
        return None
    if isinstance(stored, str | bytes):
        stored = orjson.loads(stored)
    return Unrendered(artefact, uscc, stored)


def refs_of(artefact: Artefact, stored: Any) -> list[dict[str, Any]]:
    """Every reference a stored artefact holds (none for the older format)."""
    if not isinstance(stored, dict) or stored.get("format") != FORMAT:
        return []
    if artefact == "evidence":
        return [r for r in stored.get("refs") or [] if isinstance(r, dict)]
    out: list[dict[str, Any]] = []

    def walk(nodes: list[dict[str, Any]]) -> None:
        for node in nodes:
            if "children" in node:
                walk(node["children"])
            else:
                out.extend(r for r in node.get("refs") or [] if isinstance(r, dict))

    walk(stored.get("indicators") or [])
    return out


def reason(policy: CompiledPolicy | None, ref: dict[str, Any], got: Resolved | None) -> str:
    """Why a reference is withheld from this reader (one short phrase)."""
    name = str(ref.get("kind"))
    if policy is None:
        return WITHHELD_UNRESOLVED
    if not section_of(policy, name):
        return f"not shared with a {policy.party_type}"
    if got is None:
        return "outside your scope"
    if not got.found:
        return "no longer on record"
    if name == "Related":
        return ("outside your jurisdiction" if policy.party_type == "regulator"
                else "outside your scope")
    if name == "CreditEvaluation":
        return "not shared with your party"
    if name == "Alert":
        return "not addressed to your party"
    return "held by other parties"


def _shown(ref: dict[str, Any], fact: dict[str, Any]) -> dict[str, Any]:
    out = {"kind": ref.get("kind"), "id": ref.get("id"), **fact}
    field = ref.get("field")
    if field:
        out["field"] = field
        out["value"] = fact.get(field)
    for link in ("via", "role"):  # how a related subject is related (a visible link)
        if ref.get(link) is not None:
            out[link] = ref[link]
    return out


def _summary(reasons: Iterable[str]) -> list[dict[str, Any]]:
    counts = Counter(reasons)
    return [{"count": n, "reason": why} for why, n in sorted(counts.items())]


def withheld_note(withheld: list[dict[str, Any]]) -> str:
    """``[{count: 2, reason: "held by other parties"}]`` → "2 facts held by other parties"."""
    return "; ".join(f"{w['count']} fact{'s' if w['count'] != 1 else ''} {w['reason']}"
                     for w in withheld)


def _facts(refs: list[dict[str, Any]], policy: CompiledPolicy | None,
           got: dict[int, Resolved], ids: Iterator[int]) -> tuple[list[dict[str, Any]], list[str]]:
    shown: list[dict[str, Any]] = []
    why: list[str] = []
    for ref in refs:
        res = got.get(next(ids, -1))
        if policy is not None and res is not None and res.ok and res.fact is not None:
            shown.append(_shown(ref, res.fact))
        else:
            why.append(reason(policy, ref, res))
    return shown, why


def _render(artefact: Artefact, stored: Any, policy: CompiledPolicy | None,
            got: dict[int, Resolved], ids: Iterator[int]) -> dict[str, Any]:
    """One artefact as its reader may see it (``ids``: the batch index of each of its
    references, in :func:`refs_of` order)."""
    if not isinstance(stored, dict):
        return {"withheld": [], "withheld_note": ""}
    old = stored.get("format") != FORMAT
    if artefact == "evidence":
        out = {k: v for k, v in stored.items() if k not in ("refs", "key", "format")}
        if old:  # the older format copied facts: keep only the rule's name
            out = {"rule": stored.get("rule")}
            withheld = [{"count": 1, "reason": WITHHELD_OLD}]
            return {**out, "facts": [], "withheld": withheld,
                    "withheld_note": withheld_note(withheld)}
        shown, why = _facts(refs_of(artefact, stored), policy, got, ids)
        withheld = _summary(why)
        return {**out, "facts": shown, "withheld": withheld,
                "withheld_note": withheld_note(withheld)}
    everything: list[str] = []

    def node(n: dict[str, Any]) -> dict[str, Any]:
        head: dict[str, Any] = {k: n.get(k) for k in ("id", "name", "name_en", "weight", "points",
                                      "contribution") if k in n}
        if "children" in n:
            return {**head, "children": [node(c) for c in n["children"]]}
        head["scorer"] = n.get("scorer")
        if old:
            count = len(n.get("evidence") or [])
            why = [WITHHELD_OLD] * count
            shown: list[dict[str, Any]] = []
        else:
            shown, why = _facts([r for r in n.get("refs") or [] if isinstance(r, dict)],
                                policy, got, ids)
        everything.extend(why)
        if not why:  # derived from facts the reader sees in full
            head["value"] = n.get("value")
            if n.get("note"):
                head["note"] = n["note"]
        withheld = _summary(why)
        return {**head, "facts": shown, "withheld": withheld,
                "withheld_note": withheld_note(withheld)}

    top = {k: v for k, v in stored.items() if k not in ("indicators", "format")}
    indicators = [node(n) for n in stored.get("indicators") or []]
    withheld = _summary(everything)
    return {**top, "indicators": indicators, "withheld": withheld,
            "withheld_note": withheld_note(withheld)}


async def resolve(driver: neo4j.AsyncDriver, database: str, policy: CompiledPolicy,
                  refs: list[dict[str, Any]]) -> dict[int, Resolved]:
    """Resolve ``refs`` (``{i, s, kind, id}``) for the reader in one round trip."""
    if not refs:
        return {}
    records, _, _ = await driver.execute_query(
        resolve_query(policy), {**policy.params, "refs": refs}, database_=database,
        routing_=neo4j.RoutingControl.READ)
    return {int(r["i"]): Resolved(bool(r["found"]), bool(r["ok"]),
                                  dict(r["fact"]) if r["fact"] is not None else None)
            for r in records}


async def render_many(driver: neo4j.AsyncDriver, database: str, policy: CompiledPolicy,
                      items: Sequence[tuple[Artefact, str, Any]]) -> list[dict[str, Any]]:
    """Render stored artefacts ``(artefact, subject uscc, stored blob)`` for the reader,
    resolving all their references together."""
    refs: list[dict[str, Any]] = []
    per_item: list[list[int]] = []
    for artefact, uscc, stored in items:
        mine = []
        for ref in refs_of(artefact, stored):
            mine.append(len(refs))
            refs.append({"i": len(refs), "s": uscc, "kind": str(ref.get("kind")),
                         "id": ref.get("id"), "year": ref.get("year")})
        per_item.append(mine)
    got = await resolve(driver, database, policy, refs)
    return [_render(artefact, stored, policy, got, iter(ids))
            for (artefact, _, stored), ids in zip(items, per_item, strict=True)]


async def render_pending(driver: neo4j.AsyncDriver, database: str, policy: CompiledPolicy,
                         holders: Iterable[object | None]) -> None:
    """Render, in place and in one query, every :class:`Unrendered` ``explanation`` or
    ``evidence`` attribute of ``holders`` (a portrait's credit, alerts…) for the reader."""
    targets: list[tuple[object, str, Unrendered]] = []
    for holder in holders:
        for attr in ("explanation", "evidence"):
            value = getattr(holder, attr, None)
            if isinstance(value, Unrendered):
                targets.append((holder, attr, value))
    if not targets:
        return
    rendered = await render_many(driver, database, policy,
                                 [(u.artefact, u.uscc, u.stored) for _, _, u in targets])
    for (holder, attr, _), view in zip(targets, rendered, strict=True):
        setattr(holder, attr, view)
