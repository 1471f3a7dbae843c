"""Strict JWT handling shared by access-token validation and client assertions.

RFC 7515 §5.2 (JWS validation), RFC 7519 §7.2 (JWT validation) and the RFC 8725 best
practices: an explicit algorithm allow-list (never ``none``, never HMAC, so no RS/HS
confusion), a key looked up only by ``kid`` in a configured key set, header parameters
that would make us fetch or trust an embedded key (``jku``, ``x5u``, ``jwk``, ``x5c``)
refused, ``crit`` refused, duplicate JSON members refused, size checked before parsing.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from typing import Any

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import Key, KeySet

#: Asymmetric JWS algorithms accepted (RFC 7518 §3.1, RFC 8037 §3.1).
ALLOWED_ALGS = frozenset({"ES256", "ES384", "ES512", "RS256", "RS384", "RS512",
                          "PS256", "PS384", "PS512", "EdDSA"})
_KTY_FOR = {"ES256": ("EC", "P-256"), "ES384": ("EC", "P-384"), "ES512": ("EC", "P-521"),
            "RS256": ("RSA", None), "RS384": ("RSA", None), "RS512": ("RSA", None),
            "PS256": ("RSA", None), "PS384": ("RSA", None), "PS512": ("RSA", None),
            "EdDSA": ("OKP", None)}
#: Header parameters that point at or embed keys, or change processing: always refused.
FORBIDDEN_HEADERS = frozenset({"jku", "x5u", "jwk", "x5c", "crit", "b64", "zip"})
_SEGMENT = re.compile(r"^[A-Za-z0-9_-]*$")


class TokenRejected(Exception):
    """Why a JWT was refused: a short sentence safe to show the client."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class UnverifiedJWT:
    """A JWT's decoded parts before the signature is checked (do not trust the claims)."""

    raw: str
    header: dict[str, Any]
    claims: dict[str, Any]


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate member {key!r}")
        result[key] = value
    return result


def _b64json(segment: str) -> dict[str, Any]:
    if not _SEGMENT.match(segment):
        raise TokenRejected("The token is not a compact JWS.")
    try:
        raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
        value = json.loads(raw, object_pairs_hook=_no_duplicates)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise TokenRejected("The token is malformed.") from None
    if not isinstance(value, dict):
        raise TokenRejected("The token is malformed.")
    return value


def parse(token: str, max_bytes: int) -> UnverifiedJWT:
    """Split and decode a compact JWS; refuse oversized or malformed input first."""
    if len(token) > max_bytes:
        raise TokenRejected("The token is too large.")
    parts = token.split(".")
    if len(parts) != 3 or not all(parts):
        raise TokenRejected("The token is not a compact JWS.")
    if not _SEGMENT.match(parts[2]):
        raise TokenRejected("The token is not a compact JWS.")
    return UnverifiedJWT(token, _b64json(parts[0]), _b64json(parts[1]))


def check_header(header: dict[str, Any], *, typ: frozenset[str | None] | None,
                 require_kid: bool) -> str:
    """Check alg, typ and forbidden parameters; returns the algorithm.

    ``typ`` is the set of accepted lower-cased values (``None`` in the set: may be absent).
    """
    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in ALLOWED_ALGS:
        raise TokenRejected("The token's signing algorithm is not accepted.")
    forbidden = FORBIDDEN_HEADERS & set(header)
    if forbidden:
        raise TokenRejected(f"The token's header may not carry {sorted(forbidden)[0]!r}.")
    if typ is not None:
        value = header.get("typ")
        if value is not None and not isinstance(value, str):
            raise TokenRejected("The token type is not accepted.")
        normalized = value.lower() if value is not None else None
        if normalized is not None and normalized.startswith("application/"):
            normalized = normalized.removeprefix("application/")
        if normalized not in typ:
            raise TokenRejected("The token type is not accepted.")
    kid = header.get("kid")
    if require_kid and (not isinstance(kid, str) or not kid):
        raise TokenRejected("The token has no key id.")
    if kid is not None and not isinstance(kid, str):
        raise TokenRejected("The token's key id is malformed.")
    return alg


def select_key(keys: KeySet, header: dict[str, Any], alg: str) -> Key:
    """The key for ``kid`` (or the only fitting key when there is no kid), fit for ``alg``."""
    kty, crv = _KTY_FOR[alg]
    kid = header.get("kid")
    candidates = [k for k in keys if (kid is None or k.kid == kid)]
    fitting = [k for k in candidates if k.key_type == kty
               and (crv is None or k.get("crv") == crv)
               and k.get("alg") in (None, alg) and k.get("use") in (None, "sig")]
    if not candidates:
        raise TokenRejected("The token's signing key is not known.")
    if len(fitting) != 1:
        raise TokenRejected("The token's signing key does not fit its algorithm.")
    return fitting[0]


def verify_signature(jwt: UnverifiedJWT, key: Key, alg: str) -> None:
    try:
        jws.deserialize_compact(jwt.raw, key, algorithms=[alg])
    except (JoseError, ValueError, TypeError):
        raise TokenRejected("The token's signature is invalid.") from None


def _numeric(claims: dict[str, Any], name: str, required: bool) -> float | None:
    value = claims.get(name)
    if value is None:
        if required:
            raise TokenRejected(f"The token has no '{name}' claim.")
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TokenRejected(f"The token's '{name}' claim is malformed.")
    return float(value)


def check_times(claims: dict[str, Any], now: float, leeway: float, *,
                require_iat: bool) -> float:
    """exp required and strictly in the future; nbf/iat not in the future beyond leeway.

    Returns ``exp``.
    """
    exp = _numeric(claims, "exp", True)
    assert exp is not None
    if now >= exp:
        raise TokenRejected("The token has expired.")
    nbf = _numeric(claims, "nbf", False)
    if nbf is not None and nbf > now + leeway:
        raise TokenRejected("The token is not valid yet.")
    iat = _numeric(claims, "iat", require_iat)
    if iat is not None and iat > now + leeway:
        raise TokenRejected("The token was issued in the future.")
    return exp


def audience_matches(claims: dict[str, Any], accepted: frozenset[str]) -> bool:
    aud = claims.get("aud")
    if isinstance(aud, str):
        return aud in accepted
    if isinstance(aud, list) and aud and all(isinstance(a, str) for a in aud):
        return any(a in accepted for a in aud)
    return False


def string_claim(claims: dict[str, Any], name: str, *, max_len: int = 256) -> str:
    value = claims.get(name)
    if not isinstance(value, str) or not value or len(value) > max_len:
        raise TokenRejected(f"The token's '{name}' claim is missing or malformed.")
    return value
