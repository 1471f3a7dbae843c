"""The strict JWT primitives (RFC 7515 §5.2, RFC 8725)."""

from __future__ import annotations

import base64
import json
import time

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet, RSAKey

from hub.auth import jwt as jwtlib
from hub.auth.jwt import TokenRejected

AT: frozenset[str | None] = frozenset({"at+jwt"})


def b64(value: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def test_parse_refuses_oversized_and_malformed() -> None:
    with pytest.raises(TokenRejected, match="too large"):
        jwtlib.parse("a" * 9000, 8192)
    for bad in ("a.b", "a.b.c.d.e", "..", "!!.e30.x", f"{b64({'a': 1})}.W10.sig"):
        with pytest.raises(TokenRejected):
            jwtlib.parse(bad, 8192)
    duplicate = base64.urlsafe_b64encode(b'{"alg":"ES256","alg":"none"}').decode().rstrip("=")
    with pytest.raises(TokenRejected, match="malformed"):
        jwtlib.parse(f"{duplicate}.e30.c2ln", 8192)


@pytest.mark.parametrize(("header", "message"), [
    ({"alg": "none", "typ": "at+jwt", "kid": "k"}, "algorithm"),
    ({"alg": "HS256", "typ": "at+jwt", "kid": "k"}, "algorithm"),
    ({"typ": "at+jwt", "kid": "k"}, "algorithm"),
    ({"alg": "ES256", "kid": "k"}, "type"),
    ({"alg": "ES256", "typ": "JWT", "kid": "k"}, "type"),
    ({"alg": "ES256", "typ": "at+jwt"}, "key id"),
    ({"alg": "ES256", "typ": "at+jwt", "kid": "k", "jku": "https://x"}, "jku"),
    ({"alg": "ES256", "typ": "at+jwt", "kid": "k", "x5c": ["MII"]}, "x5c"),
    ({"alg": "ES256", "typ": "at+jwt", "kid": "k", "crit": ["exp"]}, "crit"),
])
def test_header_refusals(header: dict[str, object], message: str) -> None:
    with pytest.raises(TokenRejected, match=message):
        jwtlib.check_header(header, typ=AT, require_kid=True)


def test_typ_is_case_insensitive_and_may_have_the_media_prefix() -> None:
    for typ in ("at+jwt", "AT+JWT", "application/at+jwt"):
        assert jwtlib.check_header({"alg": "ES256", "typ": typ, "kid": "k"}, typ=AT,
                                   require_kid=True) == "ES256"


def test_key_selection_matches_kid_and_algorithm() -> None:
    ec = ECKey.generate_key("P-256", parameters={"kid": "ec"})
    rsa = RSAKey.generate_key(2048, parameters={"kid": "rsa"})
    keys = KeySet([ec, rsa])
    assert jwtlib.select_key(keys, {"kid": "ec"}, "ES256") is ec
    with pytest.raises(TokenRejected, match="does not fit"):
        jwtlib.select_key(keys, {"kid": "ec"}, "RS256")
    with pytest.raises(TokenRejected, match="does not fit"):
        jwtlib.select_key(keys, {"kid": "ec"}, "ES384")
    with pytest.raises(TokenRejected, match="not known"):
        jwtlib.select_key(keys, {"kid": "other"}, "ES256")


def test_signature_and_times() -> None:
    key = ECKey.generate_key("P-256", parameters={"kid": "k"})
    now = int(time.time())
    token = jwt.encode({"alg": "ES256"}, {"exp": now + 60}, key, algorithms=["ES256"])
    parsed = jwtlib.parse(token, 8192)
    jwtlib.verify_signature(parsed, key, "ES256")
    with pytest.raises(TokenRejected, match="signature"):
        jwtlib.verify_signature(parsed, ECKey.generate_key("P-256"), "ES256")
    assert jwtlib.check_times({"exp": now + 60, "iat": now + 20}, now, 30,
                              require_iat=True) == now + 60
    with pytest.raises(TokenRejected, match="expired"):
        jwtlib.check_times({"exp": now, "iat": now - 5}, now, 30, require_iat=True)
    with pytest.raises(TokenRejected, match="future"):
        jwtlib.check_times({"exp": now + 600, "iat": now + 60}, now, 30, require_iat=True)
    with pytest.raises(TokenRejected, match="not valid yet"):
        jwtlib.check_times({"exp": now + 600, "nbf": now + 31}, now, 30, require_iat=False)
    with pytest.raises(TokenRejected, match="'iat'"):
        jwtlib.check_times({"exp": now + 600}, now, 30, require_iat=True)
    with pytest.raises(TokenRejected, match="malformed"):
        jwtlib.check_times({"exp": "tomorrow"}, now, 30, require_iat=False)


def test_audience() -> None:
    accepted = frozenset({"credit-hub"})
    assert jwtlib.audience_matches({"aud": "credit-hub"}, accepted)
    assert jwtlib.audience_matches({"aud": ["x", "credit-hub"]}, accepted)
    assert not jwtlib.audience_matches({"aud": "credit-hub-2"}, accepted)
    assert not jwtlib.audience_matches({}, accepted)
    assert not jwtlib.audience_matches({"aud": [1]}, accepted)
