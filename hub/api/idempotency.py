"""Idempotency keys for mutations: one mechanism for every write that takes a key.

A mutation calls ``claim`` before it writes and ``complete`` after; the function that
does both is wrapped in ``@releasing``, which gives the claim back if anything between
the two fails. The key is claimed atomically in the graph (``hub.graph.idempotency``),
so of N concurrent requests with one key exactly one writes:

* same key, same input, first request still writing: wait for it (up to ``WAIT_SECONDS``)
  and answer its result with ``replayed: true``; still unfinished after that, refuse
  with ``CONFLICT`` (retry later: the answer will be the replay);
* same key, different input: refused (``BAD_USER_INPUT``) at once, whether the first
  request has finished or not;
* the first request failed (validation, scope, database): its claim is released and the
  next request with that key writes as if it were the first.

Keys are per party and per operation: ``<party>/<operation>/<key>``.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import neo4j
import orjson

from hub.api.errors import BadUserInput
from hub.errors import Conflict
from hub.graph import idempotency as cypher

if TYPE_CHECKING:
    from hub.api.context import Context
    from hub.api.mutations import MutationResult

log = logging.getLogger("hub.api")

#: How long a duplicate waits for the first request with its key to finish.
WAIT_SECONDS = 15.0
#: A pending claim older than this is presumed dead (its process was killed) and is
#: taken over by the next request with the same input. Longer than any real write.
LEASE_MS = 120_000
_POLL_FIRST, _POLL_MAX = 0.02, 0.25

P = ParamSpec("P")
R = TypeVar("R")


class IdempotencyConflict(Conflict):
    """The first request with this key is still being written (code ``CONFLICT``)."""


@dataclass(frozen=True, slots=True)
class Claim:
    driver: neo4j.AsyncDriver
    database: str
    key: str
    token: str


# The claims taken (and not yet completed) inside the current ``@releasing`` call.
_HELD: ContextVar[list[Claim] | None] = ContextVar("idempotency_claims", default=None)


def input_hash(operation: str, payload: Any) -> str:
    """SHA-256 over the operation and its input (canonical JSON, sorted keys)."""
    return hashlib.sha256(orjson.dumps([operation, payload], default=str,
                                       option=orjson.OPT_SORT_KEYS)).hexdigest()


def releasing(fn: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """Wrap a mutation: a claim it took and did not complete is released on failure."""

    @functools.wraps(fn)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        held: list[Claim] = []
        reset = _HELD.set(held)
        try:
            return await fn(*args, **kwargs)
        except BaseException:
            for claim in held:
                # Shielded: a cancelled request must still give its key back.
                with contextlib.suppress(Exception, asyncio.CancelledError):
                    await asyncio.shield(_release(claim))
            raise
        finally:
            _HELD.reset(reset)

    return wrapper


async def _release(claim: Claim) -> None:
    try:
        await cypher.release(claim.driver, claim.database, key=claim.key, token=claim.token)
    except Exception as exc:  # the lease frees it later; say so rather than mask the cause
        log.warning("could not release an idempotency claim; it frees itself after the "
                    "lease", extra={"key": claim.key, "error": type(exc).__name__})


def _full_key(ctx: Context, operation: str, key: str) -> str:
    return f"{ctx.caller.party_id}/{operation}/{key}"


async def claim(ctx: Context, operation: str, key: str,
                payload: Any) -> MutationResult | None:
    """Claim ``key`` for this write (returns None: go ahead), or the first result.

    Must be called inside a ``@releasing`` function, which later calls ``complete``.
    """
    held = _HELD.get()
    if held is None:
        raise RuntimeError("idempotency.claim outside a @releasing mutation")
    digest = input_hash(operation, payload)
    full = _full_key(ctx, operation, key)
    token = secrets.token_hex(16)
    driver, database = ctx.state.driver, ctx.state.database
    deadline = time.monotonic() + WAIT_SECONDS
    pause = _POLL_FIRST
    while True:
        found: cypher.KeyState | None = await cypher.claim(
            driver, database, key=full, token=token, digest=digest,
            party=ctx.caller.party_id, operation=operation,
            now=datetime.now(UTC).isoformat(), lease_ms=LEASE_MS)
        while found is not None and not found.mine:
            if found.input != digest:
                raise BadUserInput("this idempotency key was already used with different "
                                   "input", "Use a new key for a new request.")
            if found.state == "done":
                return _replayed(found.result)
            if time.monotonic() >= deadline:
                raise IdempotencyConflict(
                    "a request with this idempotency key is still being processed",
                    "Retry shortly with the same key and input: you will get its result.")
            await asyncio.sleep(pause)
            pause = min(pause * 2, _POLL_MAX)
            found = await cypher.read(driver, database, full)
        if found is None:  # the first request failed and released the key: claim it
            continue
        held.append(Claim(driver, database, full, token))
        return None


async def complete(ctx: Context, operation: str, key: str, result: MutationResult) -> None:
    """Store the first result under the claimed key (a replay returns it)."""
    held = _HELD.get() or []
    full = _full_key(ctx, operation, key)
    mine = next(c for c in held if c.key == full)
    body = {"idempotency_key": result.idempotency_key, "created": result.created,
            "updated": result.updated, "unchanged": result.unchanged, "ids": result.ids,
            "rejected": [vars(r) for r in result.rejected]}
    settled = await cypher.complete(mine.driver, mine.database, key=full, token=mine.token,
                                    result=orjson.dumps(body).decode(),
                                    now=datetime.now(UTC).isoformat())
    held.remove(mine)
    if not settled:  # we were presumed dead and another request took over; it settles
        log.warning("idempotency claim was taken over before it completed",
                    extra={"key": full})


def _replayed(stored: str | None) -> MutationResult:
    from hub.api.mutations import MutationResult, RejectedItem

    data = orjson.loads(stored or "{}")
    data["rejected"] = [RejectedItem(**r) for r in data["rejected"]]
    data["replayed"] = True
    return MutationResult(**data)
