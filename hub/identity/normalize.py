"""Normalising what real exports contain: full-width characters, stray spaces, case, dates."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

_SPACES = re.compile(r"\s+")
_DATE_PATTERNS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$"),
)


def half_width(text: str) -> str:
    """Full-width letters, digits and punctuation to ASCII; ideographic space to space."""
    return unicodedata.normalize("NFKC", text)


def clean_text(value: object) -> str | None:
    """Trimmed, half-width text with runs of spaces collapsed; ``None`` when empty."""
    if value is None:
        return None
    text = _SPACES.sub(" ", half_width(str(value))).strip()
    return text or None


def clean_code(value: object) -> str:
    """An identifier with every space removed, half-width and upper case."""
    return _SPACES.sub("", half_width(str(value))).upper()


def clean_id(value: object) -> str:
    """A source system's identifier: spaces removed, half-width, case kept."""
    return _SPACES.sub("", half_width(str(value)))


def parse_date(value: object) -> date:
    """A date from ``2023-05-31``, ``2023/5/31``, ``2023.5.31``, ``20230531`` or
    ``2023年5月31日`` (an ISO timestamp keeps its date part)."""
    text = clean_code(value)
    if len(text) > 10 and "T" in text:
        text = text.split("T", 1)[0]
    for pattern in _DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            year, month, day = (int(g) for g in match.groups())
            try:
                return date(year, month, day)
            except ValueError:
                raise ValueError(f"{value!r} is not a calendar date") from None
    raise ValueError(f"{value!r} is not a date (expected e.g. 2023-05-31)")
