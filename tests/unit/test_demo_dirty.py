"""The demo generator's dirt: every injected defect is of one kind and counted exactly."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from hub.demo.generate import Options, generate
from hub.identity import resident_id, uscc
from hub.identity.normalize import clean_code, parse_date
from tests.unit.test_demo_generate import FILES, ISO_DATE, REQUIRED

INVALID = {"bad_check", "missing_required", "malformed_date"}
CODES = ("uscc", "person_id")


def _empty(record: dict[str, Any], field: str) -> bool:
    return record.get(field) in (None, "")


def classify(record: dict[str, Any]) -> str | None:
    """What an ingest would make of one (non-replayed) record: None when clean."""
    kind = record["record_type"]
    if any(_empty(record, f) for f in REQUIRED[kind]) or (
            kind == "role" and _empty(record, "holder_uscc")
            and (_empty(record, "person_id") or _empty(record, "person_name"))):
        return "missing_required"
    for field, check in (("uscc", uscc.validate), ("person_id", resident_id.validate)):
        if not _empty(record, field):
            try:
                check(record[field])
            except ValueError:
                return "bad_check"
    dates = [f for f, v in record.items() if f.endswith(("_on", "_from", "_to")) and v]
    for field in dates:
        try:
            parse_date(record[field])
        except ValueError:
            assert field in REQUIRED[kind], "only required dates are made malformed"
            return "malformed_date"
    if any(not ISO_DATE.match(record[f]) for f in dates):
        return "date_format"
    for field in CODES:
        value = record.get(field)
        if value and value != clean_code(value):
            return ("code_fullwidth" if any(ord(c) > 0xFF00 for c in value)
                    else "code_spaces" if " " in value else "code_lowercase")
    return None


def tally(lines: list[tuple[str, dict[str, Any]]]) -> Counter[str]:
    seen: dict[str, str] = {}
    kinds: Counter[str] = Counter()
    for raw, record in lines:
        rid = record["record_id"]
        if rid in seen:
            assert seen[rid] == raw, "a replay repeats the record exactly"
            kinds["duplicate"] += 1
            continue
        seen[rid] = raw
        kind = classify(record)
        if kind:
            kinds[kind] += 1
    return kinds


@pytest.fixture(scope="module")
def dirty(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("dirty")
    return out, generate(Options(out=out, subjects=1500, seed=21, dirty_rate=0.05))


def test_each_injected_defect_is_found_and_counted(dirty: tuple[Path, dict[str, Any]]) -> None:
    out, manifest = dirty
    for name in FILES:
        with (out / f"{name}.jsonl").open(encoding="utf-8") as file:
            lines = [(line, json.loads(line)) for line in file]
        found = tally(lines)
        stated = manifest["files"][f"{name}.jsonl"]
        assert dict(found) == stated["dirty"], name
        assert sum(found[k] for k in INVALID) == stated["invalid"]
    assert set(manifest["dirty"]) >= {"duplicate", "date_format", "code_fullwidth",
                                      "code_spaces", "code_lowercase", *INVALID}
    assert all(manifest["dirty"].values())
    records = sum(f["records"] for f in manifest["files"].values())
    assert 0.035 < sum(manifest["dirty"].values()) / records < 0.065


def test_dirt_does_not_change_the_clean_records(dirty: tuple[Path, dict[str, Any]],
                                                tmp_path: Path) -> None:
    out, _ = dirty
    generate(Options(out=tmp_path, subjects=1500, seed=21, dirty_rate=0))
    for name in ("registry", "complaints"):
        clean = {r["record_id"]: r for r in map(json.loads, (tmp_path / f"{name}.jsonl")
                                                .read_text(encoding="utf-8").splitlines())}
        soiled = {r["record_id"]: r for r in map(json.loads, (out / f"{name}.jsonl")
                                                 .read_text(encoding="utf-8").splitlines())}
        assert clean.keys() == soiled.keys()
        same = sum(clean[k] == soiled[k] for k in clean)
        assert 0.9 * len(clean) < same < len(clean)


def test_csv_dirt_is_counted_too(tmp_path: Path) -> None:
    manifest = generate(Options(out=tmp_path, subjects=600, seed=8, fmt="csv",
                                encoding="gb18030", dirty_rate=0.05))
    for name in FILES:
        with (tmp_path / f"{name}.csv").open(encoding="gb18030", newline="") as file:
            rows = list(csv.DictReader(file))
        lines = [("\x1f".join(row.values()), row) for row in rows]
        assert dict(tally(lines)) == manifest["files"][f"{name}.csv"]["dirty"], name
