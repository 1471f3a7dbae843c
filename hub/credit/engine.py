"""The credit pipeline: triggers → reminders → scores, classes and sandbox, in batches.

``rescore`` is what ingest, the API's writes, escalations and ``hub credit rescore`` all
call. For each batch: evaluate the trigger rules (so scores see current alerts), fetch
every subject's facts in one query, score and decide sandbox membership in Python, and
write it all in one transaction. Related-entity indicators read the neighbours' classes,
so subjects whose class changed get their neighbours re-scored (one more hop).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

import neo4j

from hub.credit import alerts, clock, facts, reminders, store
from hub.credit.config import Policies, load_policies
from hub.credit.sandbox import decide
from hub.credit.scoring import assess
from hub.settings import Settings

BATCH = 500


@dataclass
class RescoreSummary:
    scored: int = 0
    class_changes: int = 0
    admitted: int = 0
    removed: int = 0
    alerts_raised: int = 0
    alerts_closed: int = 0
    outcomes: list[store.Outcome] = field(default_factory=list, repr=False)


def chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def score_batch(driver: neo4j.Driver, database: str, policies: Policies, usccs: list[str],
                now: datetime, summary: RescoreSummary) -> list[store.Outcome]:
    """Score one batch already evaluated by the triggers; write and return the outcomes."""
    policy = policies.credit
    rows = []
    outcomes = []
    for subject in facts.fetch(driver, database, usccs, now.date(), policy.facts_lookback_days):
        result = assess(subject, policy, now)
        was_in = bool(subject.subject.get("in_sandbox"))
        decision = decide(subject, result, policy, now.date())
        data = store.row(result, decision, was_in, policy.version, now)
        rows.append(data)
        outcomes.append(store.Outcome(result.uscc, result.credit_class, result.previous_class,
                                      result.score, decision.eligible, data["sandbox_kind"]))
    store.write(driver, database, rows, policy.version, now)
    summary.scored += len(outcomes)
    summary.class_changes += sum(o.credit_class != o.previous_class for o in outcomes)
    summary.admitted += sum(o.sandbox_event == "admitted" for o in outcomes)
    summary.removed += sum(o.sandbox_event == "removed" for o in outcomes)
    summary.outcomes.extend(outcomes)
    return outcomes


def _pass(driver: neo4j.Driver, database: str, policies: Policies, usccs: list[str],
          now: datetime, summary: RescoreSummary, triggers: bool) -> list[store.Outcome]:
    if triggers:
        for result in alerts.evaluate(driver, database, policies, usccs, now):
            summary.alerts_raised += result.raised
            summary.alerts_closed += result.closed
    reminders.generate(driver, database, policies, usccs, now)
    return score_batch(driver, database, policies, usccs, now, summary)


def rescore(driver: neo4j.Driver, database: str, usccs: Iterable[str], *,
            policies: Policies | None = None, now: datetime | None = None,
            triggers: bool = True, neighbours: bool = True,
            batch_size: int = BATCH) -> RescoreSummary:
    """Re-evaluate triggers, re-score and re-decide the sandbox for ``usccs``; then do the
    same for the neighbours of any subject whose class changed."""
    policies = policies or load_policies()
    now = now or clock.now(driver, database)
    summary = RescoreSummary()
    todo = sorted(set(usccs))
    changed: list[str] = []
    for batch in chunks(todo, batch_size):
        for out in _pass(driver, database, policies, batch, now, summary, triggers):
            if out.credit_class != out.previous_class:
                changed.append(out.uscc)
    if neighbours and changed:
        extra = sorted(facts.neighbours(driver, database, changed) - set(todo))
        for batch in chunks(extra, batch_size):
            _pass(driver, database, policies, batch, now, summary, triggers)
    return summary


ALL_SUBJECTS = "MATCH (s:Subject) RETURN s.uscc AS uscc ORDER BY uscc"


def rescore_all(driver: neo4j.Driver, database: str, *, policies: Policies | None = None,
                now: datetime | None = None, batch_size: int = BATCH,
                progress: Callable[[int, int], None] | None = None) -> RescoreSummary:
    """Every subject, in batches (``progress(done, total)`` after each)."""
    policies = policies or load_policies()
    now = now or clock.now(driver, database)
    records, _, _ = driver.execute_query(ALL_SUBJECTS, database_=database,
                                         routing_=neo4j.RoutingControl.READ)
    everyone = [str(r["uscc"]) for r in records]
    summary = RescoreSummary()
    changed: list[str] = []
    for batch in chunks(everyone, batch_size):
        for out in _pass(driver, database, policies, batch, now, summary, True):
            if out.credit_class != out.previous_class:
                changed.append(out.uscc)
        summary.outcomes.clear()  # keep memory flat on a full run
        if progress:
            progress(summary.scored, len(everyone))
    # Second pass: neighbours of changed subjects now see their new classes.
    if changed:
        extra = sorted(facts.neighbours(driver, database, changed))
        for batch in chunks(extra, batch_size):
            _pass(driver, database, policies, batch, now, summary, True)
            summary.outcomes.clear()
    return summary


def make_ingest_hook(driver: neo4j.Driver, database: str,
                     settings: Settings | None = None) -> Callable[[set[str]], None]:
    """An ``on_batch`` hook for :func:`hub.ingest.ingest`: re-score what a batch touched."""
    policies = load_policies()

    def hook(usccs: set[str]) -> None:
        rescore(driver, database, usccs, policies=policies)

    return hook
