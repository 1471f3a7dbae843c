"""The fast completion path answers exactly what graphql-core's standard executor answers:
same data, same key order, same errors with the same paths and null propagation."""

from __future__ import annotations

import asyncio
import enum
from typing import Any

import pytest
import strawberry
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from hub.api.execution import FastExecutionContext


@strawberry.enum
class Colour(enum.Enum):
    GREEN = "green"
    RED = "red"


@strawberry.type
class Leaf:
    code: str
    count: int | None
    colour: Colour | None
    tags: list[str]


@strawberry.type
class Item:
    uscc: str
    known: bool
    colour: Colour | None
    leaves: list[Leaf]
    best: Leaf | None

    @strawberry.field
    def computed(self) -> str:  # a resolver: the tree holding it keeps the standard path
        return self.uscc.lower()


def _items(broken: bool = False) -> list[Item]:
    out = []
    for i in range(5):
        leaves = [Leaf(code=f"L{i}{j}", count=j or None, colour=Colour.RED if j else None,
                       tags=["a", "b"][: j + 1]) for j in range(3)]
        out.append(Item(uscc=f"U{i}", known=i % 2 == 0, colour=Colour.GREEN if i else None,
                        leaves=leaves, best=leaves[1] if i != 3 else None))
    if broken:
        out[2].leaves[1].code = None  # type: ignore[assignment] # null in a non-null field
        out[4].colour = "purple"  # type: ignore[assignment] # not an enum value
    return out


@strawberry.type
class Query:
    @strawberry.field
    def items(self, broken: bool = False) -> list[Item]:
        return _items(broken)

    @strawberry.field
    async def one(self) -> Item:
        return _items()[1]

    @strawberry.field
    def strict(self) -> list[Item]:
        items = _items()
        items[0].uscc = None  # type: ignore[assignment]
        return items


def _run(context_class: type[Any], query: str, variables: dict[str, Any] | None = None
         ) -> dict[str, Any]:
    schema = strawberry.Schema(query=Query, execution_context_class=context_class)
    result = asyncio.run(schema.execute(query, variable_values=variables))
    return {"data": result.data,
            "errors": [(e.message, e.path) for e in result.errors or []]}


QUERIES = [
    "{ items { uscc known colour } }",
    "{ items { __typename id: uscc k: known leaves { code count colour tags } } }",
    "{ items { ...F best { ...G } } } fragment F on Item { uscc leaves { ...G } } "
    "fragment G on Leaf { code tags }",
    "query($s: Boolean!) { items { uscc best @include(if: $s) { code } "
    "colour @skip(if: $s) } }",
    "{ items(broken: true) { uscc colour leaves { code count } } }",
    "{ items(broken: true) { uscc leaves { count } } }",
    "{ one { uscc leaves { code } best { colour } } }",
    "{ items { uscc computed leaves { code } } }",
    "{ strict { uscc known } }",
]


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("skip", [True, False])
def test_fast_path_matches_standard_executor(query: str, skip: bool) -> None:
    variables = {"s": skip} if "$s" in query else None
    fast = _run(FastExecutionContext, query, variables)
    standard = _run(StrawberryGraphQLCoreExecutionContext, query, variables)
    assert fast == standard
    # Key order is part of the response (the spec orders fields as selected).
    assert repr(fast["data"]) == repr(standard["data"])


def test_errors_keep_their_paths_and_null_propagation() -> None:
    out = _run(FastExecutionContext, "{ items(broken: true) { uscc leaves { code } } }")
    assert out["errors"][0][1] == ["items", 2, "leaves", 1, "code"]
    assert out["data"] is None  # [Item!]! and [Leaf!]!: the null reaches the root
    out = _run(FastExecutionContext, "{ items(broken: true) { uscc colour } }")
    assert out["errors"][0][1] == ["items", 4, "colour"]
    assert out["data"]["items"][4] == {"uscc": "U4", "colour": None}  # nullable: just null
    assert out["data"]["items"][1] == {"uscc": "U1", "colour": "GREEN"}


def test_plain_trees_skip_per_field_execution(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = {"n": 0}
    original = StrawberryGraphQLCoreExecutionContext.execute_field

    def counting(self: Any, *args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        return original(self, *args, **kwargs)

    monkeypatch.setattr(StrawberryGraphQLCoreExecutionContext, "execute_field", counting)
    _run(FastExecutionContext, "{ items { uscc leaves { code tags } best { code } } }")
    assert calls["n"] == 1  # only the root field; its 5 items × 12 fields in one pass
    calls["n"] = 0
    _run(StrawberryGraphQLCoreExecutionContext, "{ items { uscc leaves { code tags } } }")
    assert calls["n"] > 20
