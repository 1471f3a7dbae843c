"""Cypher for idempotency keys: claim a key before the write, settle it after.

A key is one ``:IdempotencyKey`` node (unique ``key``, migration 0005). Its life:

* ``claim``: ``MERGE`` on the unique key. The constraint's index lock serialises
  concurrent claims, so exactly one caller creates the node (state ``pending``, its own
  random ``token``); every other caller gets the existing node back and reads its state.
* ``complete``: the holder stores the result (state ``done``) — only while it still holds
  the claim (same token).
* ``release``: a holder whose write failed deletes its pending claim, so the key is not
  poisoned and a retry can write.

A holder that died mid-write (kill -9) never releases: its claim goes stale after
``lease_ms`` and the next caller *with the same input* takes it over. That is safe
because every API write is itself keyed (``MERGE`` on ids derived from the key): writing
the same input twice changes nothing. Keys stored before claims existed have no
``state``; they count as ``done``.
"""

from __future__ import annotations

from dataclasses import dataclass

import neo4j

CLAIM = """
MERGE (k:IdempotencyKey {key: $key})
ON CREATE SET k.input = $input, k.state = 'pending', k.token = $token,
              k.claimed_ms = timestamp(), k.party = $party, k.operation = $op,
              k.created_at = $now
WITH k, coalesce(k.token = $token
                 OR (k.state = 'pending' AND k.input = $input
                     AND coalesce(k.claimed_ms, 0) < timestamp() - $lease_ms), false) AS mine
FOREACH (_ IN CASE WHEN mine THEN [1] ELSE [] END |
         SET k.token = $token, k.claimed_ms = timestamp())
RETURN mine, k.input AS input, coalesce(k.state, 'done') AS state, k.result AS result
"""

READ = """
MATCH (k:IdempotencyKey {key: $key})
RETURN false AS mine, k.input AS input, coalesce(k.state, 'done') AS state,
       k.result AS result
"""

COMPLETE = """
MATCH (k:IdempotencyKey {key: $key}) WHERE k.token = $token AND k.state = 'pending'
SET k.state = 'done', k.result = $result, k.completed_at = $now
REMOVE k.token
RETURN count(k) AS settled
"""

RELEASE = """
MATCH (k:IdempotencyKey {key: $key}) WHERE k.token = $token AND k.state = 'pending'
DELETE k
"""


@dataclass(frozen=True, slots=True)
class KeyState:
    """What a key holds: ``mine`` says the caller holds the claim and must write."""

    mine: bool
    input: str
    state: str  # 'pending' or 'done'
    result: str | None


def _state(records: list[neo4j.Record]) -> KeyState | None:
    if not records:
        return None
    r = records[0]
    return KeyState(bool(r["mine"]), str(r["input"]), str(r["state"]), r["result"])


async def claim(driver: neo4j.AsyncDriver, database: str, *, key: str, token: str,
                digest: str, party: str, operation: str, now: str,
                lease_ms: int) -> KeyState:
    records, _, _ = await driver.execute_query(
        CLAIM, key=key, token=token, input=digest, party=party, op=operation, now=now,
        lease_ms=lease_ms, database_=database)
    found = _state(records)
    assert found is not None  # MERGE always returns the node
    return found


async def read(driver: neo4j.AsyncDriver, database: str, key: str) -> KeyState | None:
    records, _, _ = await driver.execute_query(
        READ, key=key, database_=database, routing_=neo4j.RoutingControl.READ)
    return _state(records)


async def complete(driver: neo4j.AsyncDriver, database: str, *, key: str, token: str,
                   result: str, now: str) -> bool:
    """Store the result; False if the claim was no longer ours (taken over as stale)."""
    records, _, _ = await driver.execute_query(
        COMPLETE, key=key, token=token, result=result, now=now, database_=database)
    return bool(records and records[0]["settled"])


async def release(driver: neo4j.AsyncDriver, database: str, *, key: str,
                  token: str) -> None:
    await driver.execute_query(RELEASE, key=key, token=token, database_=database)
