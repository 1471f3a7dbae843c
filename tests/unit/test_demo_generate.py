"""``hub demo generate``: deterministic, valid, clustered, proportional feeds."""

from __future__ import annotations

import csv
import json
import re
from collections import Counter, defaultdict
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from hub.cli import app
from hub.demo.generate import Options, generate
from hub.identity import resident_id, uscc

FILES = ("registry", "platform", "complaints", "enforcement", "association")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

# schema/feeds.md, restated here on purpose: the generator's own table is not the judge.
REQUIRED = {
    "subject": ("uscc", "name", "kind", "registered_on"),
    "role": ("uscc", "role"),
    "branch": ("uscc", "parent_uscc"),
    "registration_change": ("uscc", "change_id", "changed_on", "item"),
    "annual_report": ("uscc", "year"),
    "licence": ("uscc", "licence_no", "licence_type", "valid_from", "valid_to"),
    "platform": ("platform_id", "name"),
    "store": ("platform_id", "shop_id", "uscc", "name"),
    "product": ("platform_id", "shop_id", "product_id", "title", "category"),
    "complaint": ("complaint_id", "uscc", "channel", "received_on"),
    "case": ("case_id", "uscc", "opened_on", "authority"),
    "inspection": ("inspection_id", "uscc", "inspected_on", "authority", "result"),
    "association": ("association_id", "name"),
    "membership": ("association_id", "uscc", "joined_on"),
    "evaluation": ("evaluation_id", "association_id", "uscc", "grade", "issued_on"),
}
SOURCE_TYPES = {
    "registry": {"subject", "role", "branch", "registration_change", "annual_report", "licence"},
    "platform": {"platform", "store", "product"},
    "complaints": {"complaint"},
    "enforcement": {"case", "inspection"},
    "association": {"association", "membership", "evaluation"},
}
CATEGORIES = {"food", "cosmetics", "drugs", "medical_devices", "e_bikes", "tobacco",
              "off_campus_training", "car_sales", "general"}


def read(out: Path, name: str) -> list[dict[str, Any]]:
    with (out / f"{name}.jsonl").open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines]


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("clean")
    generate(Options(out=out, subjects=2000, seed=11, dirty_rate=0))
    return out


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    for name, seed in (("a", 3), ("b", 3), ("c", 4)):
        generate(Options(out=tmp_path / name, subjects=300, seed=seed))
    files = [f"{n}.jsonl" for n in FILES] + ["manifest.json", "parties.json"]
    for file in files:
        assert (tmp_path / "a" / file).read_bytes() == (tmp_path / "b" / file).read_bytes()
    assert (tmp_path / "a" / "registry.jsonl").read_bytes() != \
        (tmp_path / "c" / "registry.jsonl").read_bytes()


def test_every_clean_record_is_complete_and_valid(clean: Path) -> None:
    for name in FILES:
        for record in read(clean, name):
            kind = record["record_type"]
            assert kind in SOURCE_TYPES[name]
            assert record["record_id"] and record["stated_at"]
            assert all(record.get(f) not in (None, "") for f in REQUIRED[kind]), record
            for field in ("uscc", "holder_uscc", "parent_uscc"):
                if field in record:
                    assert uscc.validate(record[field]) == record[field]
            if kind == "role":
                assert ("holder_uscc" in record) != ("person_id" in record)
                if "person_id" in record:
                    assert resident_id.validate(record["person_id"]) == record["person_id"]
                    assert record["person_name"]
            for field, value in record.items():
                if field.endswith(("_on", "_from", "_to")):
                    assert ISO_DATE.match(value), (field, value)
            if kind == "product":
                assert record["category"] in CATEGORIES


def test_codes_have_the_expected_shape(clean: Path) -> None:
    subjects = [r for r in read(clean, "registry") if r["record_type"] == "subject"]
    for subject in subjects:
        code = subject["uscc"]
        assert code[:2] == ("91" if subject["kind"] == "enterprise" else "92")
        assert code[2:6] in {"5101", "5103", "5104", "5105", "5106", "5107", "5108", "5109",
                             "5110", "5111", "5113", "5114", "5115", "5116", "5117", "5118",
                             "5119", "5120"}
    share_chengdu = sum(s["uscc"].startswith("5101", 2) for s in subjects) / len(subjects)
    assert 0.75 < share_chengdu < 0.95
    years = Counter(s["registered_on"][:4] for s in subjects)
    assert min(years) == "2000" or min(years) <= "2002"
    assert max(years) == "2026"
    assert len({s["uscc"] for s in subjects}) == len(subjects)


def test_related_entity_clusters_exist(clean: Path) -> None:
    registry = read(clean, "registry")
    companies: dict[str, set[str]] = defaultdict(set)
    holders: dict[str, set[str]] = defaultdict(set)
    parents: dict[str, str] = {}
    for record in registry:
        if record["record_type"] == "role" and "person_id" in record:
            companies[record["person_id"]].add(record["uscc"])
        elif record["record_type"] == "role":
            holders[record["uscc"]].add(record["holder_uscc"])
        elif record["record_type"] == "branch":
            parents[record["uscc"]] = record["parent_uscc"]
    sizes = sorted((len(c) for c in companies.values()), reverse=True)
    assert sizes[0] >= 20
    assert sum(s >= 5 for s in sizes) >= 5
    addresses = Counter(r["address"] for r in registry if r["record_type"] == "subject")
    assert addresses.most_common(1)[0][1] >= 10
    chained = [c for c, hs in holders.items() if any(h in holders for h in hs)]
    assert chained, "a company holding a company that is held by a company"
    assert any(p in parents for p in parents.values()), "a branch of a branch"
    stores = Counter(r["uscc"] for r in read(clean, "platform") if r["record_type"] == "store")
    assert sum(n >= 2 for n in stores.values()) > 0.25 * len(stores)


def test_counts_are_plausible_and_roughly_proportional(clean: Path, tmp_path: Path) -> None:
    small = generate(Options(out=tmp_path, subjects=500, seed=11, dirty_rate=0))
    large = json.loads((clean / "manifest.json").read_text())

    def per_subject(manifest: dict[str, Any], file: str, kind: str) -> float:
        return float(manifest["files"][file]["by_type"].get(kind, 0) / manifest["subjects"])
    for file, kind, low, high in (("platform.jsonl", "product", 4.5, 8.0),
                                  ("platform.jsonl", "store", 1.1, 1.8),
                                  ("complaints.jsonl", "complaint", 0.8, 1.8),
                                  ("registry.jsonl", "annual_report", 3.0, 9.0)):
        assert low < per_subject(large, file, kind) < high, (file, kind)
        assert 0.6 < per_subject(small, file, kind) / per_subject(large, file, kind) < 1.6
    oversight = sum(per_subject(large, f, k) for f, k in (
        ("complaints.jsonl", "complaint"), ("enforcement.jsonl", "case"),
        ("enforcement.jsonl", "inspection")))
    assert 1.5 < oversight < 2.6
    complaints = Counter(r["uscc"] for r in read(clean, "complaints"))
    assert max(complaints.values()) >= 15  # heavy tail
    products = Counter(r["category"] for r in read(clean, "platform")
                       if r["record_type"] == "product")
    assert products["food"] > products["cosmetics"] > 0
    assert 0 < products["tobacco"] < 0.01 * sum(products.values())


def test_manifest_counts_match_the_files(clean: Path) -> None:
    manifest = json.loads((clean / "manifest.json").read_text())
    assert manifest["seed"] == 11 and manifest["version"]
    for name in FILES:
        counts = Counter(r["record_type"] for r in read(clean, name))
        assert manifest["files"][f"{name}.jsonl"]["by_type"] == dict(counts)
    assert manifest["invalid"] == 0 and not any(manifest["dirty"].values())


def test_unknown_subjects_and_parties(clean: Path) -> None:
    manifest = json.loads((clean / "manifest.json").read_text())
    parties = json.loads((clean / "parties.json").read_text())
    registered = {r["uscc"] for r in read(clean, "registry") if r["record_type"] == "subject"}
    referenced = {r["uscc"] for n in ("platform", "complaints") for r in read(clean, n)
                  if "uscc" in r}
    unknown = set(manifest["unknown_usccs"])
    assert len(unknown) >= 5 and unknown <= referenced and not unknown & registered
    city = next(r for r in parties["regulators"] if r["party_id"] == "reg-510100")
    assert {"510100", "510104", "510107"} <= set(city["jurisdiction"])
    assert {r["party_id"] for r in parties["regulators"]} == {"reg-510100", "reg-510104",
                                                             "reg-510107"}
    assert [p["party_id"] for p in parties["platforms"]] == \
        [f"party-plat-{n:02d}" for n in range(1, 10)]
    assert [a["party_id"] for a in parties["associations"]] == \
        ["party-assoc-01", "party-assoc-02", "party-assoc-03"]
    feed = {r["platform_id"]: r["uscc"] for r in read(clean, "platform")
            if r["record_type"] == "platform"}
    assert feed == {p["platform_id"]: p["uscc"] for p in parties["platforms"]}
    assert set(feed.values()) <= registered
    party_ids = {p["party_id"] for group in parties.values() for p in group}
    evaluations = [r for r in read(clean, "association") if r["record_type"] == "evaluation"]
    assert evaluations and all(set(e["shared_with"]) <= party_ids for e in evaluations)
    order = ["AAA", "AA", "A", "B", "C"]
    grades: dict[tuple[str, str], list[int]] = defaultdict(list)
    for e in sorted(evaluations, key=lambda e: e["issued_on"]):
        grades[(e["association_id"], e["uscc"])].append(order.index(e["grade"]))
    downgraded = [g for g in grades.values() if any(b > a for a, b in pairwise(g))]
    assert downgraded, "some member's grade goes down over time"


def test_csv_in_gb18030_round_trips(tmp_path: Path) -> None:
    manifest = generate(Options(out=tmp_path, subjects=200, seed=5, fmt="csv",
                                encoding="gb18030"))
    with pytest.raises(UnicodeDecodeError):
        (tmp_path / "registry.csv").read_text(encoding="utf-8")
    for name in FILES:
        with (tmp_path / f"{name}.csv").open(encoding="gb18030", newline="") as file:
            rows = list(csv.DictReader(file))
        assert rows and {"record_type", "record_id", "stated_at"} <= set(rows[0])
        assert len(rows) == manifest["files"][f"{name}.csv"]["records"]
    with (tmp_path / "enforcement.csv").open(encoding="gb18030", newline="") as file:
        inspections = [r for r in csv.DictReader(file) if r["record_type"] == "inspection"]
    assert all(len(r["inspector_ids"].split(";")) == 2 for r in inspections)
    with (tmp_path / "registry.csv").open(encoding="gb18030", newline="") as file:
        names = [r["name"] for r in csv.DictReader(file) if r["record_type"] == "subject"]
    assert any(n.endswith("有限公司") for n in names)


def test_cli_generates_quietly(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["demo", "generate", "--subjects", "50", "--seed", "2",
                                      "--out", str(tmp_path), "--quiet", "--as-of",
                                      "2025-01-31"])
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "manifest.json").read_text())["as_of"] == "2025-01-31"
    dates = [r["registered_on"] for r in read(tmp_path, "registry")
             if r["record_type"] == "subject"]
    assert max(dates) <= "2025-01-31"
    bad = CliRunner().invoke(app, ["demo", "generate", "--out", str(tmp_path),
                                   "--dirty-rate", "2"])
    assert bad.exit_code == 1 and "dirty-rate" in bad.output
