"""OAuth 2.0 errors as small declarations (the authlib habit).

Token endpoint errors follow RFC 6749 §5.2 (JSON body, ``Cache-Control: no-store``);
protected-resource errors follow RFC 6750 §3 (``WWW-Authenticate: Bearer ...``).
Descriptions are short, fixed sentences: never a secret, a stack trace or a server detail.
"""

from __future__ import annotations

from typing import ClassVar

from hub.errors import HubError

REALM = "credit-hub"


class OAuth2Error(Exception):
    """An error answered to an OAuth client: ``error``, ``status_code``, a description."""

    error: ClassVar[str | None] = None
    status_code: ClassVar[int] = 400
    default_description: ClassVar[str] = ""

    def __init__(self, description: str | None = None) -> None:
        self.description = description or self.default_description
        super().__init__(self.description or self.error or type(self).__name__)

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
    error = "invalid_request"


class InvalidClient(OAuth2Error):
    error = "invalid_client"
    status_code = 401
    default_description = "Client authentication failed."


class InvalidGrant(OAuth2Error):
    error = "invalid_grant"


class UnauthorizedClient(OAuth2Error):
    error = "unauthorized_client"


class UnsupportedGrantType(OAuth2Error):
    error = "unsupported_grant_type"
    default_description = "Only the client_credentials grant is supported."


class InvalidScope(OAuth2Error):
    error = "invalid_scope"


class UnsupportedTokenType(OAuth2Error):
    error = "unsupported_token_type"


# -- protected resources (RFC 6750 §3.1) ---------------------------------------------------
class BearerTokenError(OAuth2Error):
    """An error of the resource server; answered with a ``WWW-Authenticate`` header."""

    status_code = 401

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

    error = None
    status_code = 401


class InvalidToken(BearerTokenError):
    error = "invalid_token"
    status_code = 401
    default_description = "The access token is invalid."


class InsufficientScope(BearerTokenError):
    error = "insufficient_scope"
    status_code = 403
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


# -- administration (CLI and Python API) ------------------------------------------------------
class NotFound(HubError):
    """A party, client, agreement or key that does not exist."""


class Conflict(HubError):
    """An id that is already taken, or a change the current state does not allow."""


class InvalidInput(HubError):
    """A value that does not fit (bad party type, jurisdiction code, scope, JWKS...)."""
