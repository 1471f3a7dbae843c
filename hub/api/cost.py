"""A static cost budget per request, checked at validation time (before any query runs).

Each field costs 1; a field under a list multiplies by that list's size: a connection's
``first`` (literal, else the maximum page size), another list a fixed estimate. Depth,
alias and token limits bound the shape of a document; this bounds the work it asks for
(e.g. 100 subjects × 100 stores × 100 products).
"""

from __future__ import annotations

from typing import Any

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
)

LIST_ESTIMATE = 10


def _unwrap(kind: Any) -> tuple[Any, bool]:
    is_list = False
    while isinstance(kind, GraphQLNonNull | GraphQLList):
        if isinstance(kind, GraphQLList):
            is_list = True
        kind = kind.of_type
    return kind, is_list


def cost_rule(max_cost: int, page_size: int) -> type[ValidationRule]:
    class CostLimit(ValidationRule):
        def _cost(self, parent: Any, selections: SelectionSetNode | None,
                  seen: frozenset[str]) -> int:
            if selections is None or not isinstance(parent, GraphQLObjectType):
                return 0
            total = 0
            ctx: ValidationContext = self.context
            for node in selections.selections:
                if isinstance(node, FieldNode):
                    field = parent.fields.get(node.name.value)
                    if field is None:
                        continue
                    child, is_list = _unwrap(field.type)
                    multiplier = 1
                    first = next((a for a in node.arguments or () if a.name.value == "first"),
                                 None)
                    if first is not None:
                        multiplier = (int(first.value.value)
                                      if isinstance(first.value, IntValueNode) else page_size)
                    elif getattr(child, "name", "").endswith("Connection"):
                        multiplier = page_size
                    elif is_list and not parent.name.endswith("Connection"):
                        multiplier = LIST_ESTIMATE  # a connection's edges: already counted
                    total += 1 + multiplier * self._cost(child, node.selection_set, seen)
                elif isinstance(node, InlineFragmentNode):
                    total += self._cost(parent, node.selection_set, seen)
                elif isinstance(node, FragmentSpreadNode) and node.name.value not in seen:
                    fragment = ctx.get_fragment(node.name.value)
                    if fragment is not None:
                        total += self._cost(parent, fragment.selection_set,
                                            seen | {node.name.value})
            return total

        def enter_operation_definition(self, node: OperationDefinitionNode,
                                       *_args: Any) -> None:
            schema = self.context.schema
            root = {"query": schema.query_type, "mutation": schema.mutation_type,
                    "subscription": schema.subscription_type}[node.operation.value]
            cost = self._cost(root, node.selection_set, frozenset())
            if cost > max_cost:
                self.report_error(GraphQLError(
                    f"This request's estimated cost is {cost}, above the limit of {max_cost}."
                    " Ask for fewer items per page or fewer nested lists.", node))

    return CostLimit
