"""The one error model: every code declared once, mapped to a status, documented; no other
exception root reaches users; the GraphQL formatter reads code, status and masking from it."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from pathlib import Path

import pytest
from graphql import GraphQLError

import connectors
import hub
from hub.api.view import classify, request_status
from hub.errors import REGISTRY, HubError, status_of

ROOT = Path(__file__).resolve().parents[2]
#: Exceptions that never reach a person: each is caught and translated where it is raised.
INTERNAL = {
    "hub.api.execution._Fallback": "falls back to graphql-core's own completion",
    "hub.api.ws.Refused": "a WebSocket close code (4401/4403/1013), not an error body",
    "hub.auth.jwt.TokenRejected": "answered as invalid_token / invalid_client",
    "hub.auth.external.JWKSUnavailable": "answered as invalid_token",
    "hub.api.cost.Refused": "stops the cost walk; reported as one validation error",
    "hub.graph.breaker.DatabaseDown": "a neo4j ServiceUnavailable: answered as UNAVAILABLE",
}


def _modules() -> list[str]:
    names = []
    for package in (hub, connectors):
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if not info.name.endswith("__main__"):
                names.append(info.name)
    return names


@pytest.fixture(scope="module")
def loaded() -> list[str]:
    names = _modules()
    for name in names:
        importlib.import_module(name)
    return names


def _subclasses(cls: type[HubError]) -> list[type[HubError]]:
    found: list[type[HubError]] = []
    for sub in cls.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found


def test_every_code_is_declared_once_and_maps_to_a_status(loaded: list[str]) -> None:
    declared: dict[str, list[str]] = {}
    for cls in [HubError, *_subclasses(HubError)]:
        if "code" in cls.__dict__:
            declared.setdefault(cls.code, []).append(f"{cls.__module__}.{cls.__qualname__}")
        assert 400 <= cls.http_status <= 599, cls
    twice = {code: where for code, where in declared.items() if len(where) > 1}
    assert not twice, f"codes declared more than once: {twice}"
    assert all(re.fullmatch(r"[A-Z][A-Z0-9_]+", code) for code in declared)
    assert set(declared) == set(REGISTRY)
    assert {"NOT_FOUND", "FORBIDDEN", "INVALID_STEP", "INVALID_PARTY"} <= set(declared)
    assert status_of("NOT_FOUND") == 404 and status_of("NO_SUCH_CODE") is None


def test_names_are_declared_once(loaded: list[str]) -> None:
    """``NotFound`` and ``Forbidden`` exist once; the old import paths re-export them."""
    by_name: dict[str, list[type[HubError]]] = {}
    for cls in _subclasses(HubError):
        by_name.setdefault(cls.__name__, []).append(cls)
    assert {name: c for name, c in by_name.items() if len(c) > 1} == {}
    from hub.api import errors as api
    from hub.auth import errors as auth
    from hub.credit import errors as credit
    from hub.policy import compiled

    assert api.NotFound is auth.NotFound is credit.NotFound
    assert api.Forbidden is compiled.Forbidden
    assert api.ApiError is HubError and auth.InvalidInput is api.BadUserInput


def test_no_other_exception_root(loaded: list[str]) -> None:
    roots = []
    for name in loaded:
        module = importlib.import_module(name)
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, BaseException) \
                    and value.__module__ == name and not issubclass(value, HubError):
                roots.append(f"{name}.{value.__qualname__}")
    assert sorted(roots) == sorted(INTERNAL), "a new exception must subclass HubError"


def _raised_names(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Raise) and node.exc is not None:
            target = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            if isinstance(target, ast.Name):
                names.add(target.id)
    return names


def test_the_api_raises_only_hub_errors(loaded: list[str]) -> None:
    """Resolvers and the token endpoint raise HubError subclasses (or internal ones)."""
    files = [*sorted((ROOT / "hub" / "api").glob("*.py")), ROOT / "hub/auth/server.py"]
    for path in files:
        module = importlib.import_module(
            ".".join(path.relative_to(ROOT).with_suffix("").parts))
        for name in _raised_names(path):
            value = getattr(module, name, None)
            if value is None:
                continue  # a local name (``raise exc``): re-raising what was caught
            qualified = f"{value.__module__}.{value.__qualname__}"
            assert issubclass(value, HubError) or qualified in INTERNAL, (path.name, name)


def test_formatter_reads_the_model() -> None:
    from hub.audit.record import AuditUnavailable
    from hub.credit.errors import InvalidParty, InvalidStep
    from hub.errors import NotFound, RateLimited

    step = classify(GraphQLError("x", original_error=InvalidStep("closed", "Reopen it.")))
    assert step == ("INVALID_STEP", "closed", {"code": "INVALID_STEP",
                                               "suggestion": "Reopen it."})
    assert classify(GraphQLError("x", original_error=InvalidParty("p")))[0] == "INVALID_PARTY"
    # a 5xx is ours: its code, a fixed message, nothing of the detail
    masked = classify(GraphQLError("x", original_error=AuditUnavailable("/var/hub: disk full")))
    assert masked == ("AUDIT_UNAVAILABLE", AuditUnavailable.public_message, {})
    assert classify(GraphQLError("x", original_error=KeyError("MATCH (n)")))[:2] == (
        "INTERNAL", "Internal error.")
    assert classify(GraphQLError("Cannot query field"))[0] == "GRAPHQL_VALIDATION_FAILED"
    assert request_status([NotFound.code, RateLimited.code]) == 429
    assert request_status(["AUDIT_UNAVAILABLE"]) == 503
    assert request_status([NotFound.code, "FORBIDDEN", "INTERNAL"]) is None


def _documented() -> dict[str, int]:
    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    table = text.split("<!-- error-codes:start -->")[1].split("<!-- error-codes:end -->")[0]
    rows = re.findall(r"^\| `([A-Z0-9_]+)` \| (\d{3}) \|", table, re.M)
    return {code: int(status) for code, status in rows}


def test_docs_table_matches_the_registry(loaded: list[str]) -> None:
    assert _documented() == {code: cls.http_status for code, cls in REGISTRY.items()}
