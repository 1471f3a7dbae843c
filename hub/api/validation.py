"""GraphQL validation in two steps: the document's budget first, then the spec's rules.

The budget walk (:mod:`hub.api.cost`) is linear in the document's size and needs no
authentication; only a document within budget goes on to graphql-core's rules (whose
field-merging check is quadratic in repeated fields) and the schema's extra rules. The
result of the second step is cached by document, like strawberry's ``ValidationCache``
(which this extension replaces: that one would run every rule on every document).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

from hub.api.cost import Budget, measure
from hub.api.operation_label import root_field_label, set_operation_label


@lru_cache(maxsize=8)
def _cached(maxsize: int) -> Callable[..., list[GraphQLError]]:
    # One cache per size shared by every request (extensions are built per request).
    return lru_cache(maxsize=maxsize)(validate_document)


class DocumentValidation(SchemaExtension):
    def __init__(self, budget: Budget, maxsize: int = 1024) -> None:
        super().__init__()
        self.budget = budget
        self.validate = _cached(maxsize)

    def on_validate(self) -> Iterator[None]:
        ctx = self.execution_context
        schema: Any = ctx.schema._schema
        document = ctx.graphql_document
        if document is not None:
            refused = measure(schema, document, self.budget)
            if refused is not None:
                ctx.pre_execution_errors = [GraphQLError(refused.message, refused.node)]
            else:
                ctx.pre_execution_errors = self.validate(schema, document,
                                                         tuple(ctx.validation_rules))
                if not ctx.pre_execution_errors:
                    set_operation_label(root_field_label(schema, document,
                                                         ctx.operation_name))
        yield
