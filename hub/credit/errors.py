"""Errors the credit engine reports; codes such as ``INVALID_STEP`` reach API clients as
themselves (the classes are declared once; see :mod:`hub.errors`)."""

from __future__ import annotations

from hub.errors import HubError, NotFound

__all__ = ["CreditError", "InvalidParty", "InvalidStep", "NotFound"]


class CreditError(HubError):
    """A request the credit engine cannot carry out as given (``BAD_USER_INPUT``)."""


class InvalidStep(CreditError):
    """An alert cannot move to the requested step from where it is."""

    code = "INVALID_STEP"


class InvalidParty(CreditError):
    """The acting party is unknown, disabled or of the wrong type for the action."""

    code = "INVALID_PARTY"
    http_status = 403
