"""The metrics label of a request: the first root field of its selected operation.

Taken from the parsed document once it has passed validation (:mod:`hub.api.validation`
sets it), so it is always one of the schema's root fields, ``introspection`` or
``invalid``: a fixed set, whatever unauthenticated callers send — never the raw text.
"""

from __future__ import annotations

from contextvars import ContextVar

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_operation_ast,
)

# Set by hub.api.validation for the request being served (one task per request).
_LABEL: ContextVar[str] = ContextVar("metrics_operation", default="invalid")


def _first_field(selections: SelectionSetNode, fragments: dict[str, FragmentDefinitionNode],
                 ) -> FieldNode | None:
    for node in selections.selections:
        if isinstance(node, FieldNode):
            return node
        inner = (node.selection_set if isinstance(node, InlineFragmentNode) else
                 fragments[node.name.value].selection_set
                 if isinstance(node, FragmentSpreadNode) and node.name.value in fragments
                 else None)
        found = _first_field(inner, fragments) if inner is not None else None
        if found is not None:
            return found
    return None


def root_field_label(schema: GraphQLSchema, document: DocumentNode,
                     operation_name: str | None) -> str:
    """The label for a validated document: its selected operation's first root field."""
    operation: OperationDefinitionNode | None = get_operation_ast(document, operation_name)
    root = None if operation is None else schema.get_root_type(operation.operation)
    if operation is None or root is None:
        return "invalid"
    fragments = {d.name.value: d for d in document.definitions
                 if isinstance(d, FragmentDefinitionNode)}
    field = _first_field(operation.selection_set, fragments)
    if field is None:
        return "invalid"
    name = field.name.value
    if name.startswith("__"):
        return "introspection"
    return name if name in root.fields else "invalid"


def set_operation_label(label: str) -> None:
    _LABEL.set(label)


def operation_label() -> str:
    return _LABEL.get()

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
