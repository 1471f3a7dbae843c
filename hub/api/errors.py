"""Stable error codes for GraphQL responses (``extensions.code``).

Resolvers raise these; anything else is an internal error and, in production, is masked
to ``INTERNAL`` without its message (no stack traces, Cypher text or host names leak).
"""

from __future__ import annotations

from typing import Any, ClassVar

from graphql import GraphQLError


class ApiError(Exception):
    """An error the caller can act on: a message, a code and an optional suggestion."""

    code: ClassVar[str] = "BAD_USER_INPUT"

    def __init__(self, message: str, suggestion: str | None = None,
                 **extensions: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extensions: dict[str, Any] = {"code": self.code, **extensions}
        if suggestion:
            self.extensions["suggestion"] = suggestion


class BadUserInput(ApiError):
    code = "BAD_USER_INPUT"


class Forbidden(ApiError):
    code = "FORBIDDEN"


class Unauthenticated(ApiError):
    code = "UNAUTHENTICATED"


class RateLimited(ApiError):
    code = "RATE_LIMITED"


class BudgetExceeded(ApiError):
    code = "BUDGET_EXCEEDED"


class Unavailable(ApiError):
    code = "UNAVAILABLE"


class NotFound(ApiError):
    code = "NOT_FOUND"


def code_of(error: GraphQLError) -> str:
    original = error.original_error
    if isinstance(original, ApiError):
        return original.code
    if original is None:
        return "GRAPHQL_VALIDATION_FAILED"
    return "INTERNAL"
