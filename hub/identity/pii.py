"""Personal data under PIPL 个人信息保护法: keyed hashes for matching, masks for display.

Identity numbers and phone numbers are never stored raw. The keyed hash (HMAC-SHA256
with ``HUB_PII_KEY``) lets two feeds that name the same person be matched without the
hub holding the number; the mask is what a permitted reader may see.
"""

from __future__ import annotations

import hashlib
import hmac
import re

from hub.identity.normalize import clean_code, half_width

_PHONE_DIGITS = re.compile(r"\D")


def keyed_hash(key: bytes, value: str) -> str:
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()[:32]


def mask_id(number: str) -> str:
    """``510104199001011234`` → ``510104********1234``."""
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def normalize_phone(raw: str) -> str:
    """Digits only, without a +86/0086 country prefix; ``ValueError`` if implausible."""
    digits = _PHONE_DIGITS.sub("", half_width(raw))
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) - len(prefix) >= 11:
            digits = digits[len(prefix):]
            break
    if not 7 <= len(digits) <= 12:
        raise ValueError(f"a phone number has 7-12 digits, got {len(digits)}")
    return digits


def mask_phone(digits: str) -> str:
    """``13812345678`` → ``138****5678``."""
    if len(digits) <= 7:
        return digits[:2] + "*" * (len(digits) - 4) + digits[-2:]
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def mask_name(name: str) -> str:
    """``张三`` → ``张*``, ``张小明`` → ``张*明``, ``欧阳小明`` → ``欧**明``."""
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def clean_id_key(raw: str) -> str:
    return clean_code(raw)
