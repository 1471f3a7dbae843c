"""``relatedEntities``: the regulators' traversal of related subjects 关联主体.

Breadth-first, one query per depth level (a level's whole frontier in one statement), so
the fan-out of each shared contact point can be capped *inside* the query: an address
shared by thousands contributes at most ``max_fanout`` neighbours and is flagged. Every
hop keeps the caller's scope predicate on the subject it reaches, so the walk never
steps outside the regulator's jurisdiction. The BFS tree gives each subject its
shortest linking path and the reasons along it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import neo4j
import strawberry

from hub.api.context import Context
from hub.api.errors import BadUserInput
from hub.api.types import Purpose, Relation, RiskClass
from hub.identity import uscc as uscc_check
from hub.policy.compiled import CompiledPolicy
from hub.policy.visibility import sees

MAX_NODES = 500

_PERSON_ROLE = {Relation.LEGAL_REPRESENTATIVE: "LEGAL_REP_OF",
                Relation.SHAREHOLDER: "SHAREHOLDER_OF", Relation.EXECUTIVE: "EXECUTIVE_OF"}


@strawberry.type
class Via:
    kind: str
    label: str | None


@strawberry.type
class Link:
    source: str
    target: str
    relation: Relation
    via: Via | None


@strawberry.type
class RelatedSubject:
    uscc: str
    name: str | None
    risk_class: RiskClass | None
    depth: int
    path: list[Link]
    reasons: list[Relation]


@strawberry.type
class RelatedCounts:
    subjects: int
    links: int
    capped_hubs: int


@strawberry.type
class RelatedEntities:
    root: str
    nodes: list[RelatedSubject]
    edges: list[Link]
    truncated: bool
    counts: RelatedCounts


def _branches(policy: CompiledPolicy, relations: set[Relation]) -> list[str]:
    """One UNION branch per relation. A contact point's degree is probed among the
    subjects the caller may see only (``$probe`` = fan-out + 1), so neither a cap nor a
    count says anything about neighbours outside the caller's scope."""
    scope = policy.full("t")

    def stores(v: str) -> str:
        return sees(policy, "Store", v)

    name = policy.mask("person_name", "p.name")
    tail = "t.uscc AS to, t.name AS name, t.credit_class AS class"
    parts: list[str] = []
    for relation, rel in _PERSON_ROLE.items():
        if relation in relations:
            parts.append(f"""
  MATCH (s)<-[:{rel}]-(p:Person)
  CALL (s, p) {{
    MATCH (p)-[:{rel}]->(t:Subject) WHERE t <> s AND {scope}
    WITH t LIMIT $probe
    RETURN collect(t) AS ts
  }}
  UNWIND ts[..$fanout] AS t
  RETURN {tail}, '{relation.value}' AS rel, 'person' AS via_kind, {name} AS via,
         size(ts) > $fanout AS capped""")
    if Relation.SHAREHOLDER in relations:
        parts.append(f"""
  MATCH (s)-[:SHAREHOLDER_OF]-(t:Subject) WHERE {scope}
  WITH s, t LIMIT $fanout
  RETURN {tail}, 'SHAREHOLDER' AS rel, 'subject' AS via_kind, null AS via, false AS capped""")
    if Relation.BRANCH in relations:
        parts.append(f"""
  MATCH (s)-[:BRANCH_OF]-(t:Subject) WHERE {scope}
  WITH s, t LIMIT $fanout
  RETURN {tail}, 'BRANCH' AS rel, 'subject' AS via_kind, null AS via, false AS capped""")
    for relation, label, rel, shown in (
            (Relation.SHARED_ADDRESS, "Address", "LOCATED_AT", "x.text"),
            (Relation.SHARED_PHONE, "Phone", "REACHABLE_AT", "x.masked")):
        if relation in relations:
            parts.append(f"""
  MATCH (s)-[l0:{rel}]->(x:{label}) WHERE l0.end IS NULL
  CALL (s, x) {{
    MATCH (x)<-[l:{rel}]-(t:Subject) WHERE t <> s AND l.end IS NULL AND {scope}
    WITH t LIMIT $probe
    RETURN collect(t) AS ts
  }}
  UNWIND ts[..$fanout] AS t
  RETURN {tail}, '{relation.value}' AS rel, '{label.lower()}' AS via_kind, {shown} AS via,
         size(ts) > $fanout AS capped""")
    if Relation.SAME_PERSON_STORES in relations:
        parts.append(f"""
  MATCH (s)<-[:LEGAL_REP_OF|SHAREHOLDER_OF]-(p:Person)
  WHERE EXISTS {{ (s)-[:OPERATES]->(st0:Store) WHERE {stores("st0")} }}
  CALL (s, p) {{
    MATCH (p)-[:LEGAL_REP_OF|SHAREHOLDER_OF]->(t:Subject)
    WHERE t <> s AND {scope} AND EXISTS {{ (t)-[:OPERATES]->(st1:Store) WHERE {stores("st1")} }}
    WITH DISTINCT t LIMIT $probe
    RETURN collect(t) AS ts
  }}
  UNWIND ts[..$fanout] AS t
  RETURN {tail}, 'SAME_PERSON_STORES' AS rel, 'person' AS via_kind, {name} AS via,
         size(ts) > $fanout AS capped""")
    return parts


def level_query(policy: CompiledPolicy, relations: set[Relation]) -> str:
    branches = "\n  UNION\n".join(_branches(policy, relations))
    return f"""
UNWIND $frontier AS code
MATCH (s:Subject {{uscc: code}})
CALL (s) {{{branches}
}}
RETURN collect({{code: code, to: to, name: name, class: class, rel: rel, via_kind: via_kind,
                via: via, capped: capped}}) AS rows"""


_RELATIONS = {r.value: r for r in Relation}


@dataclass
class _Found:
    name: str | None
    risk_class: str | None
    depth: int
    parent: Link | None


async def related_entities(ctx: Context, uscc: str, depth: int | None,
                           via: list[Relation] | None, purpose: Purpose) -> RelatedEntities:
    policy = ctx.granted()
    limits = policy.policy.traversal
    allowed = {Relation(r) for r in limits.relations}
    wanted = set(via) if via else allowed
    if not wanted <= allowed:
        denied = ", ".join(sorted(r.value for r in wanted - allowed))
        raise BadUserInput(f"relations not allowed by your policy: {denied}")
    hops = limits.max_depth if depth is None else depth
    if not 1 <= hops <= limits.max_depth:
        raise BadUserInput(f"depth must be between 1 and {limits.max_depth}, got {depth}")
    try:
        code = uscc_check.validate(uscc)
    except ValueError as exc:
        raise BadUserInput(f"invalid USCC: {exc}") from None
    db, driver = ctx.state.database, ctx.state.driver
    records, _, _ = await driver.execute_query(
        f"MATCH (s:Subject {{uscc: $uscc}}) WHERE {policy.full()} RETURN s.uscc AS u",
        {"uscc": code, **policy.params}, database_=db, routing_=neo4j.RoutingControl.READ)
    if not records:
        await ctx.delivered("relatedEntities", purpose.value, [])
        return RelatedEntities(root=code, nodes=[], edges=[], truncated=False,
                               counts=RelatedCounts(subjects=0, links=0, capped_hubs=0))
    found: dict[str, _Found] = {code: _Found(None, None, 0, None)}
    edges: dict[tuple[str, ...], Link] = {}
    truncated, capped = False, 0
    frontier = [code]
    text = level_query(policy, wanted)
    for level in range(1, hops + 1):
        if not frontier:
            break
        params: dict[str, Any] = {"frontier": frontier, "fanout": limits.max_fanout,
                                  "probe": limits.max_fanout + 1, **policy.params}
        records, _, _ = await driver.execute_query(text, params, database_=db,
                                                   routing_=neo4j.RoutingControl.READ)
        next_frontier: list[str] = []
        rows: list[dict[str, Any]] = records[0]["rows"]  # one record: the level's links
        for row in rows:
            if row["capped"]:
                truncated = True
                capped += 1
            source, target, rel = row["code"], row["to"], row["rel"]
            key = (source, target, rel) if source < target else (target, source, rel)
            link = edges.get(key)
            if link is None:  # thousands of rows per level: build each link once
                link = edges[key] = Link(source=source, target=target,
                                         relation=_RELATIONS[rel],
                                         via=Via(kind=row["via_kind"], label=row["via"]))
            if target not in found:
                if len(found) > MAX_NODES:
                    truncated = True
                    continue
                found[target] = _Found(row["name"], row["class"], level, link)
                next_frontier.append(target)
        frontier = next_frontier
    nodes = []
    for target, info in found.items():
        if target == code:
            continue
        path: list[Link] = []
        cursor = info
        while cursor.parent is not None:
            path.append(cursor.parent)
            cursor = found[cursor.parent.source]
        path.reverse()
        nodes.append(RelatedSubject(
            uscc=target, name=info.name,
            risk_class=RiskClass(info.risk_class) if info.risk_class else None,
            depth=info.depth, path=path, reasons=[link.relation for link in path]))
    nodes.sort(key=lambda n: (n.depth, n.uscc))
    await ctx.delivered("relatedEntities", purpose.value, [code] + [n.uscc for n in nodes])
    return RelatedEntities(root=code, nodes=nodes, edges=list(edges.values()),
                           truncated=truncated,
                           counts=RelatedCounts(subjects=len(nodes), links=len(edges),
                                                capped_hubs=capped))
