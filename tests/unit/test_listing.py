"""Division filters follow the code hierarchy (GB/T 2260): trailing 00 pairs widen it."""

from __future__ import annotations

import pytest

from hub.api.listing import division_prefix


@pytest.mark.parametrize(("code", "prefix"), [
    ("510100", "5101"),  # a city: every district in it
    ("510000", "51"),  # a province
    ("510107", "510107"),  # a district
    ("510110", "510110"),  # a district ending in 0 is not a city (was "51011" before)
    ("5101", "5101"),  # already a prefix
])
def test_division_prefix(code: str, prefix: str) -> None:
    assert division_prefix(code) == prefix
