"""``subject``: a subject's credit portrait in one query, shaped by the caller's policy.

Each section is a pattern comprehension inside the same statement (no N+1), included
only when the policy allows it *and* the caller selected it; every nested pattern keeps
the party's predicates (a platform sees its own stores, complaints made through it, and
the alerts pushed to it — never another platform's).
"""

from __future__ import annotations

from typing import Any

import neo4j
import strawberry
from strawberry.scalars import JSON

from hub.api.context import Context
from hub.api.errors import BadUserInput
from hub.api.selection import children
from hub.api.types import Alert, Credit, Evaluation, PlatformAction, Provenance, RiskClass
from hub.credit.explain_render import pending, render_pending
from hub.identity import uscc as uscc_check
from hub.policy.compiled import CompiledPolicy
from hub.policy.visibility import Kind, details, section_allowed, sees, shared_with

SECTION_CAP = 100


@strawberry.type
class Person:
    name: str | None
    id_number: str | None


@strawberry.type
class Role:
    role: str
    person: Person | None
    holder_uscc: str | None
    share: float | None
    title: str | None
    start: str | None
    end: str | None
    provenance: Provenance | None


@strawberry.type
class Product:
    product_id: str | None
    title: str | None
    category: str | None
    price: float | None
    listed_on: str | None
    delisted_on: str | None


@strawberry.type
class Store:
    platform_id: str | None
    shop_id: str | None
    name: str | None
    licence_displayed: bool | None
    opened_on: str | None
    closed_on: str | None
    products: list[Product] | None
    provenance: Provenance | None


@strawberry.type
class Licence:
    licence_no: str | None
    licence_type: str | None
    valid_from: str | None
    valid_to: str | None
    provenance: Provenance | None


@strawberry.type
class Fact:
    """A dated fact of the portrait (annual report, change, complaint, case, inspection)."""

    id: str | None
    kind: str
    date: str | None
    details: JSON
    provenance: Provenance | None


@strawberry.type
class SubjectPortrait:
    uscc: str
    name: str | None
    kind: str | None
    division: str | None
    registered_on: str | None
    status: str | None
    industry: str | None
    provenance: Provenance | None
    credit: Credit | None
    people: list[Role] | None
    stores: list[Store] | None
    licences: list[Licence] | None
    annual_reports: list[Fact] | None
    registration_changes: list[Fact] | None
    complaints: list[Fact] | None
    cases: list[Fact] | None
    inspections: list[Fact] | None
    evaluations: list[Evaluation] | None
    alerts: list[Alert] | None


def _sections(policy: CompiledPolicy, want: dict[str, Any]) -> dict[str, str]:
    """Section name → Cypher expression, for the sections both allowed and selected; each
    nested pattern keeps the kind's row rule (hub.policy.visibility.sees)."""
    name = policy.mask("person_name", "p.name")
    ident = policy.mask("id_number", "p.id_masked")
    cap = SECTION_CAP

    def owned(rel: str, label: str, kind: Kind, forward: bool = True) -> str:
        pattern = f"(s)-[:{rel}]->(x:{label})" if forward else f"(x:{label})-[:{rel}]->(s)"
        return f"[{pattern} WHERE {sees(policy, kind, 'x')} | properties(x)][..{cap}]"

    exprs: dict[str, tuple[Kind, str]] = {
        "people": ("Role", f"""[(h)-[r:LEGAL_REP_OF|SHAREHOLDER_OF|EXECUTIVE_OF]->(s)
            WHERE {sees(policy, "Role", "r")}
            | {{role: type(r), r: properties(r),
                person: CASE WHEN h:Person THEN {{name: {name.replace('p.', 'h.')},
                                                  id: {ident.replace('p.', 'h.')}}} END,
                holder: CASE WHEN h:Subject THEN h.uscc END}}][..{cap}]"""),
        "stores": ("Store", f"""[(s)-[:OPERATES]->(st:Store) WHERE {sees(policy, "Store", "st")}
            | {{st: properties(st), products: CASE WHEN $want_products THEN
                 [(st)-[:LISTS]->(g:Product) WHERE {sees(policy, "Product", "g")}
                  | properties(g)][..{cap}] END}}][..{cap}]"""),
        "licences": ("Licence", owned("HOLDS", "Licence", "Licence")),
        "annualReports": ("AnnualReport", owned("FILED", "AnnualReport", "AnnualReport")),
        "registrationChanges": ("RegistrationChange",
                                owned("CHANGED", "RegistrationChange", "RegistrationChange")),
        "complaints": ("Complaint", owned("AGAINST", "Complaint", "Complaint", False)),
        "cases": ("Case", owned("CONCERNS", "Case", "Case", False)),
        "inspections": ("Inspection", owned("OF", "Inspection", "Inspection", False)),
        "evaluations": ("CreditEvaluation", owned("RATES", "CreditEvaluation",
                                                  "CreditEvaluation", False)),
        "alerts": ("Alert", f"""[(a:Alert)-[:ABOUT]->(s) WHERE {sees(policy, "Alert", "a")}
            | properties(a)][..{cap}]"""),
    }
    return {field: expr for field, (kind, expr) in exprs.items()
            if field in want and section_allowed(policy, kind)}


def evaluation_visible(policy: CompiledPolicy, e: str = "e") -> str:
    """Associations: their own and those shared with them; others: shared with them."""
    return sees(policy, "CreditEvaluation", e)


def _prov(data: dict[str, Any] | None) -> Provenance | None:
    return Provenance.of(data)


def _fact(policy: CompiledPolicy, kind: Kind, key: str, date_key: str,
          data: dict[str, Any]) -> Fact:
    # An allow-list (access.yaml kinds.<kind>.details): a property added to the graph
    # later is not sent until the policy names it.
    return Fact(id=data.get(key), kind=_FACT_NAME[kind], date=data.get(date_key),
                details=details(policy, kind, data),  # type: ignore[arg-type]
                provenance=_provenance(policy, data))


_FACT_NAME: dict[Kind, str] = {
    "AnnualReport": "annual_report", "RegistrationChange": "registration_change",
    "Complaint": "complaint", "Case": "case", "Inspection": "inspection"}


def _provenance(policy: CompiledPolicy, data: dict[str, Any]) -> Provenance | None:
    return _prov(data) if section_allowed(policy, "Provenance") else None


def to_evaluation(data: dict[str, Any], policy: CompiledPolicy) -> Evaluation:
    return Evaluation(id=data["id"], uscc=data.get("uscc") or "", issuer=data.get(
        "association_id"), grade=data.get("grade"), score=data.get("score"),
        issued_on=data.get("issued_on"), valid_to=data.get("valid_to"),
        shared_with=shared_with(policy, data), provenance=_provenance(policy, data))


def to_alert(data: dict[str, Any], uscc: str | None = None) -> Alert:
    """Evidence stays withheld until rendered for the reader (explain_render.render_pending)."""
    code = uscc or data.get("uscc") or ""
    action = data.get("recommended_action")
    return Alert(id=data["id"], uscc=code, rule=data.get("rule"),
                 severity=data.get("severity"), status=data.get("status"),
                 created_at=data.get("created_at"), deadline=data.get("deadline"),
                 recommended_action=PlatformAction(action) if action else None,
                 evidence=pending("evidence", code,  # type: ignore[arg-type]
                                  data.get("evidence_json")))


def _credit(s: dict[str, Any], explanation: Any) -> Credit:
    """The explanation stays withheld until rendered for the reader (render_pending)."""
    cls = s.get("credit_class")
    return Credit(risk_class=RiskClass(cls) if cls else None, score=s.get("credit_score"),
                  colour=s.get("credit_colour"), version=s.get("credit_version"),
                  scored_at=s.get("credit_scored_at"), in_sandbox=s.get("in_sandbox"),
                  explanation=pending(  # type: ignore[arg-type]
                      "explanation", s["uscc"], explanation))


def build(policy: CompiledPolicy, want: dict[str, Any]) -> tuple[str, list[str]]:
    sections = _sections(policy, want)
    explanation = ("[(c:CreditAssessment)-[:ASSESSES]->(s) WHERE c.current | "
                   "c.explanation_json][0]"
                   if "credit" in want and policy.section("credit") else "null")
    projections = ",\n       ".join(f"{expr} AS {field}" for field, expr in sections.items())
    text = f"""
MATCH (s:Subject {{uscc: $uscc}})
WHERE NOT coalesce(s.stub, false) AND {policy.full()}
RETURN properties(s) AS s, {explanation} AS explanation{',' if projections else ''}
       {projections}"""
    return text, list(sections)


def to_portrait(rec: dict[str, Any], policy: CompiledPolicy,
                fields: list[str]) -> SubjectPortrait:
    s = rec["s"]
    registration = policy.section("registration")
    got = {f: rec[f] for f in fields}
    stores = got.get("stores")
    return SubjectPortrait(
        uscc=s["uscc"], name=s.get("name"),
        kind=s.get("kind") if registration else None,
        division=s.get("division") if registration else None,
        registered_on=s.get("registered_on") if registration else None,
        status=s.get("status") if registration else None,
        industry=s.get("industry") if registration else None,
        provenance=_provenance(policy, s),
        credit=_credit(s, rec["explanation"]) if section_allowed(policy, "Credit") else None,
        people=None if got.get("people") is None else [
            Role(role=p["role"], person=Person(name=p["person"]["name"],
                                               id_number=p["person"]["id"])
                 if p["person"] else None,
                 holder_uscc=p["holder"], share=p["r"].get("share"), title=p["r"].get("title"),
                 start=p["r"].get("start"), end=p["r"].get("end"),
                 provenance=_provenance(policy, p["r"]))
            for p in got["people"]],
        stores=None if stores is None else [
            Store(platform_id=x["st"].get("platform_id"), shop_id=x["st"].get("shop_id"),
                  name=x["st"].get("name"), licence_displayed=x["st"].get("licence_displayed"),
                  opened_on=x["st"].get("opened_on"), closed_on=x["st"].get("closed_on"),
                  products=None if x["products"] is None else [
                      Product(product_id=g.get("product_id"), title=g.get("title"),
                              category=g.get("category"), price=g.get("price"),
                              listed_on=g.get("listed_on"), delisted_on=g.get("delisted_on"))
                      for g in x["products"]],
                  provenance=_provenance(policy, x["st"])) for x in stores],
        licences=None if got.get("licences") is None else [
            Licence(licence_no=x.get("licence_no"), licence_type=x.get("licence_type"),
                    valid_from=x.get("valid_from"), valid_to=x.get("valid_to"),
                    provenance=_provenance(policy, x)) for x in got["licences"]],
        annual_reports=_facts(policy, got, "annualReports", "AnnualReport", "key",
                              "filed_on"),
        registration_changes=_facts(policy, got, "registrationChanges",
                                    "RegistrationChange", "id", "changed_on"),
        complaints=_facts(policy, got, "complaints", "Complaint", "id", "received_on"),
        cases=_facts(policy, got, "cases", "Case", "id", "opened_on"),
        inspections=_facts(policy, got, "inspections", "Inspection", "id", "inspected_on"),
        evaluations=None if got.get("evaluations") is None else [
            to_evaluation(x, policy) for x in got["evaluations"]],
        alerts=None if got.get("alerts") is None else [
            to_alert(x, s["uscc"]) for x in got["alerts"]],
    )


def _facts(policy: CompiledPolicy, got: dict[str, Any], field: str, kind: Kind, key: str,
           date_key: str) -> list[Fact] | None:
    items = got.get(field)
    if items is None:
        return None
    return [_fact(policy, kind, key, date_key, x) for x in items]


def count_records(portrait: SubjectPortrait) -> list[str]:
    """The ids of what a portrait returned (for the access log)."""
    return [portrait.uscc]


async def subject(ctx: Context, uscc: str, purpose: str,
                  root: dict[str, Any]) -> SubjectPortrait | None:
    policy = ctx.granted()
    try:
        code = uscc_check.validate(uscc)
    except ValueError as exc:
        raise BadUserInput(f"invalid USCC: {exc}") from None
    want = dict(root)
    stores = want.get("stores")
    want_products = stores is not None and "products" in children(stores)
    text, fields = build(policy, want)
    records, _, _ = await ctx.state.driver.execute_query(
        text, {"uscc": code, "want_products": want_products, **policy.params},
        database_=ctx.state.database, routing_=neo4j.RoutingControl.READ)
    if not records:
        await ctx.delivered("subject", purpose, [])
        return None
    portrait = to_portrait(dict(records[0]), policy, fields)
    await render_pending(ctx.state.driver, ctx.state.database, policy,
                         [portrait.credit, *(portrait.alerts or [])])
    await ctx.delivered("subject", purpose, count_records(portrait))
    return portrait
