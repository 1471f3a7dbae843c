"""The document budget (hub.api.cost): linear in the document, refuses as soon as spent."""

from __future__ import annotations

import time

import pytest
from graphql import GraphQLSchema, get_introspection_query, parse

from hub.api.cost import Budget, measure
from hub.api.schema import build_schema
from hub.settings import Settings

BUDGET = Budget(max_fields=2000, max_aliases=30, max_depth=10, max_cost=50_000,
                page_size=100)


@pytest.fixture(scope="module")
def schema() -> GraphQLSchema:
    return build_schema(Settings())._schema


def bomb(levels: int, fragment_type: str = "Query", leaf: str = "version") -> str:
    """``levels`` fragments, each spreading the next twice: 2**(levels-1) leaves."""
    frags = [f"fragment F{i} on {fragment_type} {{ "
             + (f"...F{i + 1} ...F{i + 1}" if i < levels - 1 else leaf) + " }"
             for i in range(levels)]
    return " ".join(frags)


def refusal(schema: GraphQLSchema, text: str, budget: Budget = BUDGET) -> str | None:
    found = measure(schema, parse(text), budget)
    return None if found is None else found.message


def test_fragment_bombs_are_refused_at_once(schema: GraphQLSchema) -> None:
    texts = ["query { ...F0 } " + bomb(22),
             'query { subject(uscc: "x", purpose: SUPERVISION) { ...F0 } } '
             + bomb(22, "SubjectPortrait", "uscc"),
             "query { ...F0 } " + bomb(40, "Query", "")]  # empty leaves: spreads count
    for text in texts:
        started = time.perf_counter()
        message = refusal(schema, text)
        # The unmemoised walk took 27 s (2**21 spreads); a linear one takes microseconds.
        assert time.perf_counter() - started < 0.5
        assert message is not None and "selections once its fragments are expanded" in message


def test_a_fragment_spread_twice_still_costs_twice(schema: GraphQLSchema) -> None:
    # subjects: 1 + 100 × (edges: 1 + node: 1 + uscc 1) = 301 per spread.
    doc = ("query { ...S ...S } fragment S on Query { subjects(purpose: SUPERVISION) "
           "{ edges { node { uscc } } } }")
    tight = Budget(2000, 30, 10, max_cost=601, page_size=100)
    assert refusal(schema, doc, tight) is not None
    assert refusal(schema, doc, Budget(2000, 30, 10, max_cost=602, page_size=100)) is None
    # Memoised per (fragment, type), yet counted per spread: once costs half.
    assert refusal(schema, doc.replace("...S ...S", "...S"), tight) is None


def test_negative_first_is_refused(schema: GraphQLSchema) -> None:
    message = refusal(schema, "{ subjects(purpose: SUPERVISION, first: -100) { edges { node "
                              "{ stores { name } } } } }")
    assert message == "first must be zero or more, got -100."
    assert refusal(schema, "{ subjects(purpose: SUPERVISION, first: 0) { totalCount } }") is None


def test_depth_and_aliases_count_through_fragments(schema: GraphQLSchema) -> None:
    nested = ("query { ...A } fragment A on Query { relatedEntities(uscc: \"x\", "
              "purpose: SUPERVISION) { nodes { path { via { kind } } } } }")
    shallow = Budget(2000, 30, max_depth=3, max_cost=50_000, page_size=100)
    message = refusal(schema, nested, shallow)
    assert message is not None and "exceeds maximum operation depth of 3" in message
    assert refusal(schema, nested) is None
    aliases = " ".join(f"a{i}: version" for i in range(16))
    twice = f"query {{ ...F ...G }} fragment F on Query {{ {aliases} }} " \
            f"fragment G on Query {{ ...F }}"
    message = refusal(schema, twice)
    assert message is not None and "aliases" in message


def test_repeated_fields_are_refused_before_the_quadratic_merge_check(
        schema: GraphQLSchema) -> None:
    many = "{ " + " ".join(["me { party partyType }"] * 80) + " }"
    message = refusal(schema, many)
    assert message is not None and "same fields" in message
    few = "{ " + " ".join(["me { party partyType }"] * 10) + " }"
    assert refusal(schema, few) is None
    spreads = "{ " + " ".join(f"...F{i}" for i in range(70)) + " } " + " ".join(
        f"fragment F{i} on Query {{ }}" for i in range(70))
    assert refusal(schema, spreads) is not None


def test_ordinary_documents_pass(schema: GraphQLSchema) -> None:
    assert refusal(schema, get_introspection_query()) is None  # GraphiQL's, in development
    assert refusal(schema, "{ version }") is None
    # Cycles and unknown fragments are other rules' errors, not a crash or a hang here.
    assert refusal(schema, "query { ...A } fragment A on Query { me { party } ...A }") is None
    assert refusal(schema, "query { ...Missing }") is None
