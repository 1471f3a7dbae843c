"""Complaints, enforcement and association records of one subject.

Their volume follows the subject's heavy-tailed risk propensity: most subjects have no
complaint or one, a few have dozens, and cases and targeted inspections follow the same
skew, so risk classification has something real to separate. Association grades drift
down over time for risky members, so there are downgrades to detect.
"""

from __future__ import annotations

import random

from hub.demo.common import Record, between, iso, ordinal, poisson, stamp, year_of
from hub.demo.names import CASES, COMPLAINT_CATEGORIES
from hub.demo.parties import ASSOCIATIONS, Platform, shared_with_choices
from hub.demo.places import CHENGDU, CHENGDU_DISTRICTS
from hub.demo.subject import Subject

_CENTRAL = tuple(d.code for d in CHENGDU_DISTRICTS[:5])
_ABBR = {d.code: d.abbr for d in CHENGDU_DISTRICTS} | {CHENGDU: "成"}
_SHARED = shared_with_choices()
_GRADES = ((90, "AAA"), (80, "AA"), (70, "A"), (60, "B"), (0, "C"))


class OversightMaker:
    """Complaint, case, inspection and association records, with unique ids."""

    def __init__(self, rng: random.Random, as_of: int) -> None:
        self.rng, self.as_of = rng, as_of
        self.serial = 0
        self._case_numbers: dict[tuple[str, int], int] = {}

    def _next(self) -> int:
        self.serial += 1
        return self.serial

    def _authority(self, subject: Subject) -> str:
        code, rng = subject.division.code, self.rng
        if code == CHENGDU:
            return CHENGDU if rng.random() < 0.6 else rng.choice(_CENTRAL)
        if code.startswith("5101"):
            return CHENGDU if rng.random() < 0.15 else code
        return code

    def complaints(self, subject: Subject, platforms: list[Platform]) -> list[Record]:
        rng, as_of = self.rng, self.as_of
        start, end = max(subject.registered, as_of - 5 * 365), min(subject.ended or as_of, as_of)
        records: list[Record] = []
        for _ in range(min(500, poisson(rng, 1.2 * subject.risk))):
            received = between(rng, start, end)
            roll = rng.random()
            channel = "opinion" if roll < 0.1 else "platform" if roll < 0.5 and platforms \
                else "12315"
            platform = rng.choice(platforms) if channel == "platform" else None
            number = self._next()
            complaint_id = (f"{platform.shop_prefix}TS{number:010d}" if platform
                            else f"YQ{year_of(received)}{number:09d}" if channel == "opinion"
                            else f"1231551{year_of(received)}{number:09d}")
            status, resolved = "open", None
            if received + 15 < as_of:
                roll = rng.random()
                if roll < 0.87:
                    status = "resolved" if roll < 0.75 else "rejected"
                    resolved = between(rng, received + 1, min(received + 60, as_of))
            category = rng.choice(COMPLAINT_CATEGORIES)
            records.append({
                "record_type": "complaint", "record_id": "", "stated_at": stamp(rng, received),
                "complaint_id": complaint_id, "uscc": subject.uscc, "channel": channel,
                "received_on": iso(received), "category": category,
                "platform_id": platform.platform_id if platform else None, "status": status,
                "resolved_on": iso(resolved) if resolved else None,
                "summary": f"消费者反映“{subject.name}”存在{category}问题"})
        return records

    def enforcement(self, subject: Subject, complaints: int) -> list[Record]:
        rng, as_of, risk = self.rng, self.as_of, subject.risk
        start, end = max(subject.registered, as_of - 6 * 365), min(subject.ended or as_of, as_of)
        records: list[Record] = []
        for _ in range(min(100, poisson(rng, 0.22 * risk))):
            opened, authority = between(rng, start, end), self._authority(subject)
            key = (_ABBR.get(authority, subject.division.abbr), year_of(opened))
            self._case_numbers[key] = number = self._case_numbers.get(key, 0) + 1
            record: Record = {
                "record_type": "case", "record_id": "", "stated_at": stamp(rng, opened),
                "case_id": f"{key[0]}市监立〔{key[1]}〕{number}号",
                "uscc": subject.uscc, "opened_on": iso(opened), "authority": authority}
            if opened + 120 < as_of or rng.random() < 0.5:
                roll = rng.random() * (1 + 0.2 * min(risk, 5))
                outcome = "exempt" if roll < 0.3 else "light" if roll < 0.55 else "penalty"
                decided = min(as_of, opened + rng.randrange(20, 150))
                penalty = 100 * round(rng.lognormvariate(9.9, 1.0) / 100)
                fine = (None if outcome == "exempt"
                        else rng.randrange(5, 50) * 100 if outcome == "light"
                        else min(2_000_000, max(1000, penalty)))
                record.update(outcome=outcome, decided_on=iso(decided), fine=fine,
                              stated_at=stamp(rng, decided))
            summary, basis = rng.choice(CASES)
            record.update(legal_basis=basis, summary=f"{subject.name}{summary}案")
            records.append(record)
        kinds = (["random"] * poisson(rng, 0.36) + ["targeted"] * poisson(rng, 0.12 * risk)
                 + ["complaint"] * sum(rng.random() < 0.08 for _ in range(min(complaints, 50))))
        p_fail, p_issues = min(0.4, 0.03 * risk), min(0.4, 0.1 * risk)
        for kind in kinds:
            inspected, authority = between(rng, start, end), self._authority(subject)
            roll = rng.random()
            inspectors = sorted(rng.sample(range(1, 80), 2))
            records.append({
                "record_type": "inspection", "record_id": "", "stated_at": stamp(rng, inspected),
                "inspection_id": f"JC{authority}{year_of(inspected)}{self._next():09d}",
                "uscc": subject.uscc, "inspected_on": iso(inspected), "authority": authority,
                "result": "fail" if roll < p_fail else "issues" if roll < p_fail + p_issues
                else "pass", "kind": kind,
                "inspector_ids": [f"ZF{authority}{i:03d}" for i in inspectors]})
        return records

    def associations(self, subject: Subject) -> list[Record]:
        rng, as_of, risk = self.rng, self.as_of, subject.risk
        records: list[Record] = []
        factor = 1.5 if risk < 0.5 else 0.6 if risk > 2 else 1.0
        for association in ASSOCIATIONS:
            if not ("*" in association.categories
                    or subject.industry.category in association.categories):
                continue
            first = max(subject.registered + 30, ordinal(2016))
            last = min(subject.ended or as_of, as_of) - 30
            if first >= last or rng.random() >= association.join_rate * factor:
                continue
            joined = between(rng, first, last)
            left = between(rng, joined + 365, as_of - 1) \
                if joined + 365 < as_of - 1 and rng.random() < 0.1 else None
            records.append({
                "record_type": "membership", "record_id": "", "stated_at": stamp(rng, joined),
                "association_id": association.association_id, "uscc": subject.uscc,
                "joined_on": iso(joined), "left_on": iso(left) if left else None})
            score = min(100.0, max(30.0, 96 - 8 * risk + rng.gauss(0, 5)))
            issued = joined + rng.randrange(30, 200)
            while issued < (left or as_of):
                grade = next(g for floor, g in _GRADES if score >= floor)
                shared = sorted(rng.sample(_SHARED, rng.randrange(1, 5)))
                if "reg-510100" not in shared and rng.random() < 0.8:
                    shared.insert(0, "reg-510100")
                records.append({
                    "record_type": "evaluation", "record_id": "",
                    "stated_at": stamp(rng, issued),
                    "evaluation_id": f"{association.association_id.upper()}-"
                                     f"{year_of(issued)}-{self._next():09d}",
                    "association_id": association.association_id, "uscc": subject.uscc,
                    "grade": grade, "score": round(score), "issued_on": iso(issued),
                    "valid_to": iso(issued + 730), "shared_with": shared})
                score = min(100.0, max(30.0, score + rng.gauss(0, 4) - (3 if risk > 1.5 else 0)))
                issued += rng.randrange(300, 730)
        return records
