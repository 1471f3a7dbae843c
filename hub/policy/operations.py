"""The rule of every root field: its operation is the field's own name.

One mechanism (``hub.api.context.OperationCheck``, a field extension on every root field)
checks the token's scopes and the party's policy (operation, purpose, rate, budget)
before the resolver runs; resolvers take the compiled policy it granted and never check
by hand. A root field missing here cannot be served (the schema refuses to build) and
the generated policy test fails.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OperationRule:
    scopes: tuple[str, ...] = ()
    purpose: bool = True     # the field declares a purpose (checked against the policy)
    public: bool = False     # served without a token (no data)


ROOT_FIELDS: dict[str, OperationRule] = {
    # queries
    "version": OperationRule(purpose=False, public=True),
    "me": OperationRule(purpose=False),
    "complianceStatus": OperationRule(("compliance:read",)),
    "subject": OperationRule(("subject:read",)),
    "subjects": OperationRule(("subjects:read",)),
    "relatedEntities": OperationRule(("graph:traverse",)),
    "creditEvaluations": OperationRule(("evaluation:read",)),
    "alerts": OperationRule(("alert:read",)),
    "sandboxStats": OperationRule(("subjects:read",)),
    "inspectionPlan": OperationRule(("inspection:read",)),
    "reminders": OperationRule(("subject:read",)),
    "enrolments": OperationRule(("subjects:read",)),
    # mutations
    "reportComplaint": OperationRule(("complaint:write",)),
    "submitCreditEvaluation": OperationRule(("evaluation:write",)),
    "recordCase": OperationRule(("case:write",)),
    "recordPlatformAction": OperationRule(("platform_action:write",)),
    "advanceAlert": OperationRule(("case:write",)),
    "recordRectification": OperationRule(("case:write",)),
    "setClock": OperationRule(("credit:admin",), purpose=False),
    "upsertStores": OperationRule(("store:write",)),
    "upsertProducts": OperationRule(("store:write",)),
    # subscriptions
    "alertNotifications": OperationRule(("alert:read",)),
}
