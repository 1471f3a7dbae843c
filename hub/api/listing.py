"""Relay connections: ``subjects``, ``creditEvaluations`` and ``alerts``.

Keyset pagination (the cursor holds the last row's sort key and USCC/id), ``first``
capped by settings, ``totalCount`` computed only when selected, policy predicates in the
WHERE of the same query — a filter on a related node (platform, product category) is an
EXISTS subquery that stays inside the caller's scope.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

import neo4j
import strawberry

from hub.api.compliance import alert_visible
from hub.api.context import Context
from hub.api.errors import BadUserInput, Forbidden
from hub.api.portrait import evaluation_visible, to_alert, to_evaluation
from hub.api.types import (
    AlertConnection,
    AlertEdge,
    EvaluationConnection,
    EvaluationEdge,
    PageInfo,
    Purpose,
    RiskClass,
    SubjectConnection,
    SubjectEdge,
    SubjectSummary,
    decode_cursor,
    encode_cursor,
)
from hub.credit.explain_render import render_pending
from hub.identity import uscc as uscc_check
from hub.policy.compiled import CompiledPolicy, jurisdiction_prefixes
from hub.policy.visibility import Kind, section_allowed, sees


@strawberry.enum
class SubjectOrder(Enum):
    USCC = "uscc"
    NAME = "name"
    SCORE_DESC = "score_desc"
    SCORE_ASC = "score_asc"
    REGISTERED_ON = "registered_on"


_ORDER = {  # enum → (sort expression, direction)
    SubjectOrder.USCC: ("s.uscc", "ASC"),
    SubjectOrder.NAME: ("coalesce(s.name, '')", "ASC"),
    SubjectOrder.SCORE_DESC: ("coalesce(s.credit_score, -1.0)", "DESC"),
    SubjectOrder.SCORE_ASC: ("coalesce(s.credit_score, -1.0)", "ASC"),
    SubjectOrder.REGISTERED_ON: ("coalesce(s.registered_on, '')", "ASC"),
}


@strawberry.enum
class AlertState(Enum):
    OPEN = "open"
    NONE_OPEN = "none_open"


@strawberry.input
class SubjectFilter:
    division: str | None = None
    risk_class: list[RiskClass] | None = None
    in_sandbox: bool | None = None
    platform: str | None = None
    product_category: str | None = None
    alert_status: AlertState | None = None


@strawberry.input
class AlertFilter:
    status: list[str] | None = None
    severity: list[str] | None = None
    rule: str | None = None
    uscc: str | None = None


def page_size(ctx: Context, first: int | None) -> int:
    cap = ctx.state.settings.max_page_size
    size = cap if first is None else first
    if size < 0 or size > cap:
        raise BadUserInput(f"first must be between 0 and {cap}, got {first}",
                           "Page through results with endCursor.")
    return size


def division_prefix(code: str) -> str:
    """A six-digit division code covers its subdivisions: 510100 (a city) → 5101; 510110
    stays 510110. Other inputs are taken as a prefix as they are."""
    return jurisdiction_prefixes([code])[0] if len(code) == 6 and code.isdigit() else code


#: Each subject filter and sort → the kind of fact it reads: a caller whose policy lacks
#: that kind's section is refused (a filter must not answer what a read would withhold).
FILTER_KIND: dict[str, Kind] = {
    "division": "Subject", "riskClass": "Credit", "inSandbox": "Credit", "platform": "Store",
    "productCategory": "Product", "alertStatus": "Alert",
}
ORDER_KIND: dict[SubjectOrder, Kind] = {
    SubjectOrder.SCORE_DESC: "Credit", SubjectOrder.SCORE_ASC: "Credit",
    SubjectOrder.REGISTERED_ON: "Subject",
}
_FILTER_ATTR = {"division": "division", "riskClass": "risk_class", "inSandbox": "in_sandbox",
                "platform": "platform", "productCategory": "product_category",
                "alertStatus": "alert_status"}


def _refuse_unseen(policy: CompiledPolicy, what: str, kind: Kind) -> None:
    if not section_allowed(policy, kind):
        section = policy.kinds[kind].section
        raise Forbidden(f"{what} needs the {section} section, which your policy does not "
                        "include", "Leave it out; ask the operator if your agreement "
                        "should cover it.")


def _subject_filters(flt: SubjectFilter | None, params: dict[str, Any],
                     policy: CompiledPolicy) -> list[str]:
    """Filters as predicates; those on related nodes keep the kind's row rule, so they
    count only what the caller may see."""
    where: list[str] = []
    if flt is None:
        return where
    for name, attr in _FILTER_ATTR.items():
        if getattr(flt, attr) is not None:
            _refuse_unseen(policy, f"the filter {name}", FILTER_KIND[name])
    if policy.party_type == "platform" and flt.platform not in (None, policy.params[
            "p_platform"]):
        raise Forbidden("a platform can filter only by its own platform")
    if flt.division:
        params["f_division"] = division_prefix(flt.division)
        where.append("s.division STARTS WITH $f_division")
    if flt.risk_class:
        params["f_classes"] = [c.value for c in flt.risk_class]
        where.append("s.credit_class IN $f_classes")
    if flt.in_sandbox is not None:
        params["f_sandbox"] = flt.in_sandbox
        where.append("coalesce(s.in_sandbox, false) = $f_sandbox")
    if flt.platform:
        params["f_platform"] = flt.platform
        where.append(f"EXISTS {{ (s)-[:OPERATES]->(st:Store) WHERE st.platform_id = "
                     f"$f_platform AND {sees(policy, 'Store', 'st')} }}")
    if flt.product_category:
        params["f_category"] = flt.product_category
        where.append(f"EXISTS {{ (s)-[:OPERATES]->(st:Store)-[:LISTS]->"
                     f"(g:Product {{category: $f_category}}) WHERE {sees(policy, 'Store', 'st')}"
                     f" AND {sees(policy, 'Product', 'g')} }}")
    if flt.alert_status is not None:
        open_alert = (f"EXISTS {{ (a:Alert)-[:ABOUT]->(s) WHERE a.status <> 'closed' AND "
                      f"{sees(policy, 'Alert', 'a')} }}")
        where.append(open_alert if flt.alert_status == AlertState.OPEN else f"NOT {open_alert}")
    return where


async def subjects(ctx: Context, purpose: Purpose, flt: SubjectFilter | None,
                   order: SubjectOrder, first: int | None, after: str | None,
                   want_total: bool) -> SubjectConnection:
    policy = ctx.granted()
    size = page_size(ctx, first)
    if order in ORDER_KIND:
        _refuse_unseen(policy, f"the order {order.name}", ORDER_KIND[order])
    params: dict[str, Any] = {**policy.params, "limit": size + 1}
    where = ["NOT coalesce(s.stub, false)", policy.full(), *_subject_filters(flt, params, policy)]
    key, direction = _ORDER[order]
    scope_where = " AND ".join(where)
    cursor = decode_cursor(after)
    page_where = scope_where
    if cursor is not None:
        if len(cursor) != 2:
            raise BadUserInput("the cursor is not one this API issued")
        params["c_key"], params["c_uscc"] = cursor
        cmp = ">" if direction == "ASC" else "<"
        page_where += (f" AND ({key} {cmp} $c_key OR ({key} = $c_key AND s.uscc > $c_uscc))")
    rows, has_next, total_count = await _fetch_page(
        ctx, "MATCH (s:Subject)", "s", scope_where, page_where, f"""
WITH total, s, {key} AS k ORDER BY k {direction}, s.uscc ASC LIMIT $limit
WITH total, {{k: k, s: s {{.uscc, .name, .kind, .division, .status, .registered_on,
                          .credit_class, .credit_score, .in_sandbox}}}} AS row""",
        params, size, want_total, count_match=policy.subjects_match("s"))
    edges = []
    registration = section_allowed(policy, "Subject")
    credit = section_allowed(policy, "Credit")
    for r in rows:
        s = r["s"]
        node = SubjectSummary(
            uscc=s["uscc"], name=s["name"],
            kind=s["kind"] if registration else None,
            division=s["division"] if registration else None,
            status=s["status"] if registration else None,
            registered_on=s["registered_on"] if registration else None,
            risk_class=RiskClass(s["credit_class"]) if credit and s["credit_class"] else None,
            score=s["credit_score"] if credit else None,
            in_sandbox=s["in_sandbox"] if credit else None)
        edges.append(SubjectEdge(cursor=encode_cursor([r["k"], s["uscc"]]), node=node))
    await ctx.delivered("subjects", purpose.value, [e.node.uscc for e in edges])
    return SubjectConnection(edges=edges, page_info=PageInfo(
        has_next_page=has_next, end_cursor=edges[-1].cursor if edges else None),
        total_count=total_count)


async def _fetch_page(ctx: Context, match: str, var: str, scope_where: str, page_where: str,
                      tail: str, params: dict[str, Any], size: int, want_total: bool,
                      count_match: str | None = None,
                      ) -> tuple[list[dict[str, Any]], bool, int | None]:
    """One page (``size`` rows, fetched as size + 1 to know if another follows) and, when
    asked, the total under the same scope — in the page's own statement, or by a count
    alone when the page is empty (past the last cursor).

    ``tail`` orders, limits and ends in ``WITH total, <map> AS row``; the rows come back
    collected in one record (in order), which the driver decodes far faster than a
    hundred records."""
    # The total may start from a narrower index (a platform's stores) than the page,
    # which streams in key order and stops at the limit.
    counted_from = count_match or match
    total = (f"CALL () {{ {counted_from} WHERE {scope_where} RETURN count({var}) AS total }}"
             if want_total else "WITH null AS total")
    records, _, _ = await ctx.state.driver.execute_query(
        f"{total}\n{match} WHERE {page_where}{tail}\nRETURN total, collect(row) AS rows",
        params, database_=ctx.state.database, routing_=neo4j.RoutingControl.READ)
    rows: list[dict[str, Any]] = records[0]["rows"] if records else []
    total_count: int | None = None
    if want_total:
        if rows:
            total_count = int(records[0]["total"])
        else:
            counted, _, _ = await ctx.state.driver.execute_query(
                f"{counted_from} WHERE {scope_where} RETURN count({var}) AS n", params,
                database_=ctx.state.database, routing_=neo4j.RoutingControl.READ)
            total_count = int(counted[0]["n"])
    return rows[:size], len(rows) > size, total_count


async def credit_evaluations(ctx: Context, purpose: Purpose, uscc: str | None,
                             issuer: str | None, first: int | None, after: str | None,
                             want_total: bool) -> EvaluationConnection:
    policy = ctx.granted()
    size = page_size(ctx, first)
    params: dict[str, Any] = {**policy.params, "limit": size + 1}
    where = [evaluation_visible(policy, "e")]
    if uscc:
        try:
            params["f_uscc"] = uscc_check.validate(uscc)
        except ValueError as exc:
            raise BadUserInput(f"invalid USCC: {exc}") from None
        where.append("s.uscc = $f_uscc")
    if issuer:
        params["f_issuer"] = issuer
        where.append("e.association_id = $f_issuer")
    scope_where = " AND ".join(where)
    cursor = decode_cursor(after)
    page_where = scope_where
    if cursor:
        params["c_id"] = cursor[0]
        page_where += " AND e.id > $c_id"
    rows, has_next, total_count = await _fetch_page(
        ctx, "MATCH (e:CreditEvaluation)-[:RATES]->(s:Subject)", "e", scope_where, page_where,
        "\nWITH total, e ORDER BY e.id LIMIT $limit\nWITH total, {e: properties(e)} AS row",
        params, size, want_total)
    edges = [EvaluationEdge(cursor=encode_cursor([r["e"]["id"]]),
                            node=to_evaluation(r["e"], policy)) for r in rows]
    await ctx.delivered("creditEvaluations", purpose.value, [e.node.id for e in edges])
    return EvaluationConnection(edges=edges, page_info=PageInfo(
        has_next_page=has_next, end_cursor=edges[-1].cursor if edges else None),
        total_count=total_count)


async def alerts(ctx: Context, purpose: Purpose, flt: AlertFilter | None, first: int | None,
                 after: str | None, want_total: bool) -> AlertConnection:
    policy = ctx.granted()
    size = page_size(ctx, first)
    params: dict[str, Any] = {**policy.params, "limit": size + 1}
    where = [alert_visible(policy, "a")]
    if flt:
        if flt.status:
            params["f_status"] = flt.status
            where.append("a.status IN $f_status")
        if flt.severity:
            params["f_severity"] = flt.severity
            where.append("a.severity IN $f_severity")
        if flt.rule:
            params["f_rule"] = flt.rule
            where.append("a.rule = $f_rule")
        if flt.uscc:
            params["f_uscc"] = flt.uscc
            where.append("s.uscc = $f_uscc")
    scope_where = " AND ".join(where)
    cursor = decode_cursor(after)
    page_where = scope_where + (" AND a.id > $c_id" if cursor else "")
    if cursor:
        params["c_id"] = cursor[0]
    rows, has_next, total_count = await _fetch_page(
        ctx, "MATCH (a:Alert)-[:ABOUT]->(s:Subject)", "a", scope_where, page_where,
        "\nWITH total, a, s ORDER BY a.id LIMIT $limit\n"
        "WITH total, {a: properties(a), uscc: s.uscc} AS row", params, size, want_total)
    edges = [AlertEdge(cursor=encode_cursor([r["a"]["id"]]), node=to_alert(r["a"], r["uscc"]))
             for r in rows]
    await render_pending(ctx.state.driver, ctx.state.database, policy, [e.node for e in edges])
    await ctx.delivered("alerts", purpose.value, [e.node.id for e in edges])
    return AlertConnection(edges=edges, page_info=PageInfo(
        has_next_page=has_next, end_cursor=edges[-1].cursor if edges else None),
        total_count=total_count)
