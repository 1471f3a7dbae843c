"""A small Prometheus text-format registry: requests, latency histogram, errors, DB time.

The ``operation`` label is the first root field of the selected operation, taken from the
parsed document once it has passed validation — so it is always one of the schema's root
fields, ``introspection`` or ``invalid``: a fixed set, whatever unauthenticated callers send.
"""

from __future__ import annotations

import threading
from collections import defaultdict
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


class Metrics:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: dict[tuple[str, int], int] = defaultdict(int)
        self.errors: dict[str, int] = defaultdict(int)
        self.hist: dict[str, list[int]] = defaultdict(lambda: [0] * (len(BUCKETS) + 1))
        self.sums: dict[str, float] = defaultdict(float)

    def observe(self, operation: str, status: int, seconds: float, codes: list[str]) -> None:
        with self._lock:
            self.requests[(operation, status)] += 1
            for code in codes:
                self.errors[code] += 1
            counts = self.hist[operation]
            for i, bound in enumerate(BUCKETS):
                if seconds <= bound:
                    counts[i] += 1
            counts[-1] += 1
            self.sums[operation] += seconds

    def render(self) -> str:
        out = ["# HELP hub_requests_total GraphQL requests by operation and HTTP status.",
               "# TYPE hub_requests_total counter"]
        with self._lock:
            for (op, status), n in sorted(self.requests.items()):
                out.append(f'hub_requests_total{{operation="{op}",status="{status}"}} {n}')
            out += ["# HELP hub_errors_total GraphQL errors by extensions.code.",
                    "# TYPE hub_errors_total counter"]
            for code, n in sorted(self.errors.items()):
                out.append(f'hub_errors_total{{code="{code}"}} {n}')
            out += ["# HELP hub_request_seconds Request latency by operation.",
                    "# TYPE hub_request_seconds histogram"]
            for op, counts in sorted(self.hist.items()):
                for bound, n in zip(BUCKETS, counts, strict=False):
                    out.append(f'hub_request_seconds_bucket{{operation="{op}",le="{bound}"}} {n}')
                out.append(f'hub_request_seconds_bucket{{operation="{op}",le="+Inf"}} '
                           f'{counts[-1]}')
                out.append(f'hub_request_seconds_sum{{operation="{op}"}} {self.sums[op]:.6f}')
                out.append(f'hub_request_seconds_count{{operation="{op}"}} {counts[-1]}')
        return "\n".join(out) + "\n"
