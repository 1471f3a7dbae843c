"""The dirt real feeds carry, injected on purpose and counted.

Each soiled record gets exactly one defect, so the manifest can say how many records of
each kind there are and a test can check that the ingest rejects exactly the invalid
ones. Valid kinds must survive normalisation (replays, date formats, code spelling);
invalid kinds must be rejected (bad check characters, missing fields, impossible dates).
"""

from __future__ import annotations

import random
from typing import Final

from hub.demo.common import Record
from hub.demo.feeds import DATE_FIELDS, REQUIRED
from hub.identity import uscc

VALID_KINDS: Final = ("duplicate", "date_format", "code_fullwidth", "code_spaces",
                      "code_lowercase")
INVALID_KINDS: Final = ("bad_check", "missing_required", "malformed_date")
KINDS: Final = VALID_KINDS + INVALID_KINDS
_WEIGHT: Final = {"duplicate": 3, "date_format": 3, "code_fullwidth": 1, "code_spaces": 1,
                  "code_lowercase": 1, "bad_check": 2, "missing_required": 2,
                  "malformed_date": 1}
_REQUIRED_DATES: Final = {t: tuple(f for f in fields if f in DATE_FIELDS)
                          for t, fields in REQUIRED.items()}
_RESIDENT_CHECKS: Final = "0123456789X"


def _code_field(rng: random.Random, record: Record) -> str | None:
    """The identifier to spoil: the subject's USCC, or a role's resident ID."""
    if record.get("person_id") and rng.random() < 0.5:
        return "person_id"
    return "uscc" if record.get("uscc") else None


def _date_text(iso_text: str, style: int) -> str:
    year, month, day = iso_text.split("-")
    m, d = int(month), int(day)
    return (f"{year}/{m}/{d}", f"{year}.{m}.{d}", f"{year}{month}{day}",
            f"{year}年{m}月{d}日")[style]


def _malformed(iso_text: str, style: int) -> str:
    year, month, day = iso_text.split("-")
    return (f"{year}-02-30", f"{year}-13-{day}", f"{day}/{month}/{year}", f"{year}年{month}月",
            "0000-00-00")[style]


def soil(rng: random.Random, record: Record) -> str:
    """Give ``record`` one defect (in place) and return its kind. ``duplicate`` leaves the
    record as it is: the caller writes it twice."""
    field = _code_field(rng, record)
    code = str(record[field]) if field else ""
    dates = [f for f in record if f in DATE_FIELDS and record[f]]
    required_dates = [f for f in _REQUIRED_DATES[record["record_type"]] if record.get(f)]
    options = ["duplicate", "missing_required"]
    if dates:
        options.append("date_format")
    if field:
        options += ["code_fullwidth", "code_spaces", "bad_check"]
        if any(c.isalpha() for c in code):
            options.append("code_lowercase")
    if required_dates:
        options.append("malformed_date")
    kind = rng.choices(options, weights=[_WEIGHT[k] for k in options])[0]
    if kind == "date_format":
        name = rng.choice(dates)
        record[name] = _date_text(record[name], rng.randrange(4))
    elif kind == "malformed_date":
        name = rng.choice(required_dates)
        record[name] = _malformed(record[name], rng.randrange(5))
    elif kind == "missing_required":
        fields = [f for f in REQUIRED[record["record_type"]] if f in record]
        if record.get("person_id"):
            fields.append("person_id")
        name = rng.choice(fields)
        if rng.random() < 0.5:
            del record[name]
        else:
            record[name] = ""
    elif field and kind != "duplicate":
        record[field] = _spoil_code(rng, kind, code, field)
    return kind


def _spoil_code(rng: random.Random, kind: str, code: str, field: str) -> str:
    if kind == "code_fullwidth":
        start = rng.randrange(len(code))  # full-width from here on (at least one char)
        return code[:start] + "".join(chr(ord(c) + 0xFEE0) for c in code[start:])
    if kind == "code_spaces":
        cut = rng.randrange(1, len(code))
        return rng.choice((f" {code}", f"{code} ", f"{code[:cut]} {code[cut:]}",
                           f" {code[:cut]}  {code[cut:]} "))
    if kind == "code_lowercase":
        return code.lower()
    checks = uscc.CHARSET if field == "uscc" else _RESIDENT_CHECKS
    wrong = rng.choice([c for c in checks if c != code[-1]])
    return code[:-1] + wrong
