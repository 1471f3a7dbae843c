"""The credit sandbox 信用沙盒: who is admitted, and why (pure rules + a stats query).

Admission is re-decided on every (re)score from the rules in ``credit.yaml``'s
``sandbox.admission``: every check must hold, and each check says in words whether it
held, so an admission or a removal always carries its reasons. Members get a lower
inspection ratio and are eligible for "minor first violation corrected in time: no
penalty" 轻微不罚 while they have no penalty or light-penalty case on record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import neo4j

from hub.credit.divisions import prefix
from hub.credit.facts_model import Facts, active_products, day, open_stores
from hub.credit.policy import CreditPolicy
from hub.credit.scoring import Assessment


@dataclass
class Decision:
    eligible: bool
    reasons: list[str]  # the failed checks when not eligible, else the checks that held
    exempt_eligible: bool
    inspection_ratio: float


def decide(facts: Facts, result: Assessment, policy: CreditPolicy, today: date) -> Decision:
    rules = policy.sandbox.admission
    failed: list[str] = []
    held: list[str] = []

    def check(ok: bool, yes: str, no: str) -> None:
        (held if ok else failed).append(yes if ok else no)

    cls = result.credit_class
    check(cls in rules.classes, f"class {cls}",
          f"class {cls} is not one of {'/'.join(rules.classes)}")
    reg = day(facts.subject.get("registered_on"))
    age = (today - reg).days if reg else -1
    check(age >= rules.min_registered_days, f"registered {age} days",
          f"registered {age if age >= 0 else 'unknown'} days "
          f"(< {rules.min_registered_days})")
    status = "stub" if facts.subject.get("stub") else str(facts.subject.get("status") or "active")
    check(status in rules.statuses, f"status {status}", f"status {status}")
    blocking = [a for a in facts.alerts if a.get("status") != "closed"
                and a.get("severity") in rules.blocking_alert_severities]
    check(not blocking, "no open red-line alert",
          "open alert(s): " + ", ".join(f"{a['id']} ({a.get('rule')})" for a in blocking))
    if rules.block_escalated_alerts:
        overdue = [a for a in facts.alerts if a.get("status") != "closed"
                   and a.get("escalated_at")]
        check(not overdue, "no overdue rectification",
              "rectification overdue: " + ", ".join(
                  f"{a['id']} ({a.get('rule')}) since {a.get('escalated_at')}"
                  for a in overdue))
    if rules.licence_displayed_where_licensed:
        hidden = [st["key"] for st in open_stores(facts, today)
                  if st.get("licence_displayed") is not True
                  and any(p.get("category") in policy.licensed_categories
                          for p in active_products(st, today))]
        check(not hidden, "licence displayed where licensed goods sell",
              "licence not displayed in store(s): " + ", ".join(hidden))
    eligible = not failed
    first_time = not any(k.get("outcome") in ("penalty", "light") for k in facts.cases)
    ratio = policy.classes[cls].inspection.ratio
    if eligible:
        ratio *= policy.sandbox.inspection_factor
    return Decision(eligible, held if eligible else failed, eligible and first_time,
                    round(ratio, 4))


STATS_QUERY = """
MATCH (s:Subject) WHERE s.in_sandbox = true
  AND ($prefix IS NULL OR s.division STARTS WITH $prefix)
CALL (s) {
  OPTIONAL MATCH (s)-[:OPERATES]->(st:Store)
  WHERE st.closed_on IS NULL OR st.closed_on > $today
  RETURN collect(DISTINCT st.platform_id) AS platforms
}
RETURN s.division AS division, platforms
"""


def sandbox_stats(driver: neo4j.Driver, database: str, division: str | None = None,
                  today: date | None = None) -> dict[str, Any]:
    """Sandbox members under a jurisdiction code (None: all): total, by division and by
    platform (a member on 2 platforms counts for each; storeless ones under ``(none)``)."""
    records, _, _ = driver.execute_query(
        STATS_QUERY, prefix=prefix(division) if division else None,
        today=(today or date.today()).isoformat(), database_=database,
        routing_=neo4j.RoutingControl.READ)
    by_division: dict[str, int] = {}
    by_platform: dict[str, int] = {}
    for rec in records:
        div = str(rec["division"])
        by_division[div] = by_division.get(div, 0) + 1
        for pid in rec["platforms"] or ["(none)"]:
            by_platform[str(pid)] = by_platform.get(str(pid), 0) + 1
    return {"total": len(records), "by_division": dict(sorted(by_division.items())),
            "by_platform": dict(sorted(by_platform.items()))}
