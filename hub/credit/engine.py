"""The credit pipeline: triggers → reminders → scores, classes and sandbox, in batches.

``rescore`` is what ingest, the API's writes, escalations and ``hub credit rescore`` all
call. For each batch: evaluate the trigger rules (so scores see current alerts), fetch
every subject's facts, score and decide sandbox membership (and reminders) in Python, and
write it all in one transaction — only what changed (see :mod:`hub.credit.store`). The
next batch's work that reads nothing the pipeline writes runs ahead in a worker thread
(:func:`_passes`). Related-entity indicators read the neighbours' classes, so subjects
whose class changed get their neighbours re-scored (one more hop).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime

import neo4j

from hub.credit import alerts, clock, facts, reminders, store
from hub.credit.config import Policies, load_policies
from hub.credit.facts_model import Facts
from hub.credit.sandbox import decide
from hub.credit.scoring import assess
from hub.settings import Settings

BATCH = 2000


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
    """Score one batch already evaluated by the triggers; write its reminders and the
    outcomes in one transaction and return them."""
    fetched = facts.fetch(driver, database, usccs, now.date(),
                          policies.credit.facts_lookback_days)
    return score_facts(driver, database, policies, fetched, now, summary)


def score_facts(driver: neo4j.Driver, database: str, policies: Policies,
                fetched: list[Facts], now: datetime,
                summary: RescoreSummary) -> list[store.Outcome]:
    """Reminders, scores, classes and sandbox decisions for fetched facts, written in one
    transaction: reminders not yet written, changed outcomes in full, and for outcomes
    equal to the stored ones (:func:`store.unchanged`) only the evaluation time."""
    policy = policies.credit
    today = now.date()
    rows = []
    touched = []
    due = []
    outcomes = []
    for subject in fetched:
        have = set(subject.reminder_ids)
        due += [r for r in reminders.due(policies, reminders.facts_row(subject, today), today)
                if r["id"] not in have]
        result = assess(subject, policy, now)
        was_in = bool(subject.subject.get("in_sandbox"))
        decision = decide(subject, result, policy, today)
        data = store.row(result, decision, was_in, policy.version, now)
        if store.unchanged(data, subject.subject):
            touched.append(result.uscc)
        else:
            rows.append(data)
        outcomes.append(store.Outcome(result.uscc, result.credit_class, result.previous_class,
                                      result.score, decision.eligible, data["sandbox_kind"]))

    def work(tx: neo4j.ManagedTransaction) -> None:
        if due:
            tx.run(reminders.WRITE, rows=due, now=now.isoformat(),
                   version=policies.reminders.version).consume()
        store.write_tx(tx, rows, touched, policy.version, now)

    if due or rows or touched:
        with driver.session(database=database) as session:
            session.execute_write(work)
    summary.scored += len(outcomes)
    summary.class_changes += sum(o.credit_class != o.previous_class for o in outcomes)
    summary.admitted += sum(o.sandbox_event == "admitted" for o in outcomes)
    summary.removed += sum(o.sandbox_event == "removed" for o in outcomes)
    summary.outcomes.extend(outcomes)
    return outcomes


def _pass(driver: neo4j.Driver, database: str, policies: Policies, usccs: list[str],
          now: datetime, summary: RescoreSummary, triggers: bool) -> list[store.Outcome]:
    """One batch, start to end (see :func:`_passes` for many)."""
    return _passes(driver, database, policies, [usccs], now, summary, triggers)


@dataclass
class _Ahead:
    """A batch's work done ahead: rules that read no scores, feed facts."""

    results: list[alerts.RuleResult]
    feed: facts.Early


def _passes(driver: neo4j.Driver, database: str, policies: Policies,
            batches: list[list[str]], now: datetime, summary: RescoreSummary,
            triggers: bool, after: Callable[[list[store.Outcome]], None] | None = None
            ) -> list[store.Outcome]:
    """Batches in order, each exactly as if alone: triggers → reminders → scores, written.

    What a batch reads that earlier batches write — other subjects' classes (the
    related-subject rule and indicators) and its own alerts and credit state — is read
    after the batch before is written. The rest (every other rule, written alerts
    included, and the feed facts, which the pipeline never writes) is done by a worker
    thread one batch ahead, while this thread scores and writes the batch before: the
    database works while Python scores. Alert writes of the two threads take turns."""
    lookback = policies.credit.facts_lookback_days
    today = now.date()
    lock = threading.Lock()

    def ahead(batch: list[str]) -> _Ahead:
        results = (alerts.evaluate(driver, database, policies, batch, now,
                                   reads_scores=False, lock=lock) if triggers else [])
        return _Ahead(results, facts.fetch_early(driver, database, batch, today, lookback))

    out: list[store.Outcome] = []
    todo = [sorted(set(b)) for b in batches if b]
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="rescore-ahead") as pool:
        pending = pool.submit(ahead, todo[0]) if todo else None
        for i, batch in enumerate(todo):
            assert pending is not None
            done = pending.result()
            pending = pool.submit(ahead, todo[i + 1]) if i + 1 < len(todo) else None
            results = done.results
            if triggers:
                results += alerts.evaluate(driver, database, policies, batch, now,
                                           reads_scores=True, lock=lock)
            for result in results:
                summary.alerts_raised += result.raised
                summary.alerts_closed += result.closed
            # Reminders read the state the triggers left (open alerts, the previous
            # class): the facts fetched now carry it, so they are decided with the scores.
            fetched = facts.fetch_late(driver, database, batch, done.feed, today, lookback)
            outcomes = score_facts(driver, database, policies, fetched, now, summary)
            if after:
                after(outcomes)
            else:
                out += outcomes
    return out


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
    changed = [out.uscc for out in _passes(driver, database, policies,
                                           list(chunks(todo, batch_size)), now, summary,
                                           triggers)
               if out.credit_class != out.previous_class]
    if neighbours and changed:
        extra = sorted(facts.neighbours(driver, database, changed) - set(todo))
        _passes(driver, database, policies, list(chunks(extra, batch_size)), now, summary,
                triggers)
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

    def after(outcomes: list[store.Outcome]) -> None:
        changed.extend(o.uscc for o in outcomes if o.credit_class != o.previous_class)
        summary.outcomes.clear()  # keep memory flat on a full run
        if progress:
            progress(summary.scored, len(everyone))

    _passes(driver, database, policies, list(chunks(everyone, batch_size)), now, summary,
            True, after)
    # Second pass: neighbours of changed subjects now see their new classes.
    if changed:
        extra = sorted(facts.neighbours(driver, database, changed))
        _passes(driver, database, policies, list(chunks(extra, batch_size)), now, summary,
                True, lambda _: summary.outcomes.clear())
    return summary


def make_ingest_hook(driver: neo4j.Driver, database: str,
                     settings: Settings | None = None) -> Callable[[set[str]], None]:
    """An ``on_batch`` hook for :func:`hub.ingest.ingest`: re-score what a batch touched."""
    policies = load_policies()

    def hook(usccs: set[str]) -> None:
        rescore(driver, database, usccs, policies=policies)

    return hook
