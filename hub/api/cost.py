"""The shape and cost budget of a GraphQL document, checked at validation (before any query).

One rule walks each operation once and refuses a document as soon as any budget is spent:

* **selections** — fields, fragment spreads and inline fragments once fragments are
  expanded, at most the token limit: without fragments a document cannot select more than
  it has tokens, so only fragment fan-out (``...F ...F`` nested twenty times) exceeds it;
* **overlaps** — pairs of same-named fields (and pairs of fragment spreads) merged into
  one response object. graphql-core's ``OverlappingFieldsCanBeMerged`` compares each such
  pair, tens of microseconds apiece: 150 copies of ``me { party }`` cost it seconds;
* **aliases** and **depth** (nested selections), counted through fragments;
* **cost** — each field costs 1; a field under a list multiplies by that list's size: a
  connection's ``first`` (literal, else the maximum page size), another list a fixed
  estimate. It bounds the work asked for (e.g. 100 subjects × 100 stores × 100 products);
* a negative ``first`` literal is refused (it would lower the cost estimate).

Each fragment is measured once (memoised by name, and by name and type for the cost) and
every running total is compared with its budget as it grows, so the walk is linear in the
document's size: a fragment bomb of 2**21 expanded fields is refused in microseconds,
instead of being re-walked once per spread. The overlap count expands fragments, but only
once the selection count says the expansion is small. :mod:`hub.api.validation` runs this
before graphql-core's rules, which only see documents within budget.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    Node,
    OperationDefinitionNode,
    SelectionSetNode,
)

LIST_ESTIMATE = 10
# Pairs graphql-core compares while checking that fields merge: ~2,000 stay within ~50 ms.
MAX_OVERLAPS = 2000


@dataclass(frozen=True)
class Budget:
    max_fields: int  # selections once fragments are expanded (the token limit)
    max_aliases: int
    max_depth: int
    max_cost: int
    page_size: int
    max_overlaps: int = MAX_OVERLAPS


@dataclass(frozen=True)
class _Shape:
    fields: int = 0
    aliases: int = 0
    depth: int = 0


class Refused(Exception):
    """A budget is spent: the walk stops here with one error for the caller."""

    def __init__(self, message: str, node: Node | None) -> None:
        super().__init__(message)
        self.message = message
        self.node = node


def _unwrap(kind: Any) -> tuple[Any, bool]:
    is_list = False
    while isinstance(kind, GraphQLNonNull | GraphQLList):
        if isinstance(kind, GraphQLList):
            is_list = True
        kind = kind.of_type
    return kind, is_list


class _Walk:
    """Measures one document; memoises per fragment; raises :class:`Refused` early."""

    def __init__(self, schema: GraphQLSchema, document: DocumentNode, budget: Budget) -> None:
        self.schema = schema
        self.budget = budget
        self.fragments = {d.name.value: d for d in document.definitions
                          if isinstance(d, FragmentDefinitionNode)}
        self._shapes: dict[str, _Shape] = {}
        self._costs: dict[tuple[str, str], int] = {}
        # Fragments being measured: a cycle counts 0 (NoFragmentCycles reports it).
        self._open_shapes: set[str] = set()
        self._open_costs: set[tuple[str, str]] = set()
        self.fields = 0  # document-wide running totals
        self.aliases = 0

    # -- shape (type-independent) ---------------------------------------------------------
    def shape(self, selections: SelectionSetNode | None) -> _Shape:
        fields = aliases = depth = 0
        for node in selections.selections if selections else ():
            if isinstance(node, FieldNode):
                sub = self.shape(node.selection_set)
                fields += 1 + sub.fields
                aliases += (1 if node.alias else 0) + sub.aliases
                if node.selection_set and not node.name.value.startswith("__"):
                    depth = max(depth, 1 + sub.depth)
            else:
                sub = (self.shape(node.selection_set) if isinstance(node, InlineFragmentNode)
                       else self._fragment_shape(node))  # type: ignore[arg-type]
                fields += 1 + sub.fields  # the spread itself is work too (empty fragments)
                aliases += sub.aliases
                depth = max(depth, sub.depth)
            self._check_shape(fields, aliases, node)
        return _Shape(fields, aliases, depth)

    def _fragment_shape(self, spread: FragmentSpreadNode) -> _Shape:
        name = spread.name.value
        known = self._shapes.get(name)
        if known is not None:
            return known
        fragment = self.fragments.get(name)
        if fragment is None or name in self._open_shapes:
            return _Shape()  # unknown fragments and cycles are other rules' errors
        self._open_shapes.add(name)
        try:
            found = self._shapes[name] = self.shape(fragment.selection_set)
        finally:
            self._open_shapes.discard(name)
        return found

    def _check_shape(self, fields: int, aliases: int, node: Node) -> None:
        b = self.budget
        if self.fields + fields > b.max_fields:
            raise Refused(f"This document makes more than {b.max_fields} selections once its "
                          "fragments are expanded. Select fewer fields or spread fragments "
                          "fewer times.", node)
        if self.aliases + aliases > b.max_aliases:
            raise Refused(f"This document uses more than {b.max_aliases} aliases (fragments "
                          f"included). Allowed: {b.max_aliases}.", node)

    # -- overlaps (on the expansion, which the shape has shown to be small) ---------------
    def overlaps(self, groups: list[SelectionSetNode], open_: frozenset[str]) -> int:
        """Pairs compared for one merged response object (``groups``: the selection sets
        merged into it), recursively; raises once the budget is spent."""
        by_name: dict[str, list[FieldNode]] = {}
        spreads = 0
        pending = [(group, open_) for group in groups]
        while pending:
            group, chain = pending.pop()
            for node in group.selections:
                if isinstance(node, FieldNode):
                    key = node.alias.value if node.alias else node.name.value
                    by_name.setdefault(key, []).append(node)
                elif isinstance(node, InlineFragmentNode):
                    pending.append((node.selection_set, chain))
                elif isinstance(node, FragmentSpreadNode):
                    spreads += 1
                    fragment = self.fragments.get(node.name.value)
                    if fragment is not None and node.name.value not in chain:
                        pending.append((fragment.selection_set,
                                        chain | {node.name.value}))
        pairs = spreads * (spreads - 1) // 2
        for fields in by_name.values():
            pairs += len(fields) * (len(fields) - 1) // 2
        for fields in by_name.values():
            subs = [f.selection_set for f in fields if f.selection_set]
            if pairs > self.budget.max_overlaps:
                break
            if subs:
                pairs += self.overlaps(subs, open_)
        if pairs > self.budget.max_overlaps:
            raise Refused("This document selects the same fields (or spreads fragments) into "
                          f"one object too many times (more than {self.budget.max_overlaps} "
                          "pairs to compare). Select each field once.", groups[0])
        return pairs

    def operation(self, op: OperationDefinitionNode) -> None:
        found = self.shape(op.selection_set)
        self.fields += found.fields
        self.aliases += found.aliases
        if found.depth > self.budget.max_depth:
            raise Refused("The operation exceeds maximum operation depth of "
                          f"{self.budget.max_depth}.", op)
        self.overlaps([op.selection_set], frozenset())
        root = {"query": self.schema.query_type, "mutation": self.schema.mutation_type,
                "subscription": self.schema.subscription_type}[op.operation.value]
        cost = self.cost(root, op.selection_set)
        if cost > self.budget.max_cost:  # pragma: no cover - cost() raises first
            raise Refused(self._cost_message(cost), op)

    # -- cost (depends on the parent type) ------------------------------------------------
    def _cost_message(self, cost: int) -> str:
        return (f"This request's estimated cost is above {self.budget.max_cost} (at least "
                f"{cost}). Ask for fewer items per page or fewer nested lists.")

    def _type(self, condition: Any, parent: Any) -> Any:
        if condition is None:
            return parent
        named = self.schema.get_type(condition.name.value)
        return named if isinstance(named, GraphQLObjectType | GraphQLInterfaceType) else parent

    def cost(self, parent: Any, selections: SelectionSetNode | None) -> int:
        if selections is None or not isinstance(parent,
                                                GraphQLObjectType | GraphQLInterfaceType):
            return 0
        total = 0
        for node in selections.selections:
            if isinstance(node, FieldNode):
                total += self._field_cost(parent, node)
            elif isinstance(node, InlineFragmentNode):
                total += self.cost(self._type(node.type_condition, parent), node.selection_set)
            elif isinstance(node, FragmentSpreadNode):
                total += self._fragment_cost(parent, node)
            if total > self.budget.max_cost:
                raise Refused(self._cost_message(total), node)
        return total

    def _field_cost(self, parent: GraphQLObjectType | GraphQLInterfaceType,
                    node: FieldNode) -> int:
        field = parent.fields.get(node.name.value)
        if field is None:
            return 0
        child, is_list = _unwrap(field.type)
        multiplier = 1
        first = next((a for a in node.arguments or () if a.name.value == "first"), None)
        if first is not None:
            if isinstance(first.value, IntValueNode):
                multiplier = int(first.value.value)
                if multiplier < 0:
                    raise Refused(f"first must be zero or more, got {multiplier}.", first)
            else:
                multiplier = self.budget.page_size
        elif getattr(child, "name", "").endswith("Connection"):
            multiplier = self.budget.page_size
        elif is_list and not parent.name.endswith("Connection"):
            multiplier = LIST_ESTIMATE  # a connection's edges: already counted
        return 1 + multiplier * self.cost(child, node.selection_set)

    def _fragment_cost(self, parent: Any, spread: FragmentSpreadNode) -> int:
        fragment = self.fragments.get(spread.name.value)
        if fragment is None:
            return 0
        kind = self._type(fragment.type_condition, parent)
        key = (spread.name.value, kind.name)
        known = self._costs.get(key)
        if known is not None:
            return known
        if key in self._open_costs:
            return 0
        self._open_costs.add(key)
        try:
            found = self._costs[key] = self.cost(kind, fragment.selection_set)
        finally:
            self._open_costs.discard(key)
        return found


def measure(schema: GraphQLSchema, document: DocumentNode, budget: Budget) -> Refused | None:
    """The first budget the document exceeds, or None."""
    walk = _Walk(schema, document, budget)
    try:
        for definition in document.definitions:
            if isinstance(definition, OperationDefinitionNode):
                walk.operation(definition)
    except Refused as refused:
        return refused
    return None
