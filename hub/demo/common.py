"""Small helpers shared by the generator modules: dates as ordinals, sampling.

Dates are handled as proleptic ordinals (ints) while generating — adding days is then an
addition — and turned into ISO text only when a record is built (memoised: a few
thousand distinct dates cover 2000..2026).
"""

from __future__ import annotations

import math
import random
from datetime import date
from typing import Any

Record = dict[str, Any]

_ISO: dict[int, str] = {}
MULTIPLIER = 25214903917  # coprime with 2, 3, 5 and 31: (i * M + b) % m is a bijection


def iso(ordinal: int) -> str:
    """``2023-05-31`` for an ordinal."""
    text = _ISO.get(ordinal)
    if text is None:
        text = _ISO[ordinal] = date.fromordinal(ordinal).isoformat()
    return text


def stamp(rng: random.Random, ordinal: int) -> str:
    """An ISO timestamp (China time) during the given day: a source's ``stated_at``."""
    minute, second = divmod(int(rng.random() * 43200) + 28800, 60)
    hour, minute = divmod(minute, 60)
    return f"{iso(ordinal)}T{hour:02d}:{minute:02d}:{second:02d}+08:00"


def ordinal(year: int, month: int = 1, day: int = 1) -> int:
    return date(year, month, day).toordinal()


def year_of(ordinal_: int) -> int:
    return date.fromordinal(ordinal_).year


def permute(index: int, modulus: int, offset: int) -> int:
    """A bijection on ``range(modulus)``: unique, random-looking codes from counters."""
    return (index * MULTIPLIER + offset) % modulus


def poisson(rng: random.Random, lam: float) -> int:
    """A Poisson draw (Knuth for small means, a rounded normal for large ones)."""
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit = math.exp(-lam)
    count, product = 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def between(rng: random.Random, start: int, end: int) -> int:
    """A day uniformly in ``[start, end]`` (``start`` when the range is empty)."""
    return start if end <= start else start + int(rng.random() * (end - start + 1))


def split_shares(rng: random.Random, parts: int) -> list[float]:
    """``parts`` shares in percent, two decimals, summing to exactly 100."""
    if parts == 1:
        return [100.0]
    weights = [rng.random() + 0.2 for _ in range(parts)]
    total = sum(weights)
    shares = [round(100 * w / total, 2) for w in weights[:-1]]
    return [*shares, round(100 - sum(shares), 2)]
