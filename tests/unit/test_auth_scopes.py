from __future__ import annotations

from hub.auth import scopes
from hub.auth.scopes import DEFAULT_SCOPES, PERMITTED_SCOPES, SCOPES, parse_scope


def test_canonical_scopes() -> None:
    assert len(SCOPES) == 13 and all(SCOPES.values())
    assert scopes.PLATFORM_ACTION_WRITE == "platform_action:write"


def test_defaults_per_party_type() -> None:
    assert DEFAULT_SCOPES["regulator"] == set(SCOPES) - {
        "evaluation:write", "platform_action:write", "store:write"}
    assert DEFAULT_SCOPES["platform"] == {
        "compliance:read", "subject:read", "subjects:read", "alert:read", "complaint:write",
        "platform_action:write", "store:write"}
    assert DEFAULT_SCOPES["association"] == {
        "evaluation:read", "evaluation:write", "subject:read", "subjects:read",
        "complaint:write"}
    assert DEFAULT_SCOPES["public"] == {"compliance:read"}
    for kind, granted in DEFAULT_SCOPES.items():
        assert granted <= set(SCOPES) and granted <= PERMITTED_SCOPES[kind]


def test_parse_scope() -> None:
    assert parse_scope(None) == frozenset()
    assert parse_scope("a  b a") == {"a", "b"}
    assert scopes.format_scope({"b", "a"}) == "a b"
