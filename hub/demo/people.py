"""Codes and people: unique valid USCCs and resident IDs, and the shared-person clusters.

Codes come from counters through a bijection rather than random draws, so half a million
subjects and a million people never collide (a collision would silently merge two
entities in the graph). Related-entity clusters come from small precomputed pools: a few
"hub" people who front dozens to hundreds of companies, a Zipf-like pool of people with
several companies each, and registration-agent addresses shared by many subjects.
"""

from __future__ import annotations

import itertools
import random
from typing import NamedTuple

from hub.demo.common import iso, ordinal, permute
from hub.demo.names import GIVEN_FEMALE, GIVEN_MALE, SURNAMES
from hub.demo.places import BIRTH_DIVISIONS, BUILDINGS, CHENGDU_DISTRICTS, STREETS, place_name
from hub.identity import resident_id, uscc

CHARSET = uscc.CHARSET
_BIRTH_START = ordinal(1958)
_BIRTH_DAYS = 17_000  # people born 1958..2004
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)  # GB 11714 organisation-code check
_SURNAME_CUM = tuple(itertools.accumulate(1.0 / (rank + 6) for rank in range(len(SURNAMES))))
_BIRTH_CUM = tuple(itertools.accumulate(6 if code.startswith("5101") else 1
                                        for code in BIRTH_DIVISIONS))


class Person(NamedTuple):
    person_id: str
    name: str
    phone: str


def _base31(value: int, width: int) -> str:
    chars = []
    for _ in range(width):
        value, digit = divmod(value, 31)
        chars.append(CHARSET[digit])
    return "".join(reversed(chars))


def _org_code_check(digits: str) -> str:
    remainder = 11 - sum(int(c) * w for c, w in zip(digits, _ORG_WEIGHTS, strict=True)) % 11
    return "X" if remainder == 10 else "0" if remainder == 11 else str(remainder)


def mobile(rng: random.Random) -> str:
    return f"1{rng.choice('3456789')}{int(rng.random() * 1e9):09d}"


class Codes:
    """Factory of unique codes and people; offsets come from the seed."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._offsets = [rng.randrange(10**12) for _ in range(3)]
        self._people = 0

    def uscc(self, index: int, kind: str, division: str, year: int) -> str:
        """The code of subject ``index``: new-style ``MA6…`` org codes from 2016 on, older
        ones digit org codes with their GB 11714 check (re-issued as USCCs in 2015)."""
        prefix = "91" if kind == "enterprise" else "92"
        if year >= 2016:
            org = "MA6" + _base31(permute(index, 31**6, self._offsets[0]), 6)
        else:
            digits = f"{permute(index, 10**8, self._offsets[1]):08d}"
            org = digits + _org_code_check(digits)
        return uscc.make(prefix + division + org)

    def social_org_uscc(self, index: int) -> str:
        """A social organisation's code (registered by civil affairs: ``51…MJ…``)."""
        return uscc.make("51510100MJ" + _base31(permute(index, 31**7, self._offsets[2]), 7))

    def person(self) -> Person:
        """A new person with a unique resident ID (birth day + sequence from a counter)."""
        rng = self._rng
        day, sequence = divmod(permute(self._people, _BIRTH_DAYS * 1000, self._offsets[2]),
                               1000)
        self._people += 1
        birth = _date8(_BIRTH_START + day)
        division = rng.choices(BIRTH_DIVISIONS, cum_weights=_BIRTH_CUM)[0]
        number = resident_id.make(f"{division}{birth}{sequence:03d}")
        given = GIVEN_MALE if sequence % 2 else GIVEN_FEMALE
        name = rng.choices(SURNAMES, cum_weights=_SURNAME_CUM)[0] + rng.choice(given)
        if rng.random() < 0.65:
            name += rng.choice(given)
        return Person(number, name, mobile(rng))


def _date8(day: int) -> str:
    return iso(day).replace("-", "")


def street_address(rng: random.Random, place: str) -> str:
    building = rng.choice(BUILDINGS)
    number = f"{rng.randrange(1, 999)}号"
    if building in ("", "附"):
        tail = "1楼"
        if rng.random() < 0.5:
            tail = (f"{building}{rng.randrange(1, 30)}栋{rng.randrange(1, 6)}单元"
                    f"{rng.randrange(1, 30)}{rng.randrange(1, 9):02d}号")
        return f"{place}{rng.choice(STREETS)}{number}{tail}"
    return f"{place}{rng.choice(STREETS)}{number}{building}{rng.randrange(2, 40)}楼" \
           f"{rng.randrange(1, 40):02d}室"


class Clusters:
    """Who and what is shared between subjects: hub people, a person pool, agent addresses."""

    def __init__(self, rng: random.Random, codes: Codes, subjects: int) -> None:
        hub_sizes = [_clamp(subjects // d, lo, hi) for d, lo, hi in
                     ((1000, 30, 500), (2500, 20, 200), (5000, 12, 100))]
        self.hub_people = [codes.person() for _ in hub_sizes]
        self.hub_of: dict[int, list[int]] = {}
        for which, size in enumerate(hub_sizes):
            for index in rng.sample(range(subjects), min(size, subjects)):
                self.hub_of.setdefault(index, []).append(which)
        self.pool = [codes.person() for _ in range(_clamp(subjects // 40, 20, 12_000))]
        agent_sizes = [_clamp(subjects // d, lo, hi) for d, lo, hi in
                       ((1000, 10, 600), (2500, 5, 200), (5000, 3, 100))]
        self.agents: list[tuple[str, str]] = []
        self.agent_of: dict[int, int] = {}
        for which, size in enumerate(agent_sizes):
            district = CHENGDU_DISTRICTS[rng.choice((0, 1, 3, 9))]
            address = street_address(rng, place_name(district)) + "（集群注册）"
            self.agents.append((address, f"028-{rng.randrange(60000000, 89999999)}"))
            for index in rng.sample(range(subjects), min(size, subjects)):
                self.agent_of.setdefault(index, which)
        self.hub_sizes, self.agent_sizes = hub_sizes, agent_sizes

    def pooled(self, rng: random.Random) -> Person:
        """A person from the shared pool, skewed so that a few have many companies."""
        return self.pool[int(len(self.pool) * rng.random() ** 1.6)]


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(high, value))
