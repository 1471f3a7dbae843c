"""The GraphQL schema served at ``/graphql`` (exported SDL: ``schema/hub.graphql``)."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import (
    AddValidationRules,
    MaxTokensLimiter,
    ParserCache,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext, Info

from hub import __version__
from hub.api import compliance, listing, mutations, portrait, related, supervision
from hub.api.context import Context, OperationCheck
from hub.api.cost import Budget
from hub.api.execution import FastExecutionContext
from hub.api.listing import AlertFilter, SubjectFilter, SubjectOrder
from hub.api.mutations import (
    CaseInput,
    ComplaintInput,
    CreditEvaluationInput,
    MutationResult,
    PlatformActionInput,
    ProductInput,
    StoreInput,
)
from hub.api.portrait import SubjectPortrait
from hub.api.related import RelatedEntities
from hub.api.selection import root_children
from hub.api.subscriptions import Subscription
from hub.api.supervision import (
    AlertStepResult,
    EnrolmentReport,
    InspectionPlan,
    Reminder,
    SandboxStats,
)
from hub.api.types import (
    AlertConnection,
    ComplianceStatus,
    EvaluationConnection,
    Me,
    Purpose,
    Relation,
    SubjectConnection,
)
from hub.api.validation import DocumentValidation
from hub.settings import Settings

CtxInfo = Info[Context, None]


def _wants_total(info: CtxInfo) -> bool:
    return "totalCount" in root_children(info)


@strawberry.type(description="Read-only entry points. Every data field declares a purpose.")
class Query:
    @strawberry.field(description="The hub's version (no authentication needed).")
    def version(self) -> str:
        return __version__

    @strawberry.field(description="Compliance status of up to 1,000 subjects (platforms' "
                                  "onboarding checks and sweeps).")
    async def compliance_status(self, info: CtxInfo, usccs: list[str],
                                purpose: Purpose) -> list[ComplianceStatus]:
        return await compliance.compliance_status(info.context, usccs, purpose)

    @strawberry.field(description="A subject's credit portrait, shaped by your policy; null "
                                  "when unknown or outside your scope.")
    async def subject(self, info: CtxInfo, uscc: str,
                      purpose: Purpose) -> SubjectPortrait | None:
        return await portrait.subject(info.context, uscc, purpose.value, root_children(info))

    @strawberry.field(description="Subjects in your scope, as a Relay connection.")
    async def subjects(self, info: CtxInfo, purpose: Purpose,
                       filter: SubjectFilter | None = None,
                       order_by: SubjectOrder = SubjectOrder.USCC, first: int | None = None,
                       after: str | None = None) -> SubjectConnection:
        return await listing.subjects(info.context, purpose, filter, order_by, first, after,
                                      _wants_total(info))

    @strawberry.field(description="Regulators: subjects related to one subject, with the "
                                  "shortest path and reasons.")
    async def related_entities(self, info: CtxInfo, uscc: str, purpose: Purpose,
                               depth: int | None = None,
                               via: list[Relation] | None = None) -> RelatedEntities:
        return await related.related_entities(info.context, uscc, depth, via, purpose)

    @strawberry.field(description="Credit evaluations you issued or that were shared with "
                                  "you.")
    async def credit_evaluations(self, info: CtxInfo, purpose: Purpose,
                                 uscc: str | None = None, issuer: str | None = None,
                                 first: int | None = None,
                                 after: str | None = None) -> EvaluationConnection:
        return await listing.credit_evaluations(info.context, purpose, uscc, issuer, first,
                                                after, _wants_total(info))

    @strawberry.field(description="Alerts your policy lets you see.")
    async def alerts(self, info: CtxInfo, purpose: Purpose, filter: AlertFilter | None = None,
                     first: int | None = None, after: str | None = None) -> AlertConnection:
        return await listing.alerts(info.context, purpose, filter, first, after,
                                    _wants_total(info))

    @strawberry.field(description="Regulators: sandbox members in a division of your "
                                  "jurisdiction, by division and by platform.")
    async def sandbox_stats(self, info: CtxInfo, purpose: Purpose,
                            division: str | None = None) -> SandboxStats:
        return await supervision.sandbox_stats(info.context, purpose, division)

    @strawberry.field(description="Regulators: the double-random inspection plan "
                                  "(reproducible from its seed).")
    async def inspection_plan(self, info: CtxInfo, purpose: Purpose, division: str,
                              period: str, seed: str,
                              roster: list[str] | None = None) -> InspectionPlan:
        return await supervision.inspection_plan(info.context, purpose, division, period,
                                                 seed, roster)

    @strawberry.field(description="Administrative reminders for a subject in your scope.")
    async def reminders(self, info: CtxInfo, purpose: Purpose,
                        uscc: str) -> list[Reminder]:
        return await supervision.reminders(info.context, purpose, uscc)

    @strawberry.field(description="Regulators: platforms' enrolments 入驻 of subjects in "
                                  "your jurisdiction (first store of a subject on a "
                                  "platform), newest first, and the day's anomalies.")
    async def enrolments(self, info: CtxInfo, purpose: Purpose, since: str | None = None,
                         platform: str | None = None,
                         first: int | None = None) -> EnrolmentReport:
        return await supervision.enrolments(info.context, purpose, since, platform, first)

    @strawberry.field(description="The calling party, its scopes, purposes and budget.")
    async def me(self, info: CtxInfo) -> Me:
        ctx = info.context
        book = ctx.services.policies
        policy = book.for_party(ctx.caller.party_type, ctx.caller.party_id)
        return Me(party=ctx.caller.party_id, party_type=ctx.caller.party_type,
                  client_id=ctx.caller.client_id, scopes=sorted(ctx.caller.scopes),
                  purposes=[Purpose(p) for p in policy.purposes],
                  operations=sorted(policy.operations),
                  remaining_budget=await ctx.services.budget.remaining(
                      ctx.caller.party_id, policy.budget.records_per_day))


@strawberry.type(description="Writes. Each needs an idempotency key: a replay returns the "
                             "first result and changes nothing.")
class Mutation:
    @strawberry.mutation
    async def report_complaint(self, info: CtxInfo, idempotency_key: str, purpose: Purpose,
                               input: ComplaintInput) -> MutationResult:
        ctx = info.context
        return await mutations.apply_rows(
            ctx, "reportComplaint", purpose, idempotency_key, "complaints",
            [mutations.complaint_raw(ctx, idempotency_key, input)], None,
            ("complaint:write",))

    @strawberry.mutation
    async def submit_credit_evaluation(self, info: CtxInfo, idempotency_key: str,
                                       purpose: Purpose,
                                       input: CreditEvaluationInput) -> MutationResult:
        ctx = info.context
        return await mutations.apply_rows(
            ctx, "submitCreditEvaluation", purpose, idempotency_key, "association",
            [mutations.evaluation_raw(ctx, idempotency_key, input)],
            "submitCreditEvaluation", ("evaluation:write",))

    @strawberry.mutation
    async def record_case(self, info: CtxInfo, idempotency_key: str, purpose: Purpose,
                          input: CaseInput) -> MutationResult:
        ctx = info.context
        return await mutations.apply_rows(
            ctx, "recordCase", purpose, idempotency_key, "enforcement",
            [mutations.case_raw(ctx, idempotency_key, input)], "recordCase", ("case:write",))

    @strawberry.mutation
    async def record_platform_action(self, info: CtxInfo, idempotency_key: str,
                                     purpose: Purpose,
                                     input: PlatformActionInput) -> MutationResult:
        return await mutations.record_platform_action(info.context, purpose, idempotency_key,
                                                      input)

    @strawberry.mutation(description="Regulators: move an alert along screen → analyse → "
                                     "transfer → dispose → follow_up → closed.")
    async def advance_alert(self, info: CtxInfo, purpose: Purpose, alert_id: str, step: str,
                            note: str) -> AlertStepResult:
        return await supervision.advance_alert(info.context, purpose, alert_id, step, note,
                                               rectified=False)

    @strawberry.mutation(description="Regulators: record that the subject rectified; closes "
                                     "the alert and opens credit repair.")
    async def record_rectification(self, info: CtxInfo, purpose: Purpose, alert_id: str,
                                   note: str) -> AlertStepResult:
        return await supervision.advance_alert(info.context, purpose, alert_id, "closed",
                                               note, rectified=True)

    @strawberry.mutation(description="Development only: set (or with null, reset) the "
                                     "credit engine's simulated clock. Scope credit:admin.")
    async def set_clock(self, info: CtxInfo, at: str | None = None) -> str:
        return await supervision.set_clock(info.context, at)

    @strawberry.mutation(description="Platforms: create or update stores on your platform.")
    async def upsert_stores(self, info: CtxInfo, idempotency_key: str, purpose: Purpose,
                            stores: list[StoreInput]) -> MutationResult:
        ctx = info.context
        pid = mutations.platform_id(ctx)
        return await mutations.apply_rows(
            ctx, "upsertStores", purpose, idempotency_key, "platform",
            [mutations.store_raw(pid, s) for s in stores], None, ("store:write",))

    @strawberry.mutation(description="Platforms: create or update listings in your stores.")
    async def upsert_products(self, info: CtxInfo, idempotency_key: str, purpose: Purpose,
                              products: list[ProductInput]) -> MutationResult:
        ctx = info.context
        pid = mutations.platform_id(ctx)
        return await mutations.apply_rows(
            ctx, "upsertProducts", purpose, idempotency_key, "platform",
            [mutations.product_raw(pid, p) for p in products], None, ("store:write",))


def _check_operations(*roots: type) -> None:
    """Put the one operation check on every root field (a field without a rule in
    hub.policy.operations makes the schema fail to build)."""
    for root in roots:
        for fld in root.__strawberry_definition__.fields:  # type: ignore[attr-defined]
            if not any(isinstance(e, OperationCheck) for e in fld.extensions):
                fld.extensions.append(OperationCheck())


_check_operations(Query, Mutation, Subscription)


class HubSchema(strawberry.Schema):
    """Caller errors (bad input, refusals) are answers, not incidents: don't log them as
    errors; internal errors are logged with their traceback by hub.api.view.classify."""

    def process_errors(self, errors: list[GraphQLError],
                       execution_context: ExecutionContext | None = None) -> None:
        return None


def build_schema(settings: Settings) -> strawberry.Schema:
    # The validation rules are built once: the validation cache is keyed by the rule
    # classes, so rules re-created per request would make every request miss it.
    # Selections, aliases, depth, overlaps and cost are one linear walk (hub.api.cost), run
    # before graphql-core's rules by DocumentValidation (hub.api.validation).
    budget = Budget(max_fields=settings.max_tokens, max_aliases=settings.max_aliases,
                    max_depth=settings.max_query_depth, max_cost=settings.max_cost,
                    page_size=settings.max_page_size)
    rules: list[Any] = []
    if settings.production:
        rules.append(NoSchemaIntrospectionCustomRule)
    # Factories, not instances: strawberry builds one per request (the parser and
    # validation caches themselves live at module level and are shared).
    extensions: list[Any] = [
        lambda: ParserCache(maxsize=1024),
        lambda: MaxTokensLimiter(max_token_count=settings.max_tokens),
        lambda: AddValidationRules(rules),
        lambda: DocumentValidation(budget, maxsize=1024),
    ]
    # Masking of internal errors happens in hub.api.view.classify (codes + logging).
    return HubSchema(
        query=Query, mutation=Mutation, subscription=Subscription, extensions=extensions,
        execution_context_class=FastExecutionContext,
        config=StrawberryConfig(disable_field_suggestions=settings.production))


#: The schema with default settings, for exporting the SDL.
def sdl() -> str:
    return str(build_schema(Settings()))
