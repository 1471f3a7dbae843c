"""Backtesting a trigger rule: how many alerts would it have raised, month by month?

Read-only. The rule's Cypher is evaluated as of the last day of each month since the
given date; an alert counts in the first month its (subject, evidence key) fires, as a
live evaluation on that day would have raised it. Facts are taken as dated by their
own fields (listed_on, received_on, changed_on…), so the result approximates history
as well as the data's dates allow (revisions are not replayed).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import neo4j

from hub.credit.alerts import find_hits
from hub.credit.config import Policies, load_policies
from hub.credit.errors import NotFound


def month_ends(since: date, until: date) -> list[date]:
    out = []
    year, month = since.year, since.month
    while True:
        nxt = date(year + (month == 12), month % 12 + 1, 1)
        end = min(nxt - timedelta(days=1), until)
        out.append(end)
        if nxt > until:
            return out
        year, month = nxt.year, nxt.month


def backtest(driver: neo4j.Driver, database: str, rule_id: str, since: date, until: date, *,
             policies: Policies | None = None) -> dict[str, Any]:
    policies = policies or load_policies()
    try:
        rule = policies.triggers.rule(rule_id)
    except KeyError:
        raise NotFound(f"no trigger rule {rule_id!r}",
                       "See policies/triggers.yaml for the rule ids.") from None
    seen: set[tuple[str, str]] = set()
    months = []
    for end in month_ends(since, until):
        hits = find_hits(driver, database, rule, policies.credit.licensed_categories, None,
                         end.isoformat())
        keys = {(h["uscc"], h["key"]) for h in hits}
        new = keys - seen
        seen |= keys
        months.append({"month": end.strftime("%Y-%m"), "new_alerts": len(new),
                       "firing": len(keys), "subjects": len({k[0] for k in new})})
    return {"rule": rule.id, "rule_version": policies.triggers.version,
            "since": since.isoformat(), "until": until.isoformat(), "months": months,
            "total_alerts": len(seen)}
