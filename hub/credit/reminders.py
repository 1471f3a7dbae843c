"""Administrative reminders 行政提示: pushed to the subjects they concern.

Conditions come from ``policies/reminders.yaml``; one query reads what they need for a
batch of subjects (the engine derives the same from the facts it has already fetched:
:func:`facts_row`), the conditions are checked in Python, and each reminder is written
once per period (its id holds the period), so re-running generates nothing twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date, datetime
from typing import Any

import neo4j

from hub.credit.config import Policies
from hub.credit.facts_model import Facts
from hub.credit.trigger_policy import Reminder


def facts_query(store: str = "true", product: str = "true", alert: str = "true",
                report: str = "true") -> str:
    """What the reminder conditions read, for a batch of subjects. The predicates (over
    ``st``, ``p``, ``a``, ``r``) narrow it to what one reader may see: the engine uses
    them all true (a reminder is about the subject), the API composes the caller's
    visibility (hub.policy.visibility.sees) so that a reminder never reveals a fact the
    caller could not read (another platform's listing, an alert it was not sent)."""
    return f"""
UNWIND $usccs AS u
MATCH (s:Subject {{uscc: u}})
RETURN s.uscc AS uscc, s.credit_class AS cls, coalesce(s.credit_repair_open, false) AS repair,
       coalesce(s.stub, false) AS stub, s.registered_on AS registered_on,
       COUNT {{ (a:Alert)-[:ABOUT]->(s) WHERE a.status <> 'closed' AND {alert} }} > 0
         AS open_alert,
       [(s)-[:OPERATES]->(st:Store)-[:LISTS]->(p:Product)
        WHERE p.category <> 'general' AND (st.closed_on IS NULL OR st.closed_on > $today)
          AND (p.delisted_on IS NULL OR p.delisted_on > $today) AND {store} AND {product}
        | p.category] AS cats,
       COUNT {{ (s)-[:FILED]->(r:AnnualReport)
               WHERE toInteger(r.year) = $last_year AND r.filed_on IS NOT NULL
                 AND {report} }} > 0 AS filed
"""


FACTS = facts_query()

WRITE = """
UNWIND $rows AS r
MATCH (s:Subject {uscc: r.uscc})
MERGE (m:Reminder {id: r.id})
ON CREATE SET m.kind = r.kind, m.reminder = r.reminder, m.title = r.title, m.text = r.text,
              m.created_at = $now, m.version = $version, m.uscc = r.uscc
MERGE (m)-[:FOR]->(s)
"""


def period_key(period: str, today: date) -> str:
    if period == "once":
        return "once"
    if period == "year":
        return str(today.year)
    if period == "quarter":
        return f"{today.year}Q{(today.month - 1) // 3 + 1}"
    return f"{today.year}-{today.month:02d}"


def applies(reminder: Reminder, row: dict[str, Any], today: date) -> bool:
    """Whether every condition the reminder names holds for the subject (pure)."""
    w = reminder.when
    if w.classes is not None and row.get("cls") not in w.classes:
        return False
    if w.lists_categories is not None and not set(w.lists_categories) & set(row["cats"]):
        return False
    if w.credit_repair_open is not None and bool(row["repair"]) != w.credit_repair_open:
        return False
    if w.open_alert is not None and bool(row["open_alert"]) != w.open_alert:
        return False
    if w.report_due_within_days is not None:
        due = date(today.year, 6, 30)
        registered = str(row.get("registered_on") or "9999")
        if (row["stub"] or row["filed"] or registered[:4] >= str(today.year)
                or not 0 <= (due - today).days <= w.report_due_within_days):
            return False
    return True


def _to_int(value: Any) -> int | None:
    """Cypher's ``toInteger`` for the values a report year may hold."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    try:
        return int(str(value))
    except ValueError:
        try:
            return int(float(str(value)))
        except ValueError:
            return None


def _after(value: Any, today: str) -> bool:
    """Cypher's ``x IS NULL OR x > $today`` on an ISO string property."""
    return value is None or (isinstance(value, str) and value > today)


def facts_row(f: Facts, today: date) -> dict[str, Any]:
    """What :data:`FACTS` returns for one subject, computed from the engine's facts
    (their stores hold every non-general product not delisted before the look-back
    window, a superset of the ones listed here; alerts are the open ones)."""
    iso = today.isoformat()
    subject = f.subject
    return {
        "uscc": f.uscc, "cls": subject.get("credit_class"),
        "repair": bool(subject.get("credit_repair_open") or False),
        "stub": bool(subject.get("stub") or False),
        "registered_on": subject.get("registered_on"),
        "open_alert": bool(f.alerts),
        "cats": [p.get("category") for st in f.stores if _after(st.get("closed_on"), iso)
                 for p in st.get("products") or [] if _after(p.get("delisted_on"), iso)],
        "filed": any(_to_int(r.get("year")) == today.year - 1 and r.get("filed_on") is not None
                     for r in f.reports),
    }


def due(policies: Policies, data: dict[str, Any], today: date) -> list[dict[str, Any]]:
    """The reminder rows (id, uscc, kind, reminder, title, text) due for one subject."""
    rows = []
    for rem in policies.reminders.reminders:
        if applies(rem, data, today):
            rows.append({"id": f"{rem.id}:{data['uscc']}:{period_key(rem.period, today)}",
                         "uscc": data["uscc"], "kind": rem.kind, "reminder": rem.id,
                         "title": rem.title, "text": rem.text})
    return rows


def generate(driver: neo4j.Driver, database: str, policies: Policies, usccs: Iterable[str],
             now: datetime) -> int:
    """Write the reminders due for ``usccs``; returns how many rows were considered."""
    today = now.date()
    records, _, _ = driver.execute_query(
        FACTS, usccs=sorted(set(usccs)), today=today.isoformat(), last_year=today.year - 1,
        database_=database, routing_=neo4j.RoutingControl.READ)
    rows = [row for rec in records for row in due(policies, rec.data(), today)]
    if rows:
        driver.execute_query(WRITE, rows=rows, now=now.isoformat(),
                             version=policies.reminders.version, database_=database)
    return len(rows)


def reminders_for(driver: neo4j.Driver, database: str, uscc: str) -> list[dict[str, Any]]:
    """A subject's reminders, newest first: id, kind, title, text, created_at."""
    records, _, _ = driver.execute_query(
        "MATCH (m:Reminder)-[:FOR]->(:Subject {uscc: $uscc}) "
        "RETURN m {.id, .kind, .reminder, .title, .text, .created_at, .version} AS m "
        "ORDER BY m.created_at DESC, m.id", uscc=uscc, database_=database,
        routing_=neo4j.RoutingControl.READ)
    return [dict(r["m"]) for r in records]


def visible_reminders(driver: neo4j.Driver, database: str, policies: Policies, uscc: str,
                      today: date, predicates: dict[str, str], params: dict[str, Any],
                      unseen: frozenset[str] = frozenset()) -> list[dict[str, Any]]:
    """The subject's reminders as one reader may derive them: those due on the facts the
    reader sees (``predicates`` for :func:`facts_query`), leaving out reminders with a
    condition on what the reader cannot see at all (``unseen``: condition names of
    :class:`~hub.credit.trigger_policy.When`), with the stored one's time when the
    engine has already pushed it. Newest first."""
    records, _, _ = driver.execute_query(
        facts_query(**predicates), {**params, "usccs": [uscc], "today": today.isoformat(),
                                    "last_year": today.year - 1},
        database_=database, routing_=neo4j.RoutingControl.READ)
    usable = [r for r in policies.reminders.reminders
              if all(getattr(r.when, c) is None for c in unseen)]
    view = replace(policies, reminders=policies.reminders.model_copy(
        update={"reminders": usable}))
    rows = [row for rec in records for row in due(view, rec.data(), today)]
    stored = {r["id"]: r for r in reminders_for(driver, database, uscc)}
    out = [{**row, "created_at": stored.get(row["id"], {}).get("created_at")} for row in rows]
    out.sort(key=lambda r: r["id"])
    out.sort(key=lambda r: r["created_at"] or "", reverse=True)
    return out
