"""The closed loop 闭环: screen 摸排 → analyse 研判 → transfer 流转 → dispose 处置 →
follow-up 跟踪回访 → closed, with who / when / why recorded at every step.

Full-process records (公正监管): every move is an ``:AlertStep`` node; a transition the
loop does not allow is refused. Rectification recorded by a regulator closes the alert
and opens credit repair 信用修复; a deadline passing without it escalates (see
:func:`run_escalations`), recommending a platform action up the warn → suspend → stop
ladder, and the re-score that follows takes the subject out of the sandbox.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import neo4j

from hub.credit import clock
from hub.credit.config import Policies, load_policies
from hub.credit.errors import InvalidParty, InvalidStep, NotFound

STEPS = ("screen", "analyse", "transfer", "dispose", "follow_up", "closed")
ALLOWED: dict[str, frozenset[str]] = {
    "screen": frozenset({"analyse", "closed"}),
    "analyse": frozenset({"transfer", "dispose", "closed"}),
    "transfer": frozenset({"dispose"}),
    "dispose": frozenset({"follow_up", "closed"}),
    "follow_up": frozenset({"closed"}),
    "closed": frozenset(),
}


def check_transition(current: str, step: str) -> None:
    """Raise :class:`InvalidStep` unless ``current → step`` is a move the loop allows."""
    if step not in STEPS:
        raise InvalidStep(f"unknown step {step!r}", f"Use one of: {', '.join(STEPS)}.")
    if step not in ALLOWED.get(current, frozenset()):
        allowed = ", ".join(sorted(ALLOWED.get(current, frozenset()))) or "none (closed)"
        raise InvalidStep(f"an alert at {current!r} cannot move to {step!r}",
                          f"From {current!r} the next steps are: {allowed}.")


def party(tx: neo4j.ManagedTransaction, party_id: str, types: tuple[str, ...]
          ) -> dict[str, Any]:
    rec = tx.run("MATCH (p:Party {id: $id}) RETURN p {.id, .type, .platform_id, "
                 ".disabled} AS p", id=party_id).single()
    if rec is None or rec["p"].get("disabled"):
        raise InvalidParty(f"unknown or disabled party {party_id!r}")
    if rec["p"]["type"] not in types:
        raise InvalidParty(f"party {party_id!r} is a {rec['p']['type']}, not a "
                           f"{' or '.join(types)}")
    return dict(rec["p"])


STEP = """
MATCH (a:Alert {id: $id})
SET a.status = $step, a.updated_at = $now
FOREACH (_ IN CASE WHEN $step = 'closed' THEN [1] ELSE [] END |
  SET a.closed_at = $now, a.closed_by = $by)
MERGE (st:AlertStep {id: a.id + '#' + toString(a.occurrence) + ':' + $step})
SET st.step = $step, st.at = $now, st.by_party = $by, st.note = $note
MERGE (st)-[:OF]->(a)
RETURN a {.id, .uscc, .status, .rule, .severity, .deadline} AS a
"""


def _advance(tx: neo4j.ManagedTransaction, alert_id: str, step: str, by_party: str,
             note: str, now: datetime) -> dict[str, Any]:
    rec = tx.run("MATCH (a:Alert {id: $id}) RETURN a.status AS status", id=alert_id).single()
    if rec is None:
        raise NotFound(f"no alert {alert_id!r}")
    check_transition(str(rec["status"]), step)
    party(tx, by_party, ("regulator",))
    out = tx.run(STEP, id=alert_id, step=step, by=by_party, note=note,
                 now=now.isoformat()).single(strict=True)
    return dict(out["a"])


def advance_alert(driver: neo4j.Driver, database: str, alert_id: str, step: str,
                  by_party: str, note: str, *, now: datetime | None = None
                  ) -> dict[str, Any]:
    """Move an alert one step along the loop (a regulator acts; the note says why)."""
    if not note.strip():
        raise InvalidStep("every step needs a note saying why")
    now = now or clock.now(driver, database)
    with driver.session(database=database) as session:
        return session.execute_write(_advance, alert_id, step, by_party, note, now)


def record_rectification(driver: neo4j.Driver, database: str, alert_id: str, by_party: str,
                         note: str, *, now: datetime | None = None,
                         policies: Policies | None = None) -> dict[str, Any]:
    """A regulator records that the subject rectified: the alert closes, credit repair
    opens for the subject, and the subject is re-scored."""
    from hub.credit.engine import rescore

    now = now or clock.now(driver, database)

    def work(tx: neo4j.ManagedTransaction) -> dict[str, Any]:
        rec = tx.run("MATCH (a:Alert {id: $id}) RETURN a.status AS status",
                     id=alert_id).single()
        if rec is None:
            raise NotFound(f"no alert {alert_id!r}")
        if rec["status"] == "closed":
            raise InvalidStep(f"alert {alert_id} is already closed")
        party(tx, by_party, ("regulator",))
        tx.run("MATCH (a:Alert {id: $id})-[:ABOUT]->(s:Subject) "
               "SET a.rectified_at = $now, a.rectified_by = $by, "
               "s.credit_repair_open = true, s.credit_repair_since = $now",
               id=alert_id, by=by_party, now=now.isoformat()).consume()
        out = tx.run(STEP, id=alert_id, step="closed", by=by_party,
                     note=f"rectified: {note}", now=now.isoformat()).single(strict=True)
        return dict(out["a"])

    with driver.session(database=database) as session:
        alert = session.execute_write(work)
    rescore(driver, database, [alert["uscc"]], policies=policies, now=now)
    return alert


def record_platform_action(driver: neo4j.Driver, database: str, platform_party: str,
                           uscc: str, kind: str, *, alert_id: str | None = None,
                           note: str | None = None, action_id: str | None = None,
                           now: datetime | None = None, policies: Policies | None = None
                           ) -> dict[str, Any]:
    """A platform warns / suspends / stops serving a merchant (警示/暂停/停止服务),
    optionally in response to an alert; the subject is re-scored afterwards."""
    from hub.credit.engine import rescore

    if kind not in ("warn", "suspend", "stop"):
        raise InvalidStep(f"unknown platform action {kind!r}", "Use warn, suspend or stop.")
    now = now or clock.now(driver, database)

    def work(tx: neo4j.ManagedTransaction) -> dict[str, Any]:
        p = party(tx, platform_party, ("platform",))
        pid = str(p["platform_id"])
        ident = action_id or f"{pid}:{uscc}:{kind}:{alert_id or now.date().isoformat()}"
        rec = tx.run("""
            MATCH (s:Subject {uscc: $uscc})
            OPTIONAL MATCH (a:Alert {id: $alert})-[:ABOUT]->(s)
            WITH s, a WHERE $alert IS NULL OR a IS NOT NULL
            MERGE (x:PlatformAction {id: $id})
            ON CREATE SET x.kind = $kind, x.at = $now, x.platform_id = $pid,
                          x.alert_id = $alert, x.note = $note, x.src_party = $party,
                          x.src_record = $id, x.received_at = $now
            MERGE (x)-[:AGAINST]->(s)
            FOREACH (_ IN CASE WHEN a IS NULL THEN [] ELSE [1] END |
                     MERGE (x)-[:RESPONDS_TO]->(a))
            RETURN x {.id, .kind, .at, .platform_id, .alert_id} AS x""",
                     uscc=uscc, alert=alert_id, id=ident, kind=kind, now=now.isoformat(),
                     pid=pid, note=note, party=platform_party).single()
        if rec is None:
            raise NotFound(f"no subject {uscc}" + (f" with alert {alert_id}" if alert_id
                                                   else ""))
        return dict(rec["x"])

    with driver.session(database=database) as session:
        action = session.execute_write(work)
    rescore(driver, database, [uscc], policies=policies, now=now)
    return action


DUE = """
MATCH (a:Alert)-[:ABOUT]->(s:Subject)
WHERE a.status <> 'closed' AND a.escalated_at IS NULL AND a.deadline < $now
RETURN a.id AS id, a.severity AS severity, s.uscc AS uscc,
       COUNT { (o:Alert)-[:ABOUT]->(s) WHERE o.escalated_at IS NOT NULL } AS prior
ORDER BY a.deadline, a.id
"""

ESCALATE = """
UNWIND $rows AS r
MATCH (a:Alert {id: r.id})
SET a.escalated_at = $now, a.recommended_action = r.action
MERGE (st:AlertStep {id: a.id + '#' + toString(a.occurrence) + ':escalated'})
SET st.step = 'escalated', st.at = $now, st.by_party = 'system', st.note = r.note
MERGE (st)-[:OF]->(a)
WITH a, r
MATCH (a)-[:NOTIFIES]->(p:Party)
MERGE (n:Notification {id: a.id + '#' + toString(a.occurrence) + '>' + p.id + ':escalated'})
ON CREATE SET n.alert_id = a.id, n.party_id = p.id, n.kind = 'escalation',
              n.created_at = $now, n.delivered_at = null, n.recommended_action = r.action
"""


def run_escalations(driver: neo4j.Driver, database: str, now: datetime | None = None, *,
                    policies: Policies | None = None) -> list[dict[str, Any]]:
    """Escalate every open alert whose rectification deadline has passed, then re-score
    the subjects concerned (which takes them out of the sandbox)."""
    from hub.credit.engine import rescore

    policies = policies or load_policies()
    now = now or clock.now(driver, database)
    records, _, _ = driver.execute_query(DUE, now=now.isoformat(), database_=database)
    prior: dict[str, int] = {}
    rows = []
    for rec in records:
        count = prior.setdefault(rec["uscc"], int(rec["prior"]))
        action = policies.triggers.action_for(str(rec["severity"]), count)
        prior[rec["uscc"]] = count + 1
        rows.append({"id": rec["id"], "uscc": rec["uscc"], "action": action,
                     "note": f"rectification deadline passed; recommended platform action: "
                             f"{action} (earlier escalations of this subject: {count})"})
    if rows:
        driver.execute_query(ESCALATE, rows=rows, now=now.isoformat(), database_=database)
        rescore(driver, database, {r["uscc"] for r in rows}, policies=policies, now=now)
    return rows
