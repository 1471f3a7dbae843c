"""Scoring arithmetic: facts → indicator points → weighted score → class (pure).

The score is the weighted sum down the indicator tree (weights of siblings add up to 1,
so the score stays on 0–100). The class comes from the thresholds, then two rules that
keep classification honest and explainable:

* caps — a veto indicator (e.g. a stub or revoked registration) limits the best class;
* observation period 观察期 — a subject may only move *up* once its current class's
  observation period has run since it entered that class; moving down is immediate.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from hub.credit.facts_model import Facts, day
from hub.credit.policy import CLASS_ORDER, ClassName, CreditPolicy, Indicator
from hub.credit.scorers import SCORERS, Context


@dataclass
class Assessment:
    uscc: str
    score: float
    computed_class: ClassName  # from the score and caps alone
    credit_class: ClassName  # after the observation period
    colour: str
    explanation: dict[str, Any]
    previous_class: str | None
    why: str


@dataclass(slots=True)
class _Node:
    """An indicator as plain data (the pydantic model's attribute access is slow in the
    hot loop); built once per policy by :func:`_compile`."""

    ident: str
    head: dict[str, Any]  # id, name, name_en, weight: the start of the explanation node
    weight: float
    indicator: Indicator
    scorer: str | None
    fn: Any
    params: Any
    children: list[_Node]


# 2: leaves hold ``refs`` (kind + id of each fact) instead of copies of the facts; a
# stored explanation without it is rendered as withheld (hub.credit.explain_render).
EXPLANATION_FORMAT = 2

_COMPILED: dict[int, tuple[CreditPolicy, list[_Node]]] = {}


def _node(ind: Indicator) -> _Node:
    return _Node(ind.id, {"id": ind.id, "name": ind.name, "name_en": ind.name_en,
                          "weight": ind.weight}, ind.weight, ind, ind.scorer,
                 SCORERS[ind.scorer].fn if ind.scorer else None,
                 ind.parsed_params if ind.scorer else None,
                 [_node(child) for child in ind.children])


def _compile(policy: CreditPolicy) -> list[_Node]:
    held = _COMPILED.get(id(policy))
    if held is None or held[0] is not policy:
        held = (policy, [_node(top) for top in policy.indicators])
        _COMPILED[id(policy)] = held
    return held[1]


def _score_node(node: _Node, facts: Facts, ctx: Context, share: float,
                leaf_points: dict[str, float]) -> tuple[float, dict[str, Any]]:
    out: dict[str, Any] = dict(node.head)
    if node.scorer:
        measure = node.fn(facts, node.params, ctx)
        points = node.indicator.points(measure.value)
        leaf_points[node.ident] = points
        out.update(scorer=node.scorer, value=measure.value, refs=measure.evidence)
        if measure.note:
            out["note"] = measure.note
    else:
        children = []
        points = 0.0
        for child in node.children:
            child_points, child_out = _score_node(child, facts, ctx, share * child.weight,
                                                  leaf_points)
            points += child.weight * child_points
            children.append(child_out)
        out["children"] = children
    out["points"] = round(points, 2)
    out["contribution"] = round(share * points, 2)
    return points, out


def worse(a: ClassName, b: ClassName) -> ClassName:
    return a if CLASS_ORDER.index(a) >= CLASS_ORDER.index(b) else b


def hold_for_observation(policy: CreditPolicy, previous: str | None, since: date | None,
                         computed: ClassName, today: date) -> tuple[ClassName, date | None]:
    """The class to record and, when an upgrade is held back, the day it may happen."""
    if previous not in CLASS_ORDER or since is None:
        return computed, None
    prev: ClassName = previous
    if CLASS_ORDER.index(computed) >= CLASS_ORDER.index(prev):
        return computed, None
    until = since + timedelta(days=policy.classes[prev].observation_days)
    if today < until:
        return prev, until
    return computed, None


def assess(facts: Facts, policy: CreditPolicy, now: datetime) -> Assessment:
    """Score one subject and classify it, with the full explanation."""
    today = now.date()
    ctx = Context(today=today, licensed=policy.licensed_categories)
    leaf_points: dict[str, float] = {}
    total = 0.0
    tree = []
    for top in _compile(policy):
        points, out = _score_node(top, facts, ctx, top.weight, leaf_points)
        total += top.weight * points
        tree.append(out)
    score = round(total, 2)
    computed = policy.class_for(score)
    caps = []
    for cap in policy.caps:
        if leaf_points.get(cap.indicator, 100.0) <= cap.points_at_most:
            caps.append({"indicator": cap.indicator, "at_best": cap.at_best,
                         "reason": cap.reason})
            computed = worse(computed, cap.at_best)
    previous = facts.subject.get("credit_class")
    since = day(facts.subject.get("credit_class_since"))
    final, held_until = hold_for_observation(policy, previous, since, computed, today)
    why = f"score {score:g} → class {policy.class_for(score)}"
    if caps:
        why += "; capped: " + "; ".join(c["reason"] for c in caps)
    if held_until:
        why += (f"; upgrade to {computed} held: class {final} observation period runs "
                f"until {held_until.isoformat()}")
    cls = policy.classes[final]
    explanation = {
        "format": EXPLANATION_FORMAT, "uscc": facts.uscc, "version": policy.version,
        "scored_at": now.isoformat(),
        "score": score, "computed_class": computed, "class": final, "colour": cls.colour,
        "label": cls.label, "label_en": cls.label_en, "caps": caps,
        "held_until": held_until.isoformat() if held_until else None, "why": why,
        "indicators": tree,
    }
    return Assessment(facts.uscc, score, computed, final, cls.colour, explanation,
                      previous if isinstance(previous, str) else None, why)
