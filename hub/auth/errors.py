"""OAuth 2.0 errors as small declarations (the authlib habit).

Token endpoint errors follow RFC 6749 §5.2 (JSON body, ``Cache-Control: no-store``);
protected-resource errors follow RFC 6750 §3 (``WWW-Authenticate: Bearer ...``).
Descriptions are short, fixed sentences: never a secret, a stack trace or a server detail.
"""

from __future__ import annotations

from typing import ClassVar

from hub.errors import BadUserInput, Conflict, HubError, NotFound

__all__ = ["REALM", "BearerTokenError", "Conflict", "InsufficientScope", "InvalidClient",
           "InvalidGrant", "InvalidInput", "InvalidRequest", "InvalidScope", "InvalidToken",
           "MissingToken", "NotFound", "OAuth2Error", "SlowDown", "UnauthorizedClient",
           "UnsupportedGrantType", "UnsupportedTokenType", "www_authenticate"]

REALM = "credit-hub"


class OAuth2Error(HubError):
    """An error answered to an OAuth client: ``error``, ``http_status``, a description.

    A family under the hub's root: ``code`` is the RFC ``error`` in capitals (the hub's
    code), while the wire format stays the RFC's own body and header.
    """

    code = "OAUTH2_ERROR"
    error: ClassVar[str | None] = None
    default_description: ClassVar[str] = ""

    def __init__(self, description: str | None = None) -> None:
        self.description = description or self.default_description
        super().__init__(self.description or self.error or type(self).__name__)

    @property
    def status_code(self) -> int:
        """The HTTP status (the name RFC-minded callers use)."""
        return self.http_status

    def body(self) -> dict[str, str]:
        """The RFC 6749 §5.2 JSON error object."""
        body: dict[str, str] = {}
        if self.error:
            body["error"] = self.error
        if self.description:
            body["error_description"] = self.description
        return body


# -- token and revocation endpoints (RFC 6749 §5.2, RFC 7009 §2.2.1) ------------------------
class InvalidRequest(OAuth2Error):
    code = "INVALID_REQUEST"
    error = "invalid_request"


class InvalidClient(OAuth2Error):
    code = "INVALID_CLIENT"
    error = "invalid_client"
    http_status = 401
    default_description = "Client authentication failed."


class InvalidGrant(OAuth2Error):
    code = "INVALID_GRANT"
    error = "invalid_grant"


class UnauthorizedClient(OAuth2Error):
    code = "UNAUTHORIZED_CLIENT"
    error = "unauthorized_client"


class UnsupportedGrantType(OAuth2Error):
    code = "UNSUPPORTED_GRANT_TYPE"
    error = "unsupported_grant_type"
    default_description = "Only the client_credentials grant is supported."


class InvalidScope(OAuth2Error):
    code = "INVALID_SCOPE"
    error = "invalid_scope"


class UnsupportedTokenType(OAuth2Error):
    code = "UNSUPPORTED_TOKEN_TYPE"
    error = "unsupported_token_type"


class SlowDown(OAuth2Error):
    """Too many token requests (``slow_down`` of the OAuth extensions error registry)."""

    code = "SLOW_DOWN"
    error = "slow_down"
    http_status = 429


# -- protected resources (RFC 6750 §3.1) ---------------------------------------------------
class BearerTokenError(OAuth2Error):
    """An error of the resource server; answered with a ``WWW-Authenticate`` header."""

    http_status = 401

    def __init__(self, description: str | None = None, *,
                 scopes: frozenset[str] | None = None) -> None:
        super().__init__(description)
        self.scopes = scopes

    def www_authenticate(self) -> str:
        return www_authenticate(self.error, self.description, self.scopes)

    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": self.www_authenticate(), "Cache-Control": "no-store"}


class MissingToken(BearerTokenError):
    """No Bearer credentials at all: RFC 6750 §3.1 says to send no error code."""

    code = "MISSING_TOKEN"
    error = None
    http_status = 401


class InvalidToken(BearerTokenError):
    code = "INVALID_TOKEN"
    error = "invalid_token"
    http_status = 401
    default_description = "The access token is invalid."


class InsufficientScope(BearerTokenError):
    code = "INSUFFICIENT_SCOPE"
    error = "insufficient_scope"
    http_status = 403
    default_description = "The access token lacks a scope this request needs."


def _quote(value: str) -> str:
    # RFC 6750 §3: error_description is limited to %x20-21 / %x23-5B / %x5D-7E.
    cleaned = "".join(ch for ch in value if 0x20 <= ord(ch) <= 0x7E and ch not in '"\\')
    return f'"{cleaned}"'


def www_authenticate(error: str | None = None, description: str | None = None,
                     scopes: frozenset[str] | None = None) -> str:
    """The ``WWW-Authenticate: Bearer ...`` challenge of RFC 6750 §3."""
    params = [f"realm={_quote(REALM)}"]
    if error:
        params.append(f"error={_quote(error)}")
        if description:
            params.append(f"error_description={_quote(description)}")
    if scopes:
        params.append(f"scope={_quote(' '.join(sorted(scopes)))}")
    return "Bearer " + ", ".join(params)


# -- administration (CLI and Python API): the hub's own classes, under their old names -------
#: A value that does not fit (bad party type, jurisdiction code, scope, JWKS...).
InvalidInput = BadUserInput
