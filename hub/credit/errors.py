"""Errors the credit engine reports (the API maps ``code`` to its error extensions)."""

from __future__ import annotations

from hub.errors import HubError


class CreditError(HubError):
    code = "CREDIT_ERROR"


class NotFound(CreditError):
    code = "NOT_FOUND"


class InvalidStep(CreditError):
    """An alert cannot move to the requested step from where it is."""

    code = "INVALID_STEP"


class InvalidParty(CreditError):
    """The acting party is unknown, disabled or of the wrong type for the action."""

    code = "INVALID_PARTY"
