"""One error model for everything the hub reports to a person.

Every error is a :class:`HubError`: a stable ``code`` (GraphQL ``extensions.code``, the
metrics label), the ``http_status`` it answers when it is the answer to a whole request,
a message and, where there is one, what to do about it (the habit strawberry follows).
Subclasses are one-line declarations (authlib's style); a code is declared by one class
only (its subclasses may narrow the meaning, never re-declare it), and :data:`REGISTRY`
is the one code → class mapping the GraphQL formatter, the HTTP layer and the docs read.

Errors with a 5xx status are ours, not the caller's: the API answers their code with a
fixed ``public_message`` and logs the detail (no stack trace, Cypher text, host name or
path leaves the server). The CLI prints message and suggestion for all of them.
"""

from __future__ import annotations

from typing import Any, ClassVar

#: code → the class that declares it (filled as classes are defined).
REGISTRY: dict[str, type[HubError]] = {}
#: Statuses that describe a whole GraphQL request (re-authenticate, wait, retry), so an
#: executed GraphQL response takes them; other errors are per field and answer 200.
REQUEST_STATUSES: frozenset[int] = frozenset({401, 429, 503})


class HubError(Exception):
    """An error with a code, an HTTP status, a message and a suggestion for the user.

    A bare ``HubError`` is a value the user gave that does not fit (the CLI's options).
    """

    code: ClassVar[str] = "BAD_USER_INPUT"
    http_status: ClassVar[int] = 400
    #: What the API says instead of the message when the status is 5xx.
    public_message: ClassVar[str] = "Internal error."

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "code" in cls.__dict__:
            REGISTRY.setdefault(cls.code, cls)

    def __init__(self, message: str, suggestion: str | None = None,
                 **extensions: Any) -> None:
        super().__init__(message)
        self.message = message
        self.suggestion = suggestion
        # graphql-core copies an original error's ``extensions`` into the GraphQL error
        # (the WebSocket transport formats errors without hub.api.view).
        self.extensions: dict[str, Any] = {"code": self.code, **extensions}
        if suggestion:
            self.extensions["suggestion"] = suggestion

    def __str__(self) -> str:
        if self.suggestion:
            return f"{self.message}\n  → {self.suggestion}"
        return self.message

    @property
    def internal(self) -> bool:
        """Ours to fix, not the caller's: the API masks the message."""
        return self.http_status >= 500


REGISTRY[HubError.code] = HubError


def status_of(code: str) -> int | None:
    """The HTTP status of a code (None for a code no class declares)."""
    found = REGISTRY.get(code)
    return found.http_status if found else None


# -- the caller's to act on ----------------------------------------------------------------
class BadUserInput(HubError):
    """A value that does not fit (the message says what; the suggestion often says how)."""


class BadRequest(HubError):
    """The HTTP request itself is malformed (media type, JSON, transport)."""

    code = "BAD_REQUEST"


class ValidationFailed(HubError):
    """The GraphQL document does not validate against the schema or the limits."""

    code = "GRAPHQL_VALIDATION_FAILED"


class Unauthenticated(HubError):
    code = "UNAUTHENTICATED"
    http_status = 401


class Forbidden(HubError):
    """The policy refuses this operation, purpose or subject."""

    code = "FORBIDDEN"
    http_status = 403


class BudgetExceeded(HubError):
    """The party's daily data budget is spent (per field: the request is not retried)."""

    code = "BUDGET_EXCEEDED"
    http_status = 403


class NotFound(HubError):
    """Unknown, or outside the caller's scope (indistinguishable on purpose)."""

    code = "NOT_FOUND"
    http_status = 404


class Conflict(HubError):
    """An id already taken, or a change the current state does not allow."""

    code = "CONFLICT"
    http_status = 409


class RequestTimeout(HubError):
    """The request body did not arrive in time (``HUB_CLIENT_TIMEOUT``)."""

    code = "REQUEST_TIMEOUT"
    http_status = 408


class PayloadTooLarge(HubError):
    """The request body is over ``HUB_MAX_BODY_BYTES`` (refused before it is read)."""

    code = "PAYLOAD_TOO_LARGE"
    http_status = 413


class RateLimited(HubError):
    code = "RATE_LIMITED"
    http_status = 429


# -- ours to fix (5xx: the API shows ``public_message``, the log the detail) ---------------
class Internal(HubError):
    code = "INTERNAL"
    http_status = 500


class ConfigError(HubError):
    """Settings or a rules file are invalid."""

    code = "CONFIG_ERROR"
    http_status = 500


class MigrationError(HubError):
    """A schema migration cannot be applied."""

    code = "MIGRATION_FAILED"
    http_status = 500


class Unavailable(HubError):
    """A dependency is down for now; retry."""

    code = "UNAVAILABLE"
    http_status = 503
    public_message = "The database is unavailable; retry shortly."


class DatabaseUnavailable(Unavailable):
    """Neo4j cannot be reached (the API answers 503)."""
