"""One subject and its registry records: registration, roles, branches, changes, annual
reports, licences.

Subjects are generated one at a time (constant memory); what later subjects may refer to
— recent enterprises as company shareholders or branch parents, the current end of a
shareholding chain — is kept in small ring buffers.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass

from hub.demo.common import Record, between, iso, ordinal, poisson, split_shares, stamp, year_of
from hub.demo.names import (
    BRAND,
    CHANGE_ITEMS,
    ENTERPRISE_FORMS,
    EXECUTIVE_TITLES,
    INDUSTRIES,
    INDUSTRY_WEIGHTS,
    Industry,
)
from hub.demo.people import Clusters, Codes, Person, street_address
from hub.demo.places import (
    CHENGDU_CITY,
    CHENGDU_DISTRICTS,
    CHENGDU_WEIGHTS,
    OTHER_SICHUAN,
    Division,
    place_name,
)
from hub.demo.registry_extra import annual_reports, licences

_RING = 4096
_DISTRICT_CUM = tuple(itertools.accumulate(CHENGDU_WEIGHTS))
_INDUSTRY_CUM = tuple(itertools.accumulate(INDUSTRY_WEIGHTS))
_SHAREHOLDERS_CUM = (45, 80, 95, 100)


@dataclass(slots=True)
class Subject:
    """What the other feeds need to know about a generated subject."""

    index: int
    uscc: str
    name: str
    brand: str
    kind: str
    division: Division
    industry: Industry
    registered: int
    ended: int | None
    status: str
    risk: float
    address: str


class RegistryMaker:
    """Makes subjects, remembering a little about recent ones for shareholding and branches."""

    def __init__(self, rng: random.Random, codes: Codes, clusters: Clusters, as_of: int) -> None:
        self.rng, self.codes, self.clusters, self.as_of = rng, codes, clusters, as_of
        first, last = 2000, year_of(as_of)
        weights = [(y - 1999) ** 1.6 for y in range(first, last + 1)]
        weights[-1] *= (as_of - ordinal(last)) / 365
        self._years = tuple(range(first, last + 1))
        self._year_cum = tuple(itertools.accumulate(weights))
        self._recent: list[tuple[str, str, str, bool]] = []  # uscc, name, brand, is_branch
        self._branches: list[tuple[str, str, str, bool]] = []
        self._chain_tail: str | None = None
        self.counter = 0

    def _division(self, index: int) -> Division:
        rng = self.rng
        agent = self.clusters.agent_of.get(index)
        if agent is not None:
            return CHENGDU_DISTRICTS[(0, 1, 3, 9)[agent % 4]]
        roll = rng.random()
        if roll < 0.08:
            return CHENGDU_CITY
        if roll < 0.85:
            return rng.choices(CHENGDU_DISTRICTS, cum_weights=_DISTRICT_CUM)[0]
        return rng.choice(OTHER_SICHUAN)

    def make(self, index: int) -> tuple[Subject, list[Record]]:
        """Subject ``index`` and its registry records (the subject record first)."""
        rng, as_of = self.rng, self.as_of
        hubs = self.clusters.hub_of.get(index, ())
        agent = self.clusters.agent_of.get(index)
        year = rng.choices(self._years, cum_weights=self._year_cum)[0]
        registered = between(rng, ordinal(year), min(ordinal(year, 12, 31), as_of - 1))
        kind = "enterprise" if hubs or agent is not None or rng.random() < 0.55 else "individual"
        division = self._division(index)
        industry = rng.choices(INDUSTRIES, cum_weights=_INDUSTRY_CUM)[0]
        code = self.codes.uscc(index, kind, division.code, year)
        risk = rng.lognormvariate(-0.72, 1.2) * (1.8 if hubs or agent is not None else 1.0)
        roll, ended, status = rng.random(), None, "active"
        if roll < 0.055 and registered + 400 < as_of:
            status = "cancelled" if roll < 0.04 else "revoked"
            ended = between(rng, registered + 365, as_of - 1)
        if agent is not None:
            address, phone = self.clusters.agents[agent]
        else:
            address = street_address(rng, place_name(division))
            phone = (f"028-{rng.randrange(60000000, 89999999)}" if rng.random() < 0.3
                     else f"1{rng.choice('3578')}{rng.randrange(10**8, 10**9)}")
        brand = "".join(rng.sample(BRAND, 2))
        records: list[Record] = []
        legal = (self.clusters.hub_people[hubs[0]] if hubs
                 else self.clusters.pooled(rng) if rng.random() < 0.18 else self.codes.person())
        parent = self._parent(kind, hubs)
        if parent is not None:
            name = parent[1] + (f"{division.name[:2]}营业部" if parent[3]
                                else f"{division.city}{division.name}分公司")
            brand = parent[2]
            records.append({"record_type": "branch", "record_id": "",
                            "stated_at": stamp(rng, registered), "uscc": code,
                            "parent_uscc": parent[0], "start_on": iso(registered),
                            "end_on": iso(ended) if ended else None})
        elif kind == "enterprise":
            city = "四川" if rng.random() < 0.1 else division.city
            name = f"{city}{brand}{industry.company_word}{rng.choice(ENTERPRISE_FORMS)}"
        else:
            label = f"{legal.name[0]}记" if rng.random() < 0.3 else brand
            name = f"{division.name or '高新区'}{label}{industry.shop_word}"
        subject = Subject(index, code, name, brand, kind, division, industry, registered, ended,
                          status, risk, address)
        changes = self._changes(subject, legal, records)
        self._roles(subject, legal, hubs, parent is not None, changes, records)
        missing = annual_reports(rng, subject, as_of, records)
        licences(rng, subject, as_of, self, records)
        if status == "active" and missing and rng.random() < 0.7:
            subject.status = status = "abnormal"
        if kind == "enterprise":
            entry = (code, name, brand, parent is not None)
            ring = self._branches if parent is not None else self._recent
            if len(ring) < _RING:
                ring.append(entry)
            else:
                ring[index % _RING] = entry
        head: Record = {"record_type": "subject", "record_id": "",
                        "stated_at": stamp(rng, between(rng, registered, as_of)), "uscc": code,
                        "name": name, "kind": kind, "registered_on": iso(registered),
                        "status": status, "address": address, "phone": phone,
                        "industry": industry.label}
        return subject, [head, *records]

    def _parent(self, kind: str, hubs: list[int] | tuple[()]) -> tuple[str, str, str, bool] | None:
        rng = self.rng
        if kind != "enterprise" or hubs or not self._recent or rng.random() >= 0.04:
            return None
        if self._branches and rng.random() < 0.3:
            return rng.choice(self._branches)
        return rng.choice(self._recent)

    def _roles(self, subject: Subject, legal: Person, hubs: list[int] | tuple[()],
               branch: bool, legal_from: int, records: list[Record]) -> None:
        rng, code = self.rng, subject.uscc
        ended = iso(subject.ended) if subject.ended else None
        records.append(_person_role(rng, code, "legal_representative", legal, legal_from, ended,
                                    phone=rng.random() < 0.6))
        if subject.kind != "enterprise" or branch:
            return
        count = 1 + sum(rng.random() * 100 >= c for c in _SHAREHOLDERS_CUM[:-1])
        holders: list[Person | str] = [legal] if rng.random() < 0.8 else []
        holders += [self.clusters.hub_people[h] for h in hubs[1:]]
        if self._recent and rng.random() < 0.1:
            chain = self._chain_tail if self._chain_tail and rng.random() < 0.5 else None
            holders.append(chain or rng.choice(self._recent)[0])
            if rng.random() < 0.7:
                self._chain_tail = code
        while len(holders) < count:
            holders.append(self.clusters.pooled(rng) if rng.random() < 0.25
                           else self.codes.person())
        for holder, share in zip(holders, split_shares(rng, len(holders)), strict=True):
            if isinstance(holder, str):
                records.append({"record_type": "role", "record_id": "",
                                "stated_at": stamp(rng, subject.registered), "uscc": code,
                                "role": "shareholder", "holder_uscc": holder, "share": share,
                                "start_on": iso(subject.registered), "end_on": ended})
            else:
                record = _person_role(rng, code, "shareholder", holder, subject.registered,
                                      ended)
                record["share"] = share
                records.append(record)
        if rng.random() < 0.5:
            person = self.clusters.pooled(rng) if rng.random() < 0.2 else self.codes.person()
            record = _person_role(rng, code, "executive", person, subject.registered, ended)
            record["title"] = rng.choice(EXECUTIVE_TITLES)
            records.append(record)

    def _changes(self, subject: Subject, legal: Person, records: list[Record]) -> int:
        """Registration changes; returns the day the current legal representative started."""
        rng, as_of = self.rng, self.as_of
        last = subject.ended or as_of
        if last - subject.registered < 60:
            return subject.registered
        days = sorted(between(rng, subject.registered + 30, last - 1)
                      for _ in range(min(5, poisson(rng, 0.45))))
        legal_from = subject.registered
        for number, day in enumerate(days, 1):
            item = rng.choice(CHANGE_ITEMS)
            if item == "法定代表人" and legal_from == subject.registered:
                before = self.codes.person()
                records.append(_person_role(rng, subject.uscc, "legal_representative", before,
                                            subject.registered, iso(day)))
                before_text, after_text, legal_from = before.name, legal.name, day
            elif item == "住所":
                before_text = street_address(rng, place_name(subject.division))
                after_text = subject.address
            elif item == "注册资本":
                amount = rng.choice((10, 30, 50, 100, 200, 500))
                before_text, after_text = f"{amount}万元人民币", f"{amount * 2}万元人民币"
            elif item == "名称":
                before_text = subject.name.replace(subject.brand, "".join(rng.sample(BRAND, 2)))
                after_text = subject.name
            else:
                item = "经营范围" if item == "法定代表人" else item
                before_text, after_text = subject.industry.label, \
                    f"{subject.industry.label}；互联网销售（除销售需要许可的商品）"
            published = rng.random() < 0.94
            records.append({"record_type": "registration_change", "record_id": "",
                            "stated_at": stamp(rng, day), "uscc": subject.uscc,
                            "change_id": f"BG{subject.uscc}-{number:02d}",
                            "changed_on": iso(day), "item": item, "before": before_text,
                            "after": after_text, "published": published,
                            "published_on": iso(min(as_of, day + rng.randrange(1, 20)))
                            if published else None})
        return legal_from


def _person_role(rng: random.Random, code: str, role: str, person: Person, start: int,
                 end: str | None, phone: bool = False) -> Record:
    return {"record_type": "role", "record_id": "", "stated_at": stamp(rng, start),
            "uscc": code, "role": role, "person_id": person.person_id,
            "person_name": person.name, "person_phone": person.phone if phone else None,
            "start_on": iso(start), "end_on": end}
