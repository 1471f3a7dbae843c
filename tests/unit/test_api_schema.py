"""The exported SDL must match the code (``hub schema --out schema/hub.graphql``)."""

from __future__ import annotations

from hub.api.schema import sdl
from hub.settings import PROJECT_ROOT


def test_sdl_file_matches_code() -> None:
    exported = (PROJECT_ROOT / "schema" / "hub.graphql").read_text(encoding="utf-8")
    assert exported == sdl() + "\n", (
        "schema/hub.graphql is stale: run `hub schema --out schema/hub.graphql`")


def test_every_data_field_declares_a_purpose() -> None:
    text = sdl()
    for field in ("complianceStatus(", "subject(", "subjects(", "relatedEntities(",
                  "creditEvaluations(", "alerts("):
        start = text.index(f"  {field}")
        assert "purpose: Purpose!" in text[start:text.index(")", start) + 200]


def test_depth_limit_counts_nested_selections() -> None:
    from hub.api.schema import build_schema
    from hub.settings import Settings

    schema = build_schema(Settings(max_query_depth=3))
    result = schema.execute_sync("""{ relatedEntities(uscc: "x", purpose: SUPERVISION) {
        nodes { path { via { kind } } } } }""")
    assert result.errors and "exceeds maximum operation depth" in result.errors[0].message
    shallow = schema.execute_sync("{ version }")
    assert shallow.errors is None and shallow.data == {"version": "0.1.0"}


def test_cost_budget_refuses_expensive_nesting() -> None:
    from graphql import parse

    from hub.api.cost import Budget, measure
    from hub.api.schema import build_schema
    from hub.settings import Settings

    schema = build_schema(Settings())._schema
    budget = Budget(max_fields=2000, max_aliases=30, max_depth=10, max_cost=1000,
                    page_size=100)
    cheap = measure(schema, parse("""{ subjects(purpose: SUPERVISION, first: 10) {
        edges { node { uscc name } } } }"""), budget)
    assert cheap is None
    costly = measure(schema, parse("""query { ...F } fragment F on Query {
        creditEvaluations(purpose: SUPERVISION, first: 100) { edges { node { id uscc issuer
        grade provenance { party record statedAt receivedAt firstSeen lastSeen } } } }
        subjects(purpose: SUPERVISION) { edges { node { uscc name kind division status } } } }"""),
        budget)
    assert costly and "estimated cost" in costly.message
