"""Complaint channels per party type (``channels`` in policies/access.yaml)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from hub.policy.compiled import PolicyBook
from hub.policy.model import PartyPolicy


def test_the_hotline_is_the_regulators() -> None:
    types = PolicyBook.load().policy.party_types
    assert "12315" in types["regulator"].channels
    assert types["platform"].channels == ["platform"]
    assert "12315" not in types["association"].channels and types["public"].channels == []


def test_unknown_channels_are_refused_at_start_up() -> None:
    with pytest.raises(ValidationError, match="unknown channels"):
        PartyPolicy(operations=[], purposes=[], channels=["fax"])
    assert PartyPolicy(operations=[], purposes=[]).channels == [], "none by default"
