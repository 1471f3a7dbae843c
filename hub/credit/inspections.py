"""Double-random inspections 双随机: random targets by risk class, random inspectors.

Reproducible by construction: candidates are read in a fixed order (by USCC), the draw
uses ``random.Random(seed)``, and the plan records the seed, the rule version and a hash
of the candidate snapshot (uscc, class, sandbox flag) — anyone can re-draw the same
plan from the same data and seed, and can tell when the data moved underneath.

The per-period share of a class is ``ratio × per_year / periods_per_year`` (capped at
1): a class inspected twice a year at 5% gets 2.5% per quarter. Sandbox members draw at
``sandbox.inspection_factor`` of their class's share (non-intrusive supervision).
"""

from __future__ import annotations

import hashlib
import math
import random
import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import neo4j
import orjson

from hub.credit import clock
from hub.credit.config import Policies, load_policies
from hub.credit.divisions import prefix
from hub.credit.errors import CreditError
from hub.credit.policy import CLASS_ORDER

PERIOD = re.compile(r"^(\d{4})(?:Q([1-4])|H([12])|-(0[1-9]|1[0-2]))?$")

CANDIDATES = """
MATCH (s:Subject)
WHERE s.division STARTS WITH $prefix AND coalesce(s.stub, false) = false
  AND coalesce(s.status, 'active') = 'active' AND s.credit_class IS NOT NULL
RETURN s.uscc AS uscc, s.credit_class AS cls, coalesce(s.in_sandbox, false) AS sandbox
ORDER BY uscc
"""

SAVE = """
MERGE (p:InspectionPlan {id: $id})
SET p.division = $division, p.period = $period, p.seed = $seed, p.rule_version = $version,
    p.snapshot_hash = $snapshot, p.created_at = $now, p.targets_json = $targets,
    p.roster = $roster
WITH p
UNWIND $rows AS r
MATCH (s:Subject {uscc: r.uscc})
MERGE (p)-[t:TARGETS]->(s)
SET t.inspectors = r.inspectors, t.class = r.cls, t.in_sandbox = r.sandbox
"""


def periods_per_year(period: str) -> int:
    match = PERIOD.match(period)
    if not match:
        raise CreditError(f"period {period!r} is not understood",
                          "Use 2026, 2026H1, 2026Q4 or 2026-05.")
    return 4 if match.group(2) else 2 if match.group(3) else 12 if match.group(4) else 1


def draw(candidates: Sequence[dict[str, Any]], shares: dict[tuple[str, bool], float],
         seed: str, roster: Sequence[str]) -> list[dict[str, Any]]:
    """The random part (pure): targets per (class, sandbox) group, two inspectors each."""
    people = sorted(set(roster))
    if len(people) < 2:
        raise CreditError("an inspection needs two different inspectors",
                          "Give a roster with at least two inspector ids.")
    rng = random.Random(seed)  # noqa: S311 - reproducible sampling, not security
    targets = []
    for cls in CLASS_ORDER:
        for member in (False, True):
            group = [c for c in candidates if c["cls"] == cls and c["sandbox"] == member]
            k = min(len(group), math.ceil(len(group) * shares.get((cls, member), 0.0)))
            for cand in sorted(rng.sample(group, k), key=lambda c: c["uscc"]):
                targets.append({"uscc": cand["uscc"], "cls": cls, "sandbox": member,
                                "inspectors": rng.sample(people, 2)})
    return targets


def plan_inspections(driver: neo4j.Driver, database: str, division: str, period: str,
                     seed: str | int, roster: Sequence[str], *, policies: Policies | None = None,
                     now: datetime | None = None, save: bool = True) -> dict[str, Any]:
    """Draw (and record) the random-inspection plan of a division for a period."""
    policies = policies or load_policies()
    now = now or clock.now(driver, database)
    per_year = periods_per_year(period)
    records, _, _ = driver.execute_query(CANDIDATES, prefix=prefix(division),
                                         database_=database,
                                         routing_=neo4j.RoutingControl.READ)
    candidates = [r.data() for r in records]
    credit = policies.credit
    shares: dict[tuple[str, bool], float] = {}
    for cls in CLASS_ORDER:
        spec = credit.classes[cls].inspection
        base = min(1.0, spec.ratio * spec.per_year / per_year)
        shares[(cls, False)] = base
        shares[(cls, True)] = base * credit.sandbox.inspection_factor
    seed_text = str(seed)
    targets = draw(candidates, shares, seed_text, roster)
    snapshot = hashlib.sha256(orjson.dumps(
        [[c["uscc"], c["cls"], c["sandbox"]] for c in candidates])).hexdigest()
    plan = {"id": f"{division}:{period}:{seed_text}", "division": division, "period": period,
            "seed": seed_text, "rule_version": credit.version, "snapshot_hash": snapshot,
            "created_at": now.isoformat(), "candidates": len(candidates),
            "shares": {f"{c}{'+sandbox' if m else ''}": round(v, 4)
                       for (c, m), v in shares.items()},
            "targets": targets}
    if save:
        driver.execute_query(SAVE, id=plan["id"], division=division, period=period,
                             seed=seed_text, version=credit.version, snapshot=snapshot,
                             now=plan["created_at"], targets=orjson.dumps(targets).decode(),
                             roster=sorted(set(roster)), rows=targets, database_=database)
    return plan


def roster_from_graph(driver: neo4j.Driver, database: str, division: str) -> list[str]:
    """Inspectors seen on past inspections by authorities under ``division``."""
    records, _, _ = driver.execute_query(
        "MATCH (i:Inspection) WHERE i.authority STARTS WITH $prefix "
        "UNWIND coalesce(i.inspector_ids, []) AS who RETURN DISTINCT who ORDER BY who",
        prefix=prefix(division), database_=database, routing_=neo4j.RoutingControl.READ)
    return [str(r["who"]) for r in records]
