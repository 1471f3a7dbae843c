"""Mutations: typed inputs, the acting party from the token, idempotency keys.

Writes go through the connectors' mappers and the graph writer, so the API validates and
records provenance exactly as a feed would (``src_party`` = the caller, ``src_record`` =
the idempotency key). A replay with the same key returns the first result unchanged; the
same key with different input is refused.

Writes are scoped like reads (:func:`_scoped_rows`, :func:`alert_visible`): every subject
a write touches and every object it names is checked with the caller's compiled policy
before anything is written, and what the caller may not see gets the same answer as what
does not exist.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import Enum
from typing import Any

import neo4j
import strawberry

from connectors import Reject, Row, connector_for
from connectors.base import Context as MapContext
from hub.api import idempotency
from hub.api.context import Context
from hub.api.errors import BadUserInput, Forbidden, NotFound
from hub.api.types import Purpose
from hub.graph.ingest_cypher import SUBJECTS_OF_STORES
from hub.graph.writer import write_async
from hub.identity import uscc as uscc_check
from hub.policy.compiled import CompiledPolicy
from hub.policy.visibility import sees

MAX_BATCH = 1000


@strawberry.type
class RejectedItem:
    index: int
    field: str
    reason: str


@strawberry.type
class MutationResult:
    idempotency_key: str
    replayed: bool
    created: int
    updated: int
    unchanged: int
    ids: list[str]
    rejected: list[RejectedItem]


@strawberry.enum
class ComplaintChannel(Enum):
    HOTLINE_12315 = "12315"
    PLATFORM = "platform"
    OPINION = "opinion"


@strawberry.enum
class CaseOutcome(Enum):
    EXEMPT = "exempt"
    LIGHT = "light"
    PENALTY = "penalty"


@strawberry.enum
class ActionKind(Enum):
    WARN = "warn"
    SUSPEND = "suspend"
    STOP = "stop"


@strawberry.input
class ComplaintInput:
    uscc: str
    received_on: str
    channel: ComplaintChannel = ComplaintChannel.PLATFORM
    category: str | None = None
    summary: str | None = None


@strawberry.input
class CreditEvaluationInput:
    uscc: str
    grade: str
    issued_on: str
    score: float | None = None
    valid_to: str | None = None
    shared_with: list[str] = strawberry.field(default_factory=list)


@strawberry.input
class CaseInput:
    uscc: str
    opened_on: str
    authority: str
    outcome: CaseOutcome | None = None
    decided_on: str | None = None
    fine: float | None = None
    legal_basis: str | None = None
    summary: str | None = None


@strawberry.input
class StoreInput:
    shop_id: str
    uscc: str
    name: str
    licence_displayed: bool = False
    opened_on: str | None = None
    closed_on: str | None = None


@strawberry.input
class ProductInput:
    shop_id: str
    product_id: str
    title: str
    category: str
    price: float | None = None
    listed_on: str | None = None
    delisted_on: str | None = None


@strawberry.input
class PlatformActionInput:
    uscc: str
    action: ActionKind
    alert_id: str | None = None
    note: str | None = None


# One answer for a subject or an object that does not exist, is outside the caller's
# scope or is not visible to it: a write must not be an existence oracle.
SUBJECT_NOT_VISIBLE = "subject not found, or not visible to this party"
ALERT_NOT_VISIBLE = "alert not found, or not visible to this party"
STORE_NOT_FOUND = "no store with this shop id on your platform"


async def _visible_subjects(ctx: Context, policy: CompiledPolicy, codes: list[str],
                            in_scope: bool = True) -> set[str]:
    """Of ``codes``: the registered subjects (never stubs) in the caller's full scope —
    the same predicate as reads — or, with ``in_scope`` False, merely registered."""
    where = policy.full() if in_scope else "true"
    records, _, _ = await ctx.state.driver.execute_query(
        "UNWIND $codes AS code MATCH (s:Subject {uscc: code}) "
        f"WHERE NOT coalesce(s.stub, false) AND {where} RETURN collect(s.uscc) AS ok",
        {"codes": codes, **policy.params}, database_=ctx.state.database,
        routing_=neo4j.RoutingControl.READ)
    return set(records[0]["ok"])


async def _in_scope(ctx: Context, operation: str, purpose: str, codes: list[str]) -> None:
    """Refuse writes about subjects outside the caller's scope (same predicate as reads);
    an unknown code gets the same answer (and no stub subject is created)."""
    policy = ctx.services.policies.compile(ctx.identity, operation, purpose)
    if not codes:
        return
    outside = sorted(set(codes) - await _visible_subjects(ctx, policy, codes))
    if outside:
        await ctx.record(operation, purpose, (), "denied", "subject not visible")
        raise NotFound(SUBJECT_NOT_VISIBLE)


async def alert_visible(ctx: Context, policy: CompiledPolicy, operation: str, alert_id: str,
                        uscc: str | None = None) -> None:
    """Refuse an alert id the caller may not see (a platform: one it was never notified
    of; a regulator: outside its jurisdiction) exactly like an unknown one; with
    ``uscc``, the alert must also be about that subject."""
    records, _, _ = await ctx.state.driver.execute_query(
        f"MATCH (a:Alert {{id: $alert}})-[:ABOUT]->(s:Subject) "
        f"WHERE ($uscc IS NULL OR s.uscc = $uscc) AND {policy.full()} "
        f"AND {sees(policy, 'Alert', 'a')} RETURN a.id AS id",
        {"alert": alert_id, "uscc": uscc, **policy.params}, database_=ctx.state.database,
        routing_=neo4j.RoutingControl.READ)
    if not records:
        await ctx.record(operation, policy.purpose, (), "denied", "alert not visible")
        raise NotFound(ALERT_NOT_VISIBLE)


def _channel_allowed(policy: CompiledPolicy, rows: list[Row]) -> None:
    """Complaint channels are per party type (``channels`` in access.yaml)."""
    for row in rows:
        channel = row.data["props"].get("channel")
        if row.kind == "complaint" and channel not in policy.policy.channels:
            raise Forbidden(f"a {policy.party_type} may not report through channel {channel}",
                            "Allowed: " + (", ".join(policy.policy.channels) or "none") + ".")


async def _scoped_rows(ctx: Context, operation: str, purpose: str, rows: list[Row],
                       positions: list[int], rejected: list[RejectedItem]) -> list[Row]:
    """The scope checks of every write: the rows that may be written (others refused).

    Complaints, evaluations and cases must be about a subject in the caller's scope
    (whole call refused). A store must belong to a registered subject and a listing to
    an existing store of the caller's platform (pushed by an earlier call) — a platform
    never creates a subject or a store by reference (those items are rejected;
    ``positions``: each row's input index)."""
    policy = ctx.services.policies.compile(ctx.identity, operation, purpose)
    _channel_allowed(policy, rows)
    scoped = sorted({r.subjects[0] for r in rows
                     if r.kind in ("complaint", "evaluation", "case") and r.subjects})
    await _in_scope(ctx, operation, purpose, scoped)
    stores = sorted({r.subjects[0] for r in rows if r.kind == "store"})
    listings = sorted({str(r.data["store_key"]) for r in rows if r.kind == "product"})
    if not stores and not listings:
        return rows
    registered = (await _visible_subjects(ctx, policy, stores, in_scope=False)
                  if stores else set())
    known: set[str] = set()
    if listings:
        records, _, _ = await ctx.state.driver.execute_query(
            "UNWIND $keys AS k MATCH (:Subject)-[:OPERATES]->(st:Store {key: k}) "
            "WHERE st.platform_id = $pid RETURN collect(st.key) AS ok", keys=listings,
            pid=ctx.caller.platform_id, database_=ctx.state.database,
            routing_=neo4j.RoutingControl.READ)
        known = set(records[0]["ok"])
    keep = []
    for index, row in zip(positions, rows, strict=True):
        if row.kind == "store" and row.subjects[0] not in registered:
            rejected.append(RejectedItem(index=index, field="uscc", reason=SUBJECT_NOT_VISIBLE))
        elif row.kind == "product" and str(row.data["store_key"]) not in known:
            rejected.append(RejectedItem(index=index, field="shop_id", reason=STORE_NOT_FOUND))
        else:
            keep.append(row)
    rejected.sort(key=lambda r: r.index)
    return keep


@idempotency.releasing
async def apply_rows(ctx: Context, operation: str, purpose: Purpose, key: str,
                     source: str, raws: list[dict[str, Any]], scope: str | None,
                     scopes: tuple[str, ...]) -> MutationResult:
    """The shared write path: authorize, replay check, map, scope check, write, record."""
    await ctx.authorize(operation, purpose.value, *scopes)
    if not key or len(key) > 200:
        raise BadUserInput("idempotencyKey must be 1-200 characters")
    if len(raws) > MAX_BATCH:
        raise BadUserInput(f"at most {MAX_BATCH} items per call, got {len(raws)}")
    replayed = await idempotency.claim(ctx, operation, key, raws)
    if replayed:
        return replayed
    connector = connector_for(source)
    mapping = MapContext.now(ctx.state.settings.pii_key.get_secret_value().encode())
    rows: list[Row] = []
    rejected: list[RejectedItem] = []
    positions: list[int] = []
    for index, raw in enumerate(raws):
        raw.setdefault("record_id", f"{key}#{index}" if len(raws) > 1 else key)
        mapped = connector.map(raw, index, mapping)
        if isinstance(mapped, Reject):
            rejected.append(RejectedItem(index=index, field=mapped.field, reason=mapped.reason))
        else:
            rows.append(mapped)
            positions.append(index)
    rows = await _scoped_rows(ctx, scope or operation, purpose.value, rows, positions,
                              rejected)
    counts = await write_async(ctx.state.driver, ctx.state.database, ctx.caller.party_id,
                               rows, datetime.now(UTC))
    ids = [str(r.data["key"]) for r in rows]
    result = MutationResult(idempotency_key=key, replayed=False, created=counts.created,
                            updated=counts.updated, unchanged=counts.unchanged, ids=ids,
                            rejected=rejected)
    await idempotency.complete(ctx, operation, key, result)
    await ctx.record(operation, purpose.value, ids)
    hook = ctx.state.after_write
    if hook is not None:
        touched = {c for r in rows for c in r.subjects}
        listings = sorted({str(r.data["store_key"]) for r in rows if r.kind == "product"})
        if listings:  # a listing changes its store operator's portrait
            records, _, _ = await ctx.state.driver.execute_query(
                SUBJECTS_OF_STORES, keys=listings,
                database_=ctx.state.database, routing_=neo4j.RoutingControl.READ)
            touched |= set(records[0]["usccs"])
        await ctx.run_sync(hook, touched)
    return result


def complaint_raw(ctx: Context, key: str, data: ComplaintInput) -> dict[str, Any]:
    return {"record_type": "complaint", "complaint_id": f"{ctx.caller.party_id}:{key}",
            "uscc": data.uscc, "channel": data.channel.value, "received_on": data.received_on,
            "category": data.category, "summary": data.summary,
            "platform_id": ctx.caller.platform_id}


def evaluation_raw(ctx: Context, key: str, data: CreditEvaluationInput) -> dict[str, Any]:
    if not ctx.caller.association_id:
        raise Forbidden("only an association can submit credit evaluations")
    return {"record_type": "evaluation", "evaluation_id": f"{ctx.caller.association_id}:{key}",
            "association_id": ctx.caller.association_id, "uscc": data.uscc,
            "grade": data.grade, "score": data.score, "issued_on": data.issued_on,
            "valid_to": data.valid_to, "shared_with": data.shared_with}


def case_raw(ctx: Context, key: str, data: CaseInput) -> dict[str, Any]:
    from hub.policy.compiled import jurisdiction_prefixes

    prefixes = jurisdiction_prefixes(ctx.caller.jurisdictions)
    if not any(data.authority.startswith(p) for p in prefixes):
        raise Forbidden(f"authority {data.authority} is outside your jurisdiction")
    return {"record_type": "case", "case_id": f"{ctx.caller.party_id}:{key}",
            "uscc": data.uscc, "opened_on": data.opened_on, "authority": data.authority,
            "outcome": data.outcome.value if data.outcome else None,
            "decided_on": data.decided_on, "fine": data.fine, "legal_basis": data.legal_basis,
            "summary": data.summary}


def platform_id(ctx: Context) -> str:
    if not ctx.caller.platform_id:
        raise Forbidden("only a platform can push stores and products")
    return ctx.caller.platform_id


def store_raw(pid: str, data: StoreInput) -> dict[str, Any]:
    return {"record_type": "store", "platform_id": pid, "shop_id": data.shop_id,
            "uscc": data.uscc, "name": data.name, "licence_displayed": data.licence_displayed,
            "opened_on": data.opened_on, "closed_on": data.closed_on}


def product_raw(pid: str, data: ProductInput) -> dict[str, Any]:
    return {"record_type": "product", "platform_id": pid, "shop_id": data.shop_id,
            "product_id": data.product_id, "title": data.title, "category": data.category,
            "price": data.price, "listed_on": data.listed_on, "delisted_on": data.delisted_on}


@idempotency.releasing
async def record_platform_action(ctx: Context, purpose: Purpose, key: str,
                                 data: PlatformActionInput) -> MutationResult:
    """A platform warns, suspends or stops serving one of its merchants."""
    operation = "recordPlatformAction"
    policy = await ctx.authorize(operation, purpose.value, "platform_action:write")
    pid = platform_id(ctx)
    try:
        code = uscc_check.validate(data.uscc)
    except ValueError as exc:
        raise BadUserInput(f"invalid USCC: {exc}") from None
    payload = {"uscc": code, "action": data.action.value, "alert": data.alert_id,
               "note": data.note}
    replayed = await idempotency.claim(ctx, operation, key, payload)
    if replayed:
        return replayed
    await _in_scope(ctx, operation, purpose.value, [code])
    if data.alert_id is not None:
        await alert_visible(ctx, policy, operation, data.alert_id, code)
    action_id = f"{pid}:{key}"
    records, _, _ = await ctx.state.driver.execute_query("""
        MATCH (s:Subject {uscc: $uscc})
        OPTIONAL MATCH (a:Alert {id: $alert})-[:ABOUT]->(s)
        WITH s, a
        WHERE $alert IS NULL OR a IS NOT NULL
        MERGE (x:PlatformAction {id: $id})
        ON CREATE SET x.kind = $kind, x.at = $now, x.platform_id = $pid, x.alert_id = $alert,
                      x.note = $note, x.src_party = $party, x.src_record = $key,
                      x.received_at = $now, x.first_seen = $now, x.last_seen = $now
        MERGE (x)-[:AGAINST]->(s)
        FOREACH (_ IN CASE WHEN a IS NULL THEN [] ELSE [1] END | MERGE (x)-[:RESPONDS_TO]->(a))
        RETURN x.id AS id""", uscc=code, alert=data.alert_id, id=action_id,
        kind=data.action.value, now=datetime.now(UTC).isoformat(), pid=pid, note=data.note,
        party=ctx.caller.party_id, key=key, database_=ctx.state.database)
    if not records:
        raise NotFound(ALERT_NOT_VISIBLE)
    result = MutationResult(idempotency_key=key, replayed=False, created=1, updated=0,
                            unchanged=0, ids=[action_id], rejected=[])
    await idempotency.complete(ctx, operation, key, result)
    await ctx.record(operation, purpose.value, [action_id])
    if ctx.state.after_write is not None:
        await ctx.run_sync(ctx.state.after_write, {code})
    return result
