"""Annual reports and licences of a subject: the registry facts that follow from its
registration date and industry, with the gaps real registries show (reports missing or
filed late, licences that lapsed without renewal)."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Protocol

from hub.demo.common import Record, between, iso, ordinal, stamp, year_of

if TYPE_CHECKING:
    from hub.demo.subject import Subject

_FIRST_REPORT_YEAR = 2013  # the annual-report system replaced annual inspection in 2014
_LICENCE_YEARS = 5


class Counter(Protocol):
    counter: int


def annual_reports(rng: random.Random, subject: Subject, as_of: int,
                   records: list[Record]) -> int:
    """One ``annual_report`` per year since registration (due 30 June of the next year);
    returns how many of the last two are missing."""
    first = max(year_of(subject.registered), _FIRST_REPORT_YEAR)
    last = year_of(min(subject.ended or as_of, as_of)) - 1
    p_missing = 0.02 + 0.04 * min(subject.risk, 4.0)
    missing_recent = 0
    for year in range(first, last + 1):
        opens, due = ordinal(year + 1), ordinal(year + 1, 6, 30)
        roll = rng.random()
        filed: int | None = None
        if roll >= p_missing:
            filed = between(rng, due + 1, due + 180) if roll < p_missing + 0.06 \
                else between(rng, opens, due)
            if filed > as_of:
                filed = None
        if filed is None and year >= last - 1:
            missing_recent += 1
        records.append({"record_type": "annual_report", "record_id": "",
                        "stated_at": stamp(rng, min(as_of, filed or due)),
                        "uscc": subject.uscc, "year": year,
                        "filed_on": iso(filed) if filed else None, "due_on": iso(due)})
    return missing_recent


def licence_no(rng: random.Random, licence_type: str, division: str, year: int,
               serial: int) -> str:
    """A number in the style of the licence type (食品经营许可证 JY…, 药品经营许可证 川…)."""
    if licence_type == "food_business":
        return f"JY{rng.choice('12')}{division}{serial:07d}"
    if licence_type == "food_production":
        return f"SC1{rng.randrange(1, 32):02d}{division}{serial:06d}"
    if licence_type == "drug_retail":
        return f"川{rng.choice('AB')}{rng.choice('AB')}{division[2:4]}{serial:07d}"
    if licence_type == "medical_device":
        return f"川药监械经营备{year}{serial:07d}号"
    if licence_type == "cosmetics":
        return f"川妆{year}{serial:07d}"
    if licence_type == "tobacco_retail":
        return f"{division}{year}{serial:07d}"
    return f"教民{division}{serial:09d}号"


def licences(rng: random.Random, subject: Subject, as_of: int, counter: Counter,
             records: list[Record]) -> None:
    """The latest licence (and sometimes the one before) for industries that need one;
    about 5% trade without, about 8% let it lapse at some renewal."""
    licence_type = subject.industry.licence
    if licence_type is None or rng.random() < 0.05:
        return
    start = subject.registered + rng.randrange(0, 60)
    periods: list[tuple[int, int]] = []
    last = subject.ended or as_of
    while start < last:
        end = start + 365 * _LICENCE_YEARS - 1
        periods.append((start, end))
        if end >= last or rng.random() < 0.08:
            break
        start = end + 1
    keep = periods[-2:] if rng.random() < 0.3 else periods[-1:]
    for valid_from, valid_to in keep:
        counter.counter += 1
        number = licence_no(rng, licence_type, subject.division.code, year_of(valid_from),
                            counter.counter)
        records.append({"record_type": "licence", "record_id": "",
                        "stated_at": stamp(rng, valid_from), "uscc": subject.uscc,
                        "licence_no": number, "licence_type": licence_type,
                        "valid_from": iso(valid_from), "valid_to": iso(valid_to)})
