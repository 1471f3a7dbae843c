"""The 18-character resident identity number 公民身份号码 (GB 11643-1999).

Division (6) + birth date (8) + sequence (3) + check character (ISO 7064 MOD 11-2).
Personal information under PIPL: validate, then keep only a keyed hash and a mask.
"""

from __future__ import annotations

from datetime import date

from hub.identity.normalize import clean_code

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK = "10X98765432"


def check_character(first17: str) -> str:
    return CHECK[sum(int(c) * w for c, w in zip(first17, WEIGHTS, strict=True)) % 11]


def validate(raw: str) -> str:
    """The normalised number, or ``ValueError`` with the reason."""
    number = clean_code(raw)
    if len(number) != 18:
        raise ValueError(f"a resident ID has 18 characters, got {len(number)}")
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise ValueError("a resident ID is 17 digits and a digit or X")
    try:
        date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise ValueError(f"birth date {number[6:14]} is not a date") from None
    expected = check_character(number[:17])
    if number[17] != expected:
        raise ValueError(f"check character is {number[17]}, expected {expected}")
    return number


def make(first17: str) -> str:
    return first17 + check_character(first17)
