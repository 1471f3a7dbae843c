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
#: Registration authorities (character 1, §4.1): 1 organisation staffing, 2 foreign
#: affairs, 3 justice, 4 culture, 5 civil affairs, 6 tourism, 7 religion, 8 trade unions,
#: 9 market regulation, A central military commission, N agriculture, Y others.
AUTHORITIES = "123456789ANY"


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
    if code[0] not in AUTHORITIES:
        raise ValueError(f"character 1 (registration authority) {code[0]!r} is not one of "
                         f"{AUTHORITIES}")
    if code[1] not in "123456789":
        raise ValueError(f"character 2 (organisation kind) {code[1]!r} is not 1-9")
    if not code[2:8].isdigit():
        raise ValueError("characters 3-8 (the division code) must be digits")
    if not 11 <= int(code[2:4]) <= 82:  # GB/T 2260 provinces run from 11 (Beijing) to 82
        raise ValueError(f"characters 3-8 ({code[2:8]}) are not a GB/T 2260 division code")
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
