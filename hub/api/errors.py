"""The API's error names (kept for their importers); the classes live in :mod:`hub.errors`.

Resolvers raise :class:`~hub.errors.HubError` subclasses; anything else is an internal
error, masked to ``INTERNAL`` without its message (hub.api.view.classify).
"""

from __future__ import annotations

from graphql import GraphQLError

from hub.errors import (
    BadRequest,
    BadUserInput,
    BudgetExceeded,
    Forbidden,
    Internal,
    NotFound,
    RateLimited,
    Unauthenticated,
    Unavailable,
    ValidationFailed,
)
from hub.errors import HubError as ApiError

__all__ = ["ApiError", "BadRequest", "BadUserInput", "BudgetExceeded", "Forbidden",
           "Internal", "NotFound", "RateLimited", "Unauthenticated", "Unavailable",
           "ValidationFailed", "code_of"]


def code_of(error: GraphQLError) -> str:
    original = error.original_error
    if isinstance(original, ApiError):
        return original.code
    if original is None:
        return ValidationFailed.code
    return Internal.code
