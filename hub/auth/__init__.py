"""The trust layer's identity part: parties, clients, the OAuth 2.0 authorization server
(RFC 6749 client credentials, RFC 9068 JWT access tokens, RFC 7523 private_key_jwt,
RFC 7009 revocation, RFC 8414 metadata) and resource-server token validation (RFC 6750).

What the API layer needs::

    from hub.auth import authenticate, require_scopes, Principal, BearerTokenError
    principal = await authenticate(request)        # raises InvalidToken / MissingToken (401)
    require_scopes(principal, scopes.SUBJECT_READ)  # raises InsufficientScope (403)
"""

from __future__ import annotations

from hub.auth import scopes
from hub.auth.clients import (
    Client,
    create_client,
    disable_client,
    get_client,
    list_clients,
    set_client_disabled,
)
from hub.auth.errors import (
    BearerTokenError,
    InsufficientScope,
    InvalidToken,
    MissingToken,
    OAuth2Error,
    www_authenticate,
)
from hub.auth.keys import KeyStore
from hub.auth.parties import (
    Agreement,
    Party,
    create_agreement,
    create_party,
    disable_party,
    get_party,
    list_agreements,
    list_parties,
    set_party_disabled,
)
from hub.auth.resource import (
    Authenticator,
    Principal,
    authenticate,
    authenticator_for,
    bearer_error_response,
    clear_caches,
    require_scopes,
)
from hub.auth.server import auth_routes, metadata_document

__all__ = [
    "Agreement",
    "Authenticator",
    "BearerTokenError",
    "Client",
    "InsufficientScope",
    "InvalidToken",
    "KeyStore",
    "MissingToken",
    "OAuth2Error",
    "Party",
    "Principal",
    "auth_routes",
    "authenticate",
    "authenticator_for",
    "bearer_error_response",
    "clear_caches",
    "create_agreement",
    "create_client",
    "create_party",
    "disable_client",
    "disable_party",
    "get_client",
    "get_party",
    "list_agreements",
    "list_clients",
    "list_parties",
    "metadata_document",
    "require_scopes",
    "scopes",
    "set_client_disabled",
    "set_party_disabled",
    "www_authenticate",
]
