"""Writing scores, explanations, class history and sandbox events (one transaction/batch).

An assessment node is keyed by the subject and a hash of its *outcome* (version, score,
class, every leaf's points): re-scoring unchanged facts updates the current assessment
in place instead of piling up identical nodes, while any change in the outcome keeps
the previous assessment as history (``current = false``). Class changes and sandbox
admissions / removals are events with their reasons and the rule version.

``Subject.credit_hash`` holds a hash of everything a write stores but the time, so a
re-score that changes nothing (the common case) only moves ``credit_scored_at``: the
stored explanation (and its ``scored_at``: when that explanation was produced) stays.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import neo4j
import orjson

from hub.credit.sandbox import Decision
from hub.credit.scoring import Assessment

WRITE = """
UNWIND $rows AS r
MATCH (s:Subject {uscc: r.uscc})
SET s.credit_class = r.class, s.credit_score = r.score, s.credit_colour = r.colour,
    s.credit_version = $version, s.credit_scored_at = $now, s.credit_hash = r.hash,
    s.credit_class_since = CASE WHEN r.class_change IS NOT NULL THEN $now
                                ELSE coalesce(s.credit_class_since, $now) END,
    s.sandbox_since = CASE WHEN r.sandbox_kind = 'admitted' THEN $now
                           WHEN r.in_sandbox THEN s.sandbox_since ELSE null END,
    s.in_sandbox = r.in_sandbox,
    s.credit_repair_open = CASE WHEN r.sandbox_kind = 'admitted' THEN false
                                ELSE s.credit_repair_open END,
    s.minor_first_violation_exempt_eligible = r.exempt_eligible,
    s.inspection_ratio = r.inspection_ratio
MERGE (a:CreditAssessment {id: r.assessment_id})
ON CREATE SET a.uscc = r.uscc, a.version = $version, a.score = r.score, a.class = r.class,
              a.first_scored_at = $now
SET a.scored_at = $now, a.explanation_json = r.explanation_json, a.current = true
MERGE (a)-[:ASSESSES]->(s)
WITH s, r, a
CALL (s, a) {
  MATCH (old:CreditAssessment)-[:ASSESSES]->(s) WHERE old <> a AND old.current
  SET old.current = false
}
CALL (s, r) {
  WITH s, r WHERE r.class_change IS NOT NULL
  MERGE (c:ClassChange {id: r.class_change.id})
  ON CREATE SET c += r.class_change, c.at = $now, c.version = $version
  MERGE (c)-[:OF]->(s)
}
CALL (s, r) {
  WITH s, r WHERE r.sandbox_kind IS NOT NULL
  MERGE (e:SandboxEvent {id: r.uscc + '@' + $now + ':' + r.sandbox_kind})
  ON CREATE SET e.kind = r.sandbox_kind, e.at = $now, e.reasons = r.sandbox_reasons,
                e.version = $version, e.uscc = r.uscc
  MERGE (e)-[:OF]->(s)
}
RETURN count(*) AS written
"""

# A re-score whose outcome is exactly the stored one (same hash, no class change, no
# sandbox event): only the time of the evaluation moves.
TOUCH = """
UNWIND $usccs AS u
MATCH (s:Subject {uscc: u})
SET s.credit_scored_at = $now
"""


@dataclass
class Outcome:
    """What one subject's re-score changed (returned to callers and the CLI)."""

    uscc: str
    credit_class: str
    previous_class: str | None
    score: float
    in_sandbox: bool
    sandbox_event: str | None


def assessment_id(result: Assessment, version: str) -> str:
    leaves: list[Any] = []

    def walk(nodes: list[dict[str, Any]]) -> None:
        for node in nodes:
            if "children" in node:
                walk(node["children"])
            else:
                leaves.append((node["id"], node["points"]))

    walk(result.explanation["indicators"])
    digest = hashlib.sha256(orjson.dumps([version, result.score, result.credit_class,
                                          result.computed_class, leaves])).hexdigest()[:16]
    return f"{result.uscc}:{digest}"


def row(result: Assessment, decision: Decision, was_in_sandbox: bool, version: str,
        now: datetime) -> dict[str, Any]:
    """The write row of one subject; ``hash`` covers everything the write stores except
    the time (the explanation without its ``scored_at``, class, sandbox state…)."""
    change = None
    if result.previous_class != result.credit_class:
        change = {"id": f"{result.uscc}@{now.isoformat()}", "from": result.previous_class,
                  "to": result.credit_class, "why": result.why, "uscc": result.uscc,
                  "score": result.score}
    kind = None
    if decision.eligible != was_in_sandbox:
        kind = "admitted" if decision.eligible else "removed"
    explained = orjson.dumps(result.explanation)
    stamp = b'"scored_at":' + orjson.dumps(result.explanation.get("scored_at"))
    digest = hashlib.sha256(explained.replace(stamp, b"", 1))  # the first one: top level
    digest.update(orjson.dumps([version, decision.eligible, decision.exempt_eligible,
                                decision.inspection_ratio]))
    return {"uscc": result.uscc, "class": result.credit_class, "score": result.score,
            "colour": result.colour, "assessment_id": assessment_id(result, version),
            "hash": digest.hexdigest()[:32], "explanation_json": explained.decode(),
            "class_change": change, "in_sandbox": decision.eligible, "sandbox_kind": kind,
            "sandbox_reasons": decision.reasons, "exempt_eligible": decision.exempt_eligible,
            "inspection_ratio": decision.inspection_ratio}


def unchanged(data: dict[str, Any], subject: dict[str, Any]) -> bool:
    """Whether ``data`` (a :func:`row`) would store exactly what ``subject`` holds."""
    return (data["class_change"] is None and data["sandbox_kind"] is None
            and subject.get("credit_hash") == data["hash"]
            and subject.get("credit_class_since") is not None)


def write_tx(tx: neo4j.ManagedTransaction, rows: list[dict[str, Any]],
             touched: list[str], version: str, now: datetime) -> None:
    """Changed outcomes in full, unchanged ones only their evaluation time."""
    if rows:
        tx.run(WRITE, rows=rows, version=version, now=now.isoformat()).consume()
    if touched:
        tx.run(TOUCH, usccs=touched, now=now.isoformat()).consume()


def write(driver: neo4j.Driver, database: str, rows: list[dict[str, Any]], version: str,
          now: datetime) -> None:
    if rows:
        driver.execute_query(WRITE, rows=rows, version=version, now=now.isoformat(),
                             database_=database)
