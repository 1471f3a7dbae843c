"""``complianceStatus``: up to 1,000 codes in one Cypher query, scoped per code.

Invalid codes are answered per item without touching the database; a code the caller may
not see is indistinguishable from an unknown one (no existence oracle).
"""

from __future__ import annotations

from typing import Any

import neo4j

from hub.api.context import Context
from hub.api.errors import BadUserInput
from hub.api.types import ComplianceStatus, LicenceDisplay, PlatformAction, Purpose, RiskClass
from hub.identity import uscc as uscc_check
from hub.policy.compiled import CompiledPolicy
from hub.policy.visibility import row_filter, sees

MAX_CODES = 1000
NOT_VISIBLE = "not found, or not visible to this party"
_ACTION_RANK = ["none", "warn", "suspend", "stop"]


def store_visible(policy: CompiledPolicy, st: str = "st") -> str:
    """The stores behind licence display 亮照 (published, so the row rule without the
    stores section): a platform counts only its own stores, others every store."""
    return row_filter(policy, "Store", st)


def alert_visible(policy: CompiledPolicy, a: str = "a") -> str:
    """Regulators see alerts about in-scope subjects; platforms those pushed to them."""
    return sees(policy, "Alert", a)


def query(policy: CompiledPolicy) -> str:
    # One row holding every answer: a thousand records would cost the driver a thousand
    # Bolt messages to decode; one list of maps is a single message.
    return f"""
UNWIND $codes AS code
MATCH (s:Subject {{uscc: code}}) WHERE NOT coalesce(s.stub, false)
WITH code, s, {policy.view()} AS view
WITH code, s, view WHERE view IS NOT NULL
WITH code, s, view,
     CASE WHEN view = 'full' THEN
       [(a:Alert)-[:ABOUT]->(s) WHERE a.status <> 'closed' AND {alert_visible(policy)} | a]
     ELSE [] END AS alerts,
     CASE WHEN view IN ['full', 'public'] THEN
       [(s)-[:OPERATES]->(st:Store) WHERE st.closed_on IS NULL AND {store_visible(policy)}
        | coalesce(st.licence_displayed, false)]
     ELSE null END AS shown
RETURN collect({{
  code: code, view: view,
  name: CASE WHEN view <> 'full' AND s.kind = 'individual'
             THEN {policy.mask('individual_name', 's.name')} ELSE s.name END,
  status: CASE WHEN view IN ['full', 'status'] THEN s.status END,
  class: s.credit_class, colour: s.credit_colour,
  sandbox: CASE WHEN view IN ['full', 'status'] THEN coalesce(s.in_sandbox, false) END,
  open_alerts: CASE WHEN view = 'full' THEN size(alerts) END,
  deadline: CASE WHEN view = 'full' THEN
    reduce(m = null, a IN alerts | CASE WHEN m IS NULL OR a.deadline < m
                                        THEN a.deadline ELSE m END) END,
  actions: [a IN alerts | coalesce(a.recommended_action, 'none')],
  shown: shown,
  changed: CASE WHEN view = 'full' THEN
    reduce(m = s.received_at, t IN [s.credit_scored_at] + [a IN alerts | a.created_at]
           | CASE WHEN t > m THEN t ELSE m END) END
}}) AS rows"""


def _display(shown: list[bool] | None) -> LicenceDisplay | None:
    if shown is None:
        return None
    if not shown:
        return LicenceDisplay.NO_STORES
    return LicenceDisplay.ALL_DISPLAYED if all(shown) else LicenceDisplay.SOME_MISSING


def _item(code: str, rec: dict[str, Any] | None, policy: CompiledPolicy) -> ComplianceStatus:
    if rec is None or rec["view"] is None:
        return ComplianceStatus(uscc=code, known=False, reason=NOT_VISIBLE, name=None,
                                registration_status=None, risk_class=None, colour=None,
                                in_sandbox=None, open_alerts=None, nearest_deadline=None,
                                licence_display=None, recommended_action=None,
                                last_changed=None)
    actions = rec["actions"] or []
    action = max(actions, key=_ACTION_RANK.index) if actions else "none"
    full = rec["view"] == "full"
    return ComplianceStatus(
        uscc=code, known=True, reason=None, name=rec["name"],
        registration_status=rec["status"],
        risk_class=RiskClass(rec["class"]) if rec["class"] else None,
        colour=rec["colour"], in_sandbox=rec["sandbox"], open_alerts=rec["open_alerts"],
        nearest_deadline=rec["deadline"], licence_display=_display(rec["shown"]),
        recommended_action=PlatformAction(action) if full else None,
        last_changed=rec["changed"])


async def compliance_status(ctx: Context, usccs: list[str],
                            purpose: Purpose) -> list[ComplianceStatus]:
    policy = ctx.granted()
    if len(usccs) > MAX_CODES:
        raise BadUserInput(f"at most {MAX_CODES} codes per call, got {len(usccs)}",
                           "Split the list into several calls.")
    normalised: list[tuple[str, str | None, str | None]] = []
    for raw in usccs:
        try:
            normalised.append((raw, uscc_check.validate(raw), None))
        except ValueError as exc:
            normalised.append((raw, None, f"invalid USCC: {exc}"))
    codes = sorted({code for _, code, _ in normalised if code})
    found: dict[str, dict[str, Any]] = {}
    if codes:
        records, _, _ = await ctx.state.driver.execute_query(
            query(policy), {"codes": codes, **policy.params},
            database_=ctx.state.database, routing_=neo4j.RoutingControl.READ)
        found = {row["code"]: row for row in records[0]["rows"]}
    results = []
    for raw, code, error in normalised:
        if code is None:
            results.append(_item(raw, None, policy))
            results[-1].reason = error
            continue
        results.append(_item(code, found.get(code), policy))
    await ctx.delivered("complianceStatus", purpose.value,
                        [r.uscc for r in results if r.known])
    return results
