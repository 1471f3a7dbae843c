"""Fast completion of plain object trees (graphql-core's executor, minus per-field work).

graphql-core completes every field of every object one at a time: resolve-info, path,
awaitable checks, nullability, coercion. For the hub's result types that is pure overhead —
their fields are plain attributes (strawberry's default resolver) of objects that one
Cypher query has already filled in — and it dominates big answers: 1,000 compliance
items × 13 fields are 13,000 field executions, over 100 ms of CPU.

``FastExecutionContext`` completes such a sub-tree in one pass from a *plan*: for the
object type and the selection (after fragments, aliases and ``@skip``/``@include`` are
resolved by graphql-core's own ``collect_subfields``), the response keys, attribute names
and leaf coercers. A plan exists only when every selected field, all the way down, is a
default-resolved attribute of a concrete object type; anything else (a resolver, an
interface or union, ``is_type_of``, deferred fragments) keeps the standard path.

Errors keep the standard semantics: when the fast pass meets anything the spec turns into
a field error (null in a non-null field, a value a scalar cannot coerce, a non-list where a
list belongs), it abandons the sub-tree and graphql-core completes it again from the
start — which is safe because default resolvers are side-effect free — producing the
exact errors, paths and null propagation.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from typing import Any

from graphql import (
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    Undefined,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
    is_object_type,
)
from graphql.pyutils import AwaitableOrValue, Path
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

# A completion spec: ("nn", spec) | ("list", spec) | ("leaf", type) | ("obj", plan).
Spec = tuple[Any, ...]
# A plan: (response key, attribute name or None for __typename, spec or the type name).
Plan = tuple[tuple[str, str | None, Any], ...]


class _Fallback(Exception):
    """The fast pass met something the standard executor must turn into an error."""


def _complete(spec: Spec, value: Any) -> Any:
    kind = spec[0]
    if kind == "nn":
        done = _complete(spec[1], value)
        if done is None:
            raise _Fallback
        return done
    if value is None:
        return None
    if kind == "leaf":
        coerced = spec[1].coerce_output_value(value)
        if coerced is None or coerced is Undefined:
            raise _Fallback
        return coerced
    if kind == "obj":
        return _object(spec[1], value)
    if isinstance(value, (str, bytes, dict)) or not isinstance(value, Iterable):
        raise _Fallback
    inner = spec[1]
    return [_complete(inner, item) for item in value]


def _object(plan: Plan, source: Any) -> dict[str, Any]:
    if isinstance(source, Exception):
        raise _Fallback
    out: dict[str, Any] = {}
    for key, attr, spec in plan:
        out[key] = spec if attr is None else _complete(spec, getattr(source, attr))
    return out


class FastExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """graphql-core's execution context with one-pass completion of plain object trees."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Keyed like collect_subfields' memo: the field-details list is kept alive with
        # the plan so that its id cannot be reused within this execution.
        self._plans: dict[tuple[GraphQLObjectType, int], tuple[Any, Plan | None]] = {}

    def _plan(self, obj_type: GraphQLObjectType, details: Any) -> Plan | None:
        key = (obj_type, id(details))
        hit = self._plans.get(key)
        if hit is not None:
            return hit[1]
        self._plans[key] = (details, None)  # also stops recursion through cyclic types
        plan = self._build(obj_type, details)
        self._plans[key] = (details, plan)
        return plan

    def _build(self, obj_type: GraphQLObjectType, details: Any) -> Plan | None:
        if obj_type.is_type_of is not None:
            return None
        grouped, defer_usages, *_ = self.collect_subfields(obj_type, details)
        if defer_usages:
            return None
        steps: list[tuple[str, str | None, Any]] = []
        for key, sub in grouped.items():
            if any(getattr(d, "defer_usage", None) is not None for d in sub):
                return None
            name = sub[0].node.name.value
            if name == "__typename":
                steps.append((key, None, obj_type.name))
                continue
            field = obj_type.fields.get(name)
            if field is None or not getattr(field.resolve, "_is_default", False):
                return None
            definition = field.extensions.get("strawberry-definition")
            if definition is None:
                return None
            spec = self._spec(field.type, sub)
            if spec is None:
                return None
            steps.append((key, definition.python_name, spec))
        return tuple(steps)

    def _spec(self, gtype: GraphQLOutputType, details: Any) -> Spec | None:
        if is_non_null_type(gtype):
            assert isinstance(gtype, GraphQLNonNull)
            inner = self._spec(gtype.of_type, details)
            return None if inner is None else ("nn", inner)
        if is_list_type(gtype):
            assert isinstance(gtype, GraphQLList)
            inner = self._spec(gtype.of_type, details)
            return None if inner is None else ("list", inner)
        if is_leaf_type(gtype):
            return ("leaf", gtype)
        if is_object_type(gtype):
            assert isinstance(gtype, GraphQLObjectType)
            plan = self._plan(gtype, details)
            return None if plan is None else ("obj", plan)
        return None  # interfaces and unions need type resolution

    def complete_object_value(self, return_type: GraphQLObjectType, field_details_list: Any,
                              info: Any, path: Path, result: Any,
                              position_context: Any) -> AwaitableOrValue[dict[str, Any]]:
        plan = self._plan(return_type, field_details_list)
        if plan is not None:
            # On _Fallback (or worse) the standard path below reports it properly.
            with contextlib.suppress(Exception):
                return _object(plan, result)
        return super().complete_object_value(return_type, field_details_list, info, path,
                                             result, position_context)

    def complete_iterable_value(self, item_type: GraphQLOutputType, field_details_list: Any,
                                info: Any, path: Path, items: Iterable[Any],
                                position_context: Any) -> AwaitableOrValue[list[Any]]:
        if not isinstance(items, (list, tuple)):
            items = list(items)  # a fallback must be able to walk it again
        spec = self._spec(item_type, field_details_list)
        if spec is not None:
            with contextlib.suppress(Exception):
                return [_complete(spec, item) for item in items]
        return super().complete_iterable_value(item_type, field_details_list, info, path,
                                               items, position_context)

