"""The unified social credit code 统一社会信用代码 (GB 32100-2015).

18 characters from a 31-character set (no I, O, S, V, Z): registration authority (1),
organisation kind (1), administrative division (6, GB/T 2260), organisation code (9)
and a check character over the first 17.
"""

from __future__ import annotations

from hub.identity.normalize import clean_code

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_VALUE = {c: i for i, c in enumerate(CHARSET)}


def check_character(first17: str) -> str:
    """The check character for the first 17 characters (§5 of the standard)."""
    total = sum(_VALUE[c] * w for c, w in zip(first17, WEIGHTS, strict=True))
    return CHARSET[(31 - total % 31) % 31]


def validate(raw: str) -> str:
    """The normalised code, or ``ValueError`` saying what is wrong with it."""
    code = clean_code(raw)
    if len(code) != 18:
        raise ValueError(f"a USCC has 18 characters, got {len(code)}")
    bad = sorted({c for c in code if c not in _VALUE})
    if bad:
        raise ValueError(f"characters not allowed in a USCC: {''.join(bad)}")
    if not code[2:8].isdigit():
        raise ValueError("characters 3-8 (the division code) must be digits")
    expected = check_character(code[:17])
    if code[17] != expected:
        raise ValueError(f"check character is {code[17]}, expected {expected}")
    return code


def is_valid(raw: str) -> bool:
    try:
        validate(raw)
    except ValueError:
        return False
    return True


def division(code: str) -> str:
    """The administrative division code (characters 3-8) of a valid USCC."""
    return code[2:8]


def make(prefix17: str) -> str:
    """A full code from its first 17 characters (used by the demo generator)."""
    return prefix17 + check_character(prefix17)
