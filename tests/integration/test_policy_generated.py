"""The generated policy matrix: every root field, nested field path, filter and mutation of
the GraphQL schema (introspected), for every party of a small world, over real HTTP on the
real Neo4j, compared with a ground truth computed here — plain Cypher over the world and
the *meaning* of ``policies/access.yaml`` (read as YAML, not through hub.policy), never
the hub's query builders.

Besides exact answers (which rows of which kind come back), every answer is scanned for
tokens the party must never receive (ids and values of rows outside its view, properties
outside the allow-lists). And the schema itself is checked: a root field, an object type
or a field without a visibility rule fails here.

Every subject is scored first, so the credit explanation and alert evidence (references
rendered per reader) are part of every generated answer and scanned for hidden ids too;
subscription and webhook payloads per recipient are tested in test_artefacts_visibility.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import neo4j
import pytest
import yaml
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    Undefined,
    get_named_type,
    is_leaf_type,
)

from hub.api.schema import build_schema
from hub.policy.model import OPERATIONS
from hub.policy.operations import ROOT_FIELDS
from hub.settings import PROJECT_ROOT, Settings
from tests.conftest import live_server, make_settings, wipe
from tests.integration.api_world import (
    CLOSED_NEW,
    CLOSED_OLD,
    IN_JJ,
    IN_JJ2,
    IN_WH,
    LONE,
    PARTIES,
    POLICY_PARTIES,
    World,
    build_policy_graph,
    token,
)

ACCESS: dict[str, Any] = yaml.safe_load(
    (PROJECT_ROOT / "policies" / "access.yaml").read_text(encoding="utf-8"))
ALL_PARTIES: dict[str, dict[str, Any]] = {**PARTIES, **POLICY_PARTIES}
CODES = [IN_JJ, IN_JJ2, IN_WH, LONE, CLOSED_OLD, CLOSED_NEW]
MAX_DEPTH = 6


@pytest.fixture(scope="module")
def policy_world(driver: neo4j.Driver, neo4j_conn: Any,
                 tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """One world for the whole module: every test here only reads (the mutation test
    asserts that nothing was written)."""
    from hub.settings import Neo4jSettings

    tmp = tmp_path_factory.mktemp("policy")
    wipe(driver, neo4j_conn.database)
    _SCOPES.clear()
    creds = build_policy_graph(driver, tmp)
    # Score every subject: explanations and alert evidence (references to other parties'
    # facts) then appear in every generated document, and assert_no_leak scans them.
    from hub.credit.engine import rescore

    codes, _, _ = driver.execute_query("MATCH (s:Subject) RETURN collect(s.uscc) AS c")
    rescore(driver, neo4j_conn.database, codes[0]["c"], neighbours=False)
    scored, _, _ = driver.execute_query(
        "MATCH (c:CreditAssessment {current: true}) WHERE c.explanation_json IS NOT NULL "
        "RETURN count(c) AS n")
    assert scored[0]["n"] > 0, "the world's explanations must exist to be scanned"
    settings = make_settings(
        neo4j=Neo4jSettings(uri=neo4j_conn.uri, user=neo4j_conn.user,
                            password=neo4j_conn.password,  # type: ignore[arg-type]
                            database=neo4j_conn.database),
        key_dir=tmp / "keys", audit_dir=tmp / "audit")
    with live_server(settings) as url:
        w = World(url=url, graph=driver, audit_dir=tmp / "audit")
        for pid, (cid, secret) in creds.items():
            w.tokens[pid] = token(url, cid, secret)
        yield w
    wipe(driver, neo4j_conn.database)


_SCOPES: dict[str, set[str]] = {}


def schema() -> GraphQLSchema:
    return build_schema(Settings())._schema  # type: ignore[attr-defined, no-any-return]


def party_policy(party: str) -> dict[str, Any]:
    return ACCESS["party_types"][ALL_PARTIES[party]["party_type"]]  # type: ignore[no-any-return]


def purpose_of(party: str) -> str:
    return str(party_policy(party)["purposes"][0]).upper()


def has_section(party: str, kind: str) -> bool:
    section = ACCESS["kinds"][kind].get("section")
    return section is None or section in party_policy(party)["sections"]


# -- the ground truth: the YAML's meaning, written as plain Cypher ---------------------

def prefixes(codes: list[str]) -> list[str]:
    out = []
    for code in codes:
        while len(code) > 2 and code.endswith("00"):
            code = code[:-2]
        out.append(code)
    return out


def full_scope(g: neo4j.Driver, party: str) -> set[str]:
    """Subjects the party has the full view of (access.yaml ``scope``); the module's
    world does not change, so each party's is computed once."""
    if party not in _SCOPES:
        _SCOPES[party] = _full_scope(g, party)
    return _SCOPES[party]


def _full_scope(g: neo4j.Driver, party: str) -> set[str]:
    spec, scope = ALL_PARTIES[party], party_policy(party)["scope"]
    if scope == "jurisdiction":
        rows = g.execute_query("MATCH (s:Subject) WHERE NOT coalesce(s.stub, false) "
                               "RETURN s.uscc AS u, s.division AS d").records
        pre = prefixes(spec["jurisdictions"])
        return {r["u"] for r in rows if any(r["d"].startswith(p) for p in pre)}
    if scope == "platform_merchants":  # an open store, or closed within the grace period
        since = date.today() - timedelta(days=ACCESS["enrolment"]["closed_store_grace_days"])
        rows = g.execute_query(
            "MATCH (s:Subject)-[:OPERATES]->(st:Store {platform_id: $p}) "
            "WHERE NOT coalesce(s.stub, false) AND (st.closed_on IS NULL OR "
            "st.closed_on >= $since) RETURN DISTINCT s.uscc AS u",
            p=spec["platform_id"], since=since.isoformat()).records
        return {r["u"] for r in rows}
    if scope == "association_members":
        rows = g.execute_query(
            "MATCH (s:Subject)-[m:MEMBER_OF]->(:Association {id: $a}) WHERE m.end IS NULL "
            "RETURN s.uscc AS u", a=spec["association_id"]).records
        return {r["u"] for r in rows}
    return set()


def view_of(g: neo4j.Driver, party: str, code: str) -> str | None:
    if code in full_scope(g, party):
        return "full"
    outside = party_policy(party)["outside_scope"]
    return None if outside == "none" else str(outside)


#: kind → (Cypher from subject ``s`` to rows ``x``, the id returned, per party-type rule).
ROWS: dict[str, tuple[str, str]] = {
    "Store": ("(s)-[:OPERATES]->(x:Store)", "x.shop_id"),
    "Product": ("(s)-[:OPERATES]->(st:Store)-[:LISTS]->(x:Product)", "x.product_id"),
    "Licence": ("(s)-[:HOLDS]->(x:Licence)", "x.licence_no"),
    "AnnualReport": ("(s)-[:FILED]->(x:AnnualReport)", "x.key"),
    "RegistrationChange": ("(s)-[:CHANGED]->(x:RegistrationChange)", "x.id"),
    "Complaint": ("(x:Complaint)-[:AGAINST]->(s)", "x.id"),
    "Case": ("(x:Case)-[:CONCERNS]->(s)", "x.id"),
    "Inspection": ("(x:Inspection)-[:OF]->(s)", "x.id"),
    "CreditEvaluation": ("(x:CreditEvaluation)-[:RATES]->(s)", "x.id"),
    "Alert": ("(x:Alert)-[:ABOUT]->(s)", "x.id"),
}


def row_rule(party: str, kind: str) -> str:
    """The meaning of each party type's rows, as a Cypher condition on ``x``."""
    spec, ptype = ALL_PARTIES[party], ALL_PARTIES[party]["party_type"]
    if ptype == "platform":
        own = f"'{spec['platform_id']}'"
        return {"Store": f"x.platform_id = {own}",
                "Product": f"st.platform_id = {own}",
                "Complaint": f"EXISTS {{ (x)-[:VIA]->(:Platform {{id: {own}}}) }}",
                "Alert": f"EXISTS {{ (x)-[:NOTIFIES]->(:Party {{id: '{party}'}}) }}",
                "CreditEvaluation": f"'{party}' IN coalesce(x.shared_with, [])",
                }.get(kind, "true")
    if kind == "CreditEvaluation":
        if ptype == "association":
            return (f"(x.association_id = '{spec['association_id']}' OR "
                    f"'{party}' IN coalesce(x.shared_with, []))")
        return f"'{party}' IN coalesce(x.shared_with, [])"
    if kind == "Alert" and ptype != "regulator":
        return "false"
    return "true"


def visible_rows(g: neo4j.Driver, party: str, kind: str, code: str) -> set[str] | None:
    """What the party sees of ``kind`` on subject ``code`` (None: the section is withheld)."""
    if not has_section(party, kind):
        return None
    pattern, key = ROWS[kind]
    rows = g.execute_query(f"MATCH (s:Subject {{uscc: $u}}) MATCH {pattern} "
                           f"WHERE {row_rule(party, kind)} RETURN DISTINCT {key} AS k",
                           u=code).records
    return {r["k"] for r in rows}


def forbidden_tokens(g: neo4j.Driver, party: str) -> set[str]:
    """Every id of a row the party may not see (in any subject), and values no allow-list
    names: none of them may appear anywhere in any answer to the party."""
    scope = full_scope(g, party)
    tokens = {"INSPECTOR-SECRET-7"}  # inspectors' ids: outside Inspection's allow-list
    for kind, (pattern, key) in ROWS.items():
        every = {r["k"] for r in g.execute_query(
            f"MATCH (s:Subject) MATCH {pattern} RETURN DISTINCT {key} AS k").records}
        seen: set[str] = set()
        # Evaluations are shared across scopes (mutual recognition 互认): an association
        # or platform sees one shared with it about any subject; a regulator in its scope.
        shared = kind == "CreditEvaluation" and ALL_PARTIES[party]["party_type"] != "regulator"
        for code in (CODES if shared else scope):
            seen |= visible_rows(g, party, kind, code) or set()
        tokens |= every - seen
    return {t for t in tokens if t}


def leaves(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for v in value.values():
            yield from leaves(v)
    elif isinstance(value, list):
        for v in value:
            yield from leaves(v)
    elif value is not None:
        yield str(value)


def assert_no_leak(body: dict[str, Any], tokens: set[str], where: str) -> None:
    long_tokens = [t for t in tokens if len(t) >= 5]
    for leaf in leaves(body.get("data")):
        assert leaf not in tokens, f"{where}: leaked {leaf!r}"
        for t in long_tokens:
            assert t not in leaf, f"{where}: leaked {t!r} inside {leaf!r}"
    for error in body.get("errors", []):  # refusals name no hidden row either
        for t in long_tokens:
            assert t not in error.get("message", ""), f"{where}: error names {t!r}"


# -- documents generated from the schema ------------------------------------------------

def selection(t: Any, depth: int = 0) -> str:
    named = get_named_type(t)
    if is_leaf_type(named):
        return ""
    assert isinstance(named, GraphQLObjectType), named
    if depth >= MAX_DEPTH:
        return "{ __typename }"
    parts = []
    for name, fld in named.fields.items():
        if any(isinstance(a.type, GraphQLNonNull) and a.default_value is Undefined
               for a in fld.args.values()):
            continue
        parts.append(f"{name} {selection(fld.type, depth + 1)}".strip())
    return "{ " + " ".join(parts) + " }"


def literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Enum):
        return value.name
    if isinstance(value, str):
        return '"' + value.replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {literal(v)}" for k, v in value.items()) + "}"
    return str(value)


class Enum(str):
    """An enum value written bare in a document."""

    @property
    def name(self) -> str:
        return str(self)


def arg_values(party: str, code: str) -> dict[str, Any]:
    """A value for every argument name a root field may require (a new required argument
    without an entry fails the test)."""
    spec = ALL_PARTIES[party]
    division = (spec.get("jurisdictions") or ["510104"])[0]
    return {"purpose": Enum(purpose_of(party)), "uscc": code, "usccs": CODES,
            "division": division, "period": "2026Q2", "seed": "matrix"}


def root_call(op: str, fld: Any, values: dict[str, Any], alias: str = "") -> str:
    args = []
    for name, arg in fld.args.items():
        if name in values:
            args.append(f"{name}: {literal(values[name])}")
        else:
            assert not isinstance(arg.type, GraphQLNonNull) or \
                arg.default_value is not Undefined, f"{op}.{name}: no test value"
    call = f"({', '.join(args)})" if args else ""
    return f"{alias + ': ' if alias else ''}{op}{call} {selection(fld.type)}"


def allowed(party: str, op: str) -> bool:
    return op in party_policy(party)["operations"]


# -- 1. the schema has a rule for everything it can return ------------------------------

def test_every_root_field_has_one_operation_rule() -> None:
    s = schema()
    roots = {name for t in (s.query_type, s.mutation_type, s.subscription_type) if t
             for name in t.fields}
    assert roots == set(ROOT_FIELDS), "each root field needs a rule in hub.policy.operations"
    assert roots - {"version"} <= OPERATIONS, "each root field's operation is its own name"
    for ptype, spec in ACCESS["party_types"].items():
        assert set(spec["operations"]) <= roots, f"{ptype}: an operation no field has"


def test_every_returned_field_is_covered_by_an_allow_list() -> None:
    s = schema()
    covered: dict[str, set[str]] = {}
    for kind in ACCESS["kinds"].values():
        for owner, names in (kind.get("types") or {}).items():
            covered.setdefault(owner, set()).update(names)
        for key in kind.get("special") or {}:
            owner, _, name = key.partition(".")
            covered.setdefault(owner, set()).add(name)
    structural = set(ACCESS["structural_types"])
    seen: set[str] = set()

    def walk(t: Any) -> None:
        named = get_named_type(t)
        if not isinstance(named, GraphQLObjectType) or named.name in seen or \
                named.name.startswith("__"):
            return
        seen.add(named.name)
        if named.name not in structural:
            assert named.name in covered, f"type {named.name} has no kind in access.yaml"
            missing = set(named.fields) - covered[named.name]
            assert not missing, f"{named.name}: fields without a visibility rule: {missing}"
        for fld in named.fields.values():
            walk(fld.type)

    for root in (s.query_type, s.mutation_type, s.subscription_type):
        walk(root)
    assert seen >= {"SubjectPortrait", "Store", "Fact", "Evaluation", "Alert"}


# -- 2. every root query, for every party --------------------------------------------

def test_every_query_for_every_party(policy_world: World) -> None:
    g = policy_world.graph
    assert g is not None
    q = schema().query_type
    for party in ALL_PARTIES:
        tokens = forbidden_tokens(g, party)
        for op, fld in q.fields.items():
            # One document per field: each subject under its own alias.
            codes = CODES if "uscc" in fld.args and allowed(party, op) else [IN_JJ]
            doc = "{ " + " ".join(root_call(op, fld, arg_values(party, c), f"c{i}")
                                  for i, c in enumerate(codes)) + " }"
            body = policy_world.gql(party, doc).json()
            where = f"{party} {op}"
            assert_no_leak(body, tokens, where)
            errors = {e["path"][0]: e for e in body.get("errors", [])}
            if ROOT_FIELDS[op].public:
                assert not errors, (where, body)
                continue
            if not allowed(party, op):  # refused by the policy (or the token's scopes)
                assert len(errors) == len(codes), (where, body)
                for error in errors.values():
                    assert error["extensions"]["code"] == "FORBIDDEN", (where, body)
                    assert op in error["message"] or "scope" in error["message"], error
                continue
            for i, code in enumerate(codes):
                alias = f"c{i}"
                answer = {"data": {op: (body.get("data") or {}).get(alias)},
                          "errors": [errors[alias]] if alias in errors else []}
                if body.get("data") is None and alias not in errors:
                    # another alias's error nulled the whole (non-null) answer: ask alone
                    alone = policy_world.gql(party, "{ " + root_call(
                        op, fld, arg_values(party, code)) + " }").json()
                    assert_no_leak(alone, tokens, where)
                    answer = {"data": alone.get("data") or {op: None},
                              "errors": alone.get("errors", [])}
                check_answer(policy_world, party, op, code, answer, f"{where}({code})")


def check_answer(w: World, party: str, op: str, code: str, body: dict[str, Any],
                 where: str) -> None:
    g = w.graph
    assert g is not None
    scope = full_scope(g, party)
    if op == "subject":
        portrait = (body.get("data") or {}).get("subject")
        if code not in scope:
            assert portrait is None, where
            return
        assert portrait is not None, (where, body)
        for fieldname, kind, key in SECTIONS:
            got = portrait[fieldname]
            expected = visible_rows(g, party, kind, code)
            if expected is None:
                assert got is None, f"{where}.{fieldname}: section withheld"
                continue
            ids = ({p[key] for st in portrait["stores"] or [] for p in st["products"] or []}
                   if kind == "Product" else {x[key] for x in got})
            assert ids == expected, f"{where}.{fieldname}: {ids} != {expected}"
        assert (portrait["provenance"] is None) != has_section(party, "Provenance"), where
        for ev in portrait["evaluations"] or []:
            recipients = set(ev["sharedWith"] or [])
            issuer = ALL_PARTIES[party].get("association_id") == ev["issuer"]
            assert issuer or recipients <= {party}, f"{where}: other recipients shown"
        for fact in portrait["inspections"] or []:
            assert set(fact["details"]) <= set(ACCESS["kinds"]["Inspection"]["details"])
    elif op == "complianceStatus":
        for item in body["data"]["complianceStatus"]:
            view = view_of(g, party, item["uscc"])
            assert item["known"] == (view is not None), (where, item)
            if view != "full":
                assert item["openAlerts"] is None, (where, item)
            else:
                alerts = visible_rows(g, party, "Alert", item["uscc"]) or set()
                assert item["openAlerts"] == len(alerts), (where, item)
            if view in ("status", "public") and item["uscc"] == LONE:
                assert item["name"] == "锦****店", f"{where}: individual name in clear"
    elif op == "subjects":
        data = body["data"]["subjects"]
        assert {e["node"]["uscc"] for e in data["edges"]} == scope, where
        assert data["totalCount"] == len(scope), where
    elif op == "alerts":
        got = {e["node"]["id"] for e in body["data"]["alerts"]["edges"]}
        expected = set().union(*(visible_rows(g, party, "Alert", c) or set() for c in scope))
        assert got == expected, where
        assert body["data"]["alerts"]["totalCount"] == len(expected), where
    elif op == "creditEvaluations":
        got = {e["node"]["id"] for e in body["data"]["creditEvaluations"]["edges"]}
        rule = row_rule(party, "CreditEvaluation")
        rows = g.execute_query(f"MATCH (x:CreditEvaluation)-[:RATES]->(s:Subject) "
                               f"WHERE {rule} RETURN x.id AS id, s.uscc AS u").records
        expected = {r["id"] for r in rows if r["u"] == code  # the uscc argument
                    and (ALL_PARTIES[party]["party_type"] != "regulator" or r["u"] in scope)}
        assert got == expected, where
    elif op == "relatedEntities":
        related = body["data"]["relatedEntities"]
        assert {n["uscc"] for n in related["nodes"]} <= scope, where
        for link in related["edges"]:
            assert {link["source"], link["target"]} <= scope | {code}, where
    elif op == "reminders":
        if code not in scope:
            assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND", where
            return
        food = g.execute_query(
            f"MATCH (s:Subject {{uscc: $u}})-[:OPERATES]->(st:Store)-[:LISTS]->"
            f"(x:Product {{category: 'food'}}) WHERE {row_rule(party, 'Product')} "
            f"AND {row_rule(party, 'Store').replace('x.', 'st.')} RETURN count(*) AS n",
            u=code).records[0]["n"] > 0 and has_section(party, "Product")
        ids = [r["id"] for r in body["data"]["reminders"]]
        assert any(i.startswith("food_risk_points:") for i in ids) == food, (where, ids)
    elif op == "enrolments":
        rows = g.execute_query("MATCH (en:Enrolment)-[:OF]->(s:Subject) "
                               "RETURN s.uscc AS u, en.platform_id AS p").records
        expected = {(r["u"], r["p"]) for r in rows if r["u"] in scope}
        got = {(e["uscc"], e["platformId"]) for e in body["data"]["enrolments"]["enrolments"]}
        assert got == expected, where
    else:
        assert all(e["extensions"]["code"] != "INTERNAL" for e in body["errors"]), where


#: portrait field → (kind, id key of its items)
SECTIONS = [("stores", "Store", "shopId"), ("licences", "Licence", "licenceNo"),
            ("annualReports", "AnnualReport", "id"),
            ("registrationChanges", "RegistrationChange", "id"),
            ("complaints", "Complaint", "id"), ("cases", "Case", "id"),
            ("inspections", "Inspection", "id"), ("evaluations", "CreditEvaluation", "id"),
            ("alerts", "Alert", "id"), ("stores", "Product", "productId")]


# -- 3. every filter of every connection ---------------------------------------------

#: A value for each SubjectFilter field, the kind it reads, and its meaning as Cypher
#: over the subject ``s`` (rows through the party's row rules).
FILTERS: dict[str, tuple[Any, str, str]] = {
    "division": ("510104", "Subject", "s.division STARTS WITH '510104'"),
    "riskClass": ([Enum("A")], "Credit", "s.credit_class IN ['A']"),
    "inSandbox": (False, "Credit", "NOT coalesce(s.in_sandbox, false)"),
    "platform": ("@own", "Store",
                 "EXISTS { MATCH (s)-[:OPERATES]->(x:Store) WHERE x.platform_id = $plat "
                 "AND {store} }"),
    "productCategory": ("food", "Product",
                        "EXISTS { MATCH (s)-[:OPERATES]->(st:Store)-[:LISTS]->"
                        "(x:Product {category: 'food'}) WHERE {product} }"),
    "alertStatus": (Enum("OPEN"), "Alert",
                    "EXISTS { MATCH (x:Alert)-[:ABOUT]->(s) WHERE x.status <> 'closed' "
                    "AND {alert} }"),
}


def test_every_subject_filter_for_every_party(policy_world: World) -> None:
    g = policy_world.graph
    assert g is not None
    flt = schema().type_map["SubjectFilter"]
    assert isinstance(flt, GraphQLInputObjectType)
    assert set(flt.fields) == set(FILTERS), "a new filter needs a rule in FILTERS"
    for party in ALL_PARTIES:
        if not allowed(party, "subjects"):
            continue
        scope = full_scope(g, party)
        plat = ALL_PARTIES[party].get("platform_id") or "plat-02"
        for name, (value, kind, meaning) in FILTERS.items():
            value = plat if value == "@own" else value
            doc = (f"{{ subjects(purpose: {purpose_of(party)}, first: 50, filter: "
                   f"{{{name}: {literal(value)}}}) {{ totalCount edges {{ node {{ uscc }} }} }} }}")
            body = policy_world.gql(party, doc).json()
            where = f"{party} filter {name}"
            if not has_section(party, kind):
                assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", (where, body)
                continue
            assert "errors" not in body, (where, body)
            cypher = (meaning.replace("{store}", row_rule(party, "Store"))
                      .replace("{product}", row_rule(party, "Product") + " AND "
                               + row_rule(party, "Store").replace("x.", "st."))
                      .replace("{alert}", row_rule(party, "Alert")))
            rows = g.execute_query(f"MATCH (s:Subject) WHERE {cypher} RETURN s.uscc AS u",
                                   plat=plat).records
            expected = {r["u"] for r in rows} & scope
            data = body["data"]["subjects"]
            assert {e["node"]["uscc"] for e in data["edges"]} == expected, where
            assert data["totalCount"] == len(expected), where


# -- 4. every mutation: the one operation check -------------------------------------

def dummy(t: Any) -> Any:
    """A well-formed value for an input type (so a refusal is the policy's, not the
    validator's)."""
    if isinstance(t, GraphQLNonNull):
        return dummy(t.of_type)
    if isinstance(t, GraphQLList):
        return [dummy(t.of_type)]
    if isinstance(t, GraphQLEnumType):
        return Enum(next(iter(t.values)))
    if isinstance(t, GraphQLInputObjectType):
        return {n: dummy(f.type) for n, f in t.fields.items()
                if isinstance(f.type, GraphQLNonNull)}
    return {"String": "2026-01-01", "Float": 1.0, "Int": 1, "Boolean": False}.get(
        t.name, "x")


def test_every_mutation_refused_without_its_operation(policy_world: World) -> None:
    g = policy_world.graph
    assert g is not None
    m = schema().mutation_type
    assert m is not None
    before = g.execute_query("MATCH (n) RETURN count(n) AS n").records[0]["n"]
    refused = 0
    for party in ALL_PARTIES:
        calls = []
        for op, fld in m.fields.items():
            if allowed(party, op):
                continue  # write scoping is covered by the mutation tests
            values = {n: dummy(a.type) for n, a in fld.args.items()}
            if "purpose" in fld.args:
                values["purpose"] = Enum(purpose_of(party))
            args = ", ".join(f"{n}: {literal(v)}" for n, v in values.items())
            calls.append(f"{op}{f'({args})' if args else ''} {selection(fld.type)}")
        for call in calls:  # one per request: the first refusal ends a mutation document
            body = policy_world.gql(party, "mutation { " + call + " }").json()
            [error] = body["errors"]
            op = error["path"][0]
            assert error["extensions"]["code"] == "FORBIDDEN", (party, op, body)
            assert op in error["message"] or "scope" in error["message"], (party, op, error)
            refused += 1
    assert refused > 20
    after = g.execute_query("MATCH (n) RETURN count(n) AS n").records[0]["n"]
    assert after == before, "a refused mutation wrote something"


# -- 5. derived artefacts ------------------------------------------------------------

def test_closed_store_past_grace_gives_the_status_view(policy_world: World) -> None:
    doc = """query($c: [String!]!) { complianceStatus(usccs: $c, purpose: ONBOARDING_CHECK) {
      uscc known openAlerts } }"""
    items = {i["uscc"]: i for i in policy_world.data(
        "party-plat-01", doc, {"c": [CLOSED_OLD, CLOSED_NEW]})["complianceStatus"]}
    assert items[CLOSED_OLD]["known"] and items[CLOSED_OLD]["openAlerts"] is None
    assert items[CLOSED_NEW]["openAlerts"] == 0, "closed yesterday: still the full view"
    # ... and the enrolment is on record for the subject's regulator, not another's.
    enrol = "{ enrolments(purpose: SUPERVISION) { enrolments { uscc platformId party } } }"
    jj = policy_world.data("reg-jj", enrol)["enrolments"]["enrolments"]
    assert {"uscc": CLOSED_OLD, "platformId": "plat-01", "party": "party-plat-01"} in jj
    wh = policy_world.data("reg-wh", enrol)["enrolments"]["enrolments"]
    assert {e["uscc"] for e in wh} == {IN_WH}
