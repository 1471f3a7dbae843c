"""Stores and products: a subject's shops on the platforms and what they list.

Most subjects sell online, many on two or three platforms (one of the "related entity"
links the graph relies on). Products follow the subject's industry, so the priority
categories (food, cosmetics, drugs, ...) carry realistic weight; tobacco is the rare red
line.
"""

from __future__ import annotations

import itertools
import random

from hub.demo.common import Record, between, iso, ordinal, stamp
from hub.demo.names import INDUSTRIES, SHOP_STYLES
from hub.demo.parties import PLATFORM_WEIGHTS, PLATFORMS, Platform
from hub.demo.subject import Subject

_PLATFORM_CUM = tuple(itertools.accumulate(PLATFORM_WEIGHTS))
_LAUNCH = tuple(ordinal(y) for y in (2014, 2012, 2013, 2016, 2018, 2015, 2017, 2019, 2020))
_GENERAL = INDUSTRIES[12]  # 日用百货: what a shop lists outside its own line
_SPECS = ("", "", "", " 500g", " 礼盒装", " 2件装", " 官方正品", " 包邮", " 家庭装", " 新款")
_TOBACCO = ("香烟整条", "电子烟烟弹", "雪茄礼盒", "烟丝")
PRODUCTS_PER_STORE = 4.0  # mean of the exponential: ≈ 6 products per subject overall


class MarketMaker:
    """Stores and products of one subject at a time; ids are unique per platform."""

    def __init__(self, rng: random.Random, as_of: int) -> None:
        self.rng, self.as_of = rng, as_of
        self.stores = 0
        self.products = 0

    def make(self, subject: Subject) -> tuple[list[Record], list[Platform]]:
        """The ``store`` and ``product`` records, and the platforms the subject sells on."""
        rng = self.rng
        if rng.random() >= 0.85:
            return [], []
        roll = rng.random()
        wanted = 1 if roll < 0.55 else 2 if roll < 0.83 else 3 if roll < 0.96 else 4
        chosen: list[Platform] = []
        while len(chosen) < wanted:
            platform = rng.choices(PLATFORMS, cum_weights=_PLATFORM_CUM)[0]
            if platform not in chosen:
                chosen.append(platform)
        records: list[Record] = []
        for platform in chosen:
            records.extend(self._store(subject, platform))
        return records, chosen

    def _store(self, subject: Subject, platform: Platform) -> list[Record]:
        rng, as_of = self.rng, self.as_of
        self.stores += 1
        shop_id = f"{platform.shop_prefix}{(self.stores * 7919 + 1000003) % 10**10:010d}"
        launch = _LAUNCH[int(platform.platform_id[-2:]) - 1]
        opened = between(rng, max(subject.registered, launch), as_of - 1)
        closed = subject.ended
        if closed is None and opened + 30 < as_of and rng.random() < 0.06:
            closed = between(rng, opened + 30, as_of - 1)
        if closed is not None and closed <= opened:
            closed = opened + 1
        industry = subject.industry
        name = (f"{subject.brand}{industry.shop_word}" if subject.kind == "individual"
                else f"{subject.brand}{industry.company_word}{rng.choice(SHOP_STYLES)}")
        displayed = rng.random() < (0.9 if subject.risk < 2 else 0.6)
        records: list[Record] = [{
            "record_type": "store", "record_id": "", "stated_at": stamp(rng, opened),
            "platform_id": platform.platform_id, "shop_id": shop_id, "uscc": subject.uscc,
            "name": name,
            "licence_displayed": displayed, "opened_on": iso(opened),
            "closed_on": iso(closed) if closed is not None else None}]
        count = int(rng.expovariate(1 / PRODUCTS_PER_STORE))
        if rng.random() < 0.02:
            count *= 10
        end = min(closed or as_of, as_of)
        for _ in range(min(count, 400)):
            self.products += 1
            category, pool = industry.category, industry
            if rng.random() < 0.2:
                category, pool = "general", _GENERAL
            title = rng.choice(pool.products)
            if category == "tobacco" and rng.random() >= 0.05:
                category = "food"  # a tobacco retailer mostly lists liquor and tea online
            elif rng.random() < 0.0006:
                category, title = "tobacco", rng.choice(_TOBACCO)
            low, high = pool.price
            listed = between(rng, opened, end)
            delisted = between(rng, listed + 1, end) if listed < end and rng.random() < 0.15 \
                else None
            records.append({
                "record_type": "product", "record_id": "", "stated_at": stamp(rng, listed),
                "platform_id": platform.platform_id, "shop_id": shop_id,
                "product_id": str(600_000_000_000 + self.products * 13),
                "title": f"{subject.brand}{title}{rng.choice(_SPECS)}", "category": category,
                "price": round(low * (high / low) ** rng.random(), 2), "listed_on": iso(listed),
                "delisted_on": iso(delisted) if delisted is not None else None})
        return records
