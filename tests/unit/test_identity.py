"""USCC and resident-ID check characters, normalisation and masking (pure functions)."""

from __future__ import annotations

from datetime import date

import pytest

from hub.identity import normalize, pii, resident_id, uscc

GOOD_USCC = ["91350100M000100Y43", "91110000802100433B", "91440300708461136T"]
GOOD_IDS = ["11010519491231002X", "440524188001010014"]


@pytest.mark.parametrize("code", GOOD_USCC)
def test_known_good_usccs_validate(code: str) -> None:
    assert uscc.validate(code) == code
    assert uscc.make(code[:17]) == code


@pytest.mark.parametrize(("raw", "reason"), [
    ("91350100M000100Y44", "check character is 4, expected 3"),
    ("91350100M000100Y4", "18 characters, got 17"),
    ("91350100M0001I0Y43", "not allowed in a USCC: I"),
    ("9135A100M000100Y43", "division code"),
    # A valid check character is not enough (issue #12: eighteen zeros were accepted).
    ("000000000000000000", "registration authority"),
    (uscc.make("B1350100M000100Y4"), "registration authority"),
    (uscc.make("90350100M000100Y4"), "organisation kind"),
    (uscc.make("91000000M000100Y4"), "GB/T 2260"),
    (uscc.make("91990100M000100Y4"), "GB/T 2260"),
])
def test_bad_usccs_say_why(raw: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        uscc.validate(raw)


def test_uscc_normalises_full_width_spaces_and_case() -> None:
    assert uscc.validate(" ９１３５０１００ｍ０００１００ｙ４３\u3000") == "91350100M000100Y43"
    assert uscc.validate("9135 0100 m000 100y 43") == "91350100M000100Y43"
    assert uscc.division("91350100M000100Y43") == "350100"


@pytest.mark.parametrize("number", GOOD_IDS)
def test_known_good_resident_ids(number: str) -> None:
    assert resident_id.validate(number.lower()) == number


@pytest.mark.parametrize(("raw", "reason"), [
    ("110105194912310021", "expected X"),
    ("110105194913310029", "not a date"),
    ("11010519491231002", "18 characters"),
])
def test_bad_resident_ids(raw: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        resident_id.validate(raw)


@pytest.mark.parametrize("raw", ["2023-05-31", "2023/5/31", "20230531", "2023年5月31日",
                                 "２０２３－０５－３１", " 2023.5.31 ", "2023-05-31T08:00:00"])
def test_dates_in_every_export_format(raw: str) -> None:
    assert normalize.parse_date(raw) == date(2023, 5, 31)


@pytest.mark.parametrize("raw", ["2023-02-30", "31/05/2023", "yesterday", "2023-13-01"])
def test_bad_dates(raw: str) -> None:
    with pytest.raises(ValueError):
        normalize.parse_date(raw)


def test_masks() -> None:
    assert pii.mask_id("11010519491231002X") == "110105********002X"
    assert pii.mask_phone("13812345678") == "138****5678"
    assert pii.mask_name("张三") == "张*"
    assert pii.mask_name("张小明") == "张*明"
    assert pii.mask_name("欧阳小明") == "欧**明"
    assert pii.normalize_phone("+86 138-1234-5678") == "13812345678"


def test_keyed_hash_depends_on_key() -> None:
    a = pii.keyed_hash(b"k1", "11010519491231002X")
    assert a == pii.keyed_hash(b"k1", "11010519491231002X")
    assert a != pii.keyed_hash(b"k2", "11010519491231002X")
    assert "11010519491231002X" not in a
