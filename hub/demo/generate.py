"""``hub demo generate``: the whole run — parties, subjects one by one, manifest.

One ``random.Random(seed)`` drives all content and a second, derived stream decides the
dirt, so the same seed gives byte-identical files and changing ``--dirty-rate`` leaves
the clean records alone. Nothing reads the clock: dates are relative to ``as_of``.
"""

from __future__ import annotations

import codecs
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import orjson

from hub.demo.common import between, iso, stamp, year_of
from hub.demo.dirty import INVALID_KINDS, KINDS
from hub.demo.market import MarketMaker
from hub.demo.oversight import OversightMaker
from hub.demo.parties import ASSOCIATIONS, PLATFORMS, parties_document
from hub.demo.people import Clusters, Codes
from hub.demo.places import CHENGDU_DISTRICTS
from hub.demo.subject import RegistryMaker
from hub.demo.writers import Feeds
from hub.errors import HubError

GENERATOR_VERSION = "1.0.0"
DEFAULT_AS_OF = date(2026, 11, 1)
FORMATS = ("jsonl", "csv")
_RESERVED = 10**8  # subject indices at and above this are the platforms' and the unknowns'
PROGRESS_STEP = 1000


@dataclass(frozen=True)
class Options:
    out: Path
    subjects: int = 1000
    seed: int = 1
    fmt: str = "jsonl"
    encoding: str = "utf-8"
    dirty_rate: float = 0.02
    as_of: date = field(default=DEFAULT_AS_OF)

    def check(self) -> None:
        if not 1 <= self.subjects < _RESERVED - 1000:
            raise HubError(f"--subjects must be between 1 and {_RESERVED - 1001}")
        if not 0 <= self.dirty_rate <= 0.5:
            raise HubError("--dirty-rate must be between 0 and 0.5",
                           "use 0 for clean data, 0.02 for the usual 2%")
        if self.fmt not in FORMATS:
            raise HubError(f"unknown format {self.fmt!r}", "use jsonl or csv")
        try:
            codecs.lookup(self.encoding)
        except LookupError:
            raise HubError(f"unknown encoding {self.encoding!r}",
                           "use utf-8 (default), gb18030 or gbk") from None
        if self.as_of.year < 2001:
            raise HubError("--as-of must be after 2000 (registrations start in 2000)")


def generate(options: Options, progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Write the five feeds, ``parties.json`` and ``manifest.json``; return the manifest.
    ``progress`` is called with the number of subjects done since the last call."""
    options.check()
    out = options.out
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(options.seed)  # noqa: S311 — demo data, not secrets
    as_of = options.as_of.toordinal()
    codes = Codes(rng)
    clusters = Clusters(rng, codes, options.subjects)
    registry = RegistryMaker(rng, codes, clusters, as_of)
    market, oversight = MarketMaker(rng, as_of), OversightMaker(rng, as_of)
    unknown_at = sorted(rng.sample(range(options.subjects),
                                   min(options.subjects, max(5, options.subjects // 5000))))
    unknown = {index: (number, codes.uscc(_RESERVED - 100 - number, "enterprise", "510107", 2021))
               for number, index in enumerate(unknown_at)}
    feeds = Feeds(out, options.fmt, options.encoding, options.dirty_rate,
                  random.Random(f"dirt-{options.seed}"))  # noqa: S311
    try:
        platform_usccs = _headers(rng, codes, feeds, as_of)
        association_usccs = {a.association_id: codes.social_org_uscc(n)
                             for n, a in enumerate(ASSOCIATIONS)}
        for association in ASSOCIATIONS:
            feeds.add("association", {
                "record_type": "association", "record_id": "", "stated_at": stamp(rng, as_of),
                "association_id": association.association_id, "name": association.name,
                "uscc": association_usccs[association.association_id]}, clean=True)
        done = 0
        for index in range(options.subjects):
            subject, records = registry.make(index)
            for record in records:
                feeds.add("registry", record)
            stores, platforms = market.make(subject)
            for record in stores:
                feeds.add("platform", record)
            complaints = oversight.complaints(subject, platforms)
            for record in complaints:
                feeds.add("complaints", record)
            for record in oversight.enforcement(subject, len(complaints)):
                feeds.add("enforcement", record)
            for record in oversight.associations(subject):
                feeds.add("association", record)
            if index in unknown:
                number, code = unknown[index]
                _unknown_reference(rng, feeds, oversight, code, number, as_of)
            done += 1
            if progress and done == PROGRESS_STEP:
                progress(done)
                done = 0
        if progress and done:
            progress(done)
    finally:
        feeds.close()
    manifest = _manifest(options, feeds, clusters, sorted(code for _, code in unknown.values()))
    _write_json(out / "manifest.json", manifest)
    _write_json(out / "parties.json", parties_document(platform_usccs, association_usccs))
    return manifest


def _headers(rng: random.Random, codes: Codes, feeds: Feeds, as_of: int) -> dict[str, str]:
    """The platform operators (registry subjects) and the ``platform`` records."""
    usccs: dict[str, str] = {}
    for number, platform in enumerate(PLATFORMS):
        division = CHENGDU_DISTRICTS[(3, 0, 1, 9)[number % 4]]
        year = 2011 + number
        code = codes.uscc(_RESERVED - 1 - number, "enterprise", division.code, year)
        usccs[platform.platform_id] = code
        registered = between(rng, date(year, 1, 1).toordinal(), date(year, 12, 31).toordinal())
        feeds.add("registry", {
            "record_type": "subject", "record_id": "", "stated_at": stamp(rng, as_of),
            "uscc": code, "name": platform.operator, "kind": "enterprise",
            "registered_on": iso(registered), "status": "active",
            "address": f"四川省成都市{division.name}天府大道{100 + number * 37}号",
            "phone": f"028-{rng.randrange(60000000, 89999999)}", "industry": "网络技术"},
            clean=True)
        feeds.add("platform", {
            "record_type": "platform", "record_id": "", "stated_at": stamp(rng, as_of),
            "platform_id": platform.platform_id, "name": platform.name, "uscc": code},
            clean=True)
    return usccs


def _unknown_reference(rng: random.Random, feeds: Feeds, oversight: OversightMaker, code: str,
                       number: int, as_of: int) -> None:
    """A clean record about a subject no registry record names (the ingest makes a stub):
    alternately a 12315 complaint and a store on a platform."""
    day = between(rng, as_of - 365, as_of - 1)
    if number % 2:
        platform = PLATFORMS[number % len(PLATFORMS)]
        feeds.add("platform", {
            "record_type": "store", "record_id": "", "stated_at": stamp(rng, day),
            "platform_id": platform.platform_id, "shop_id": f"{platform.shop_prefix}U{number:08d}",
            "uscc": code, "name": f"未登记小店{number}", "licence_displayed": False,
            "opened_on": iso(day)}, clean=True)
        return
    oversight.serial += 1
    feeds.add("complaints", {
        "record_type": "complaint", "record_id": "", "stated_at": stamp(rng, day),
        "complaint_id": f"1231551{year_of(day)}{oversight.serial:09d}", "uscc": code,
        "channel": "12315", "received_on": iso(day), "category": "未亮照经营",
        "status": "open", "summary": "消费者反映一家网店未公示营业执照，平台未能提供经营者信息"},
        clean=True)


def _manifest(options: Options, feeds: Feeds, clusters: Clusters,
              unknown: list[str]) -> dict[str, Any]:
    files = feeds.summary()
    dirty = {kind: sum(f["dirty"].get(kind, 0) for f in files.values()) for kind in KINDS}
    return {
        "generator": "hub.demo", "version": GENERATOR_VERSION, "seed": options.seed,
        "subjects": options.subjects, "platform_operators": len(PLATFORMS),
        "as_of": options.as_of.isoformat(), "format": options.fmt,
        "encoding": options.encoding, "dirty_rate": options.dirty_rate, "files": files,
        "dirty": dirty, "invalid": sum(dirty[k] for k in INVALID_KINDS),
        "unknown_usccs": unknown,
        "clusters": {"hub_people_companies": clusters.hub_sizes,
                     "agent_address_subjects": clusters.agent_sizes,
                     "person_pool": len(clusters.pool)},
    }


def _write_json(path: Path, document: dict[str, Any]) -> None:
    path.write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE))
