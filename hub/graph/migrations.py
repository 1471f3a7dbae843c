"""Schema migrations: ``schema/neo4j/NNNN_name.cypher`` applied in order.

Each applied file is recorded as a ``:Migration`` node with its checksum. Re-running
applies nothing new; a file edited after it was applied is refused, because the
database would silently differ from what the file says. Several processes starting at
once (workers, replicas) take turns through a lease on one ``:MigrationLock`` node, so
each file is applied once.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import neo4j

from hub.errors import MigrationError
from hub.graph.lease import Lease, holder_id

FILE_PATTERN = re.compile(r"^(\d{4})_([a-z0-9_]+)\.cypher$")
_BOOTSTRAP = (
    "CREATE CONSTRAINT migration_version IF NOT EXISTS "
    "FOR (m:Migration) REQUIRE m.version IS UNIQUE",
    "CREATE CONSTRAINT migration_lock_id IF NOT EXISTS "
    "FOR (l:MigrationLock) REQUIRE l.id IS UNIQUE",
)
LEASE_SECONDS = 300  # a holder that dies mid-way is taken over after this long
WAIT_SECONDS = 600.0  # how long a starting process waits for another's migrations

def split_statements(text: str) -> list[str]:
    """Cypher statements separated by ``;``, outside strings, quoted names and comments
    (``//`` line and ``/* */`` block comments are dropped)."""
    statements: list[str] = []
    current: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in "'\"`":
            end = i + 1
            while end < n and text[end] != ch:
                end += 2 if text[end] == "\\" and ch != "`" else 1
            current.append(text[i:end + 1])
            i = end + 1
        elif text.startswith("//", i):
            newline = text.find("\n", i)
            i = n if newline < 0 else newline
        elif text.startswith("/*", i):
            close = text.find("*/", i + 2)
            i = n if close < 0 else close + 2
        elif ch == ";":
            statements.append("".join(current))
            current = []
            i += 1
        else:
            current.append(ch)
            i += 1
    statements.append("".join(current))
    return ["\n".join(line.rstrip() for line in s.strip().splitlines()).strip()
            for s in statements if s.strip()]


@dataclass(frozen=True)
class Migration:
    version: str
    name: str
    path: Path
    checksum: str

    @property
    def statements(self) -> list[str]:
        return split_statements(self.path.read_text(encoding="utf-8"))


def discover(directory: Path) -> list[Migration]:
    """The migration files in order; a misnamed or duplicated version is an error."""
    found: dict[str, Migration] = {}
    for path in sorted(directory.glob("*.cypher")):
        match = FILE_PATTERN.match(path.name)
        if not match:
            raise MigrationError(
                f"{path}: migration files must be named NNNN_name.cypher",
                "Rename it, e.g. 0002_add_store_index.cypher.",
            )
        version, name = match.groups()
        if version in found:
            raise MigrationError(f"{path}: version {version} is used twice "
                                 f"(also {found[version].path.name}).")
        checksum = hashlib.sha256(path.read_bytes()).hexdigest()
        found[version] = Migration(version, name, path, checksum)
    return [found[v] for v in sorted(found)]


async def applied(driver: neo4j.AsyncDriver, database: str) -> dict[str, str]:
    """Version → checksum of the migrations recorded in the graph."""
    records, _, _ = await driver.execute_query(
        "MATCH (m:Migration) RETURN m.version AS version, m.checksum AS checksum",
        database_=database, routing_=neo4j.RoutingControl.READ,
    )
    return {r["version"]: r["checksum"] for r in records}


async def pending(driver: neo4j.AsyncDriver, database: str, directory: Path) -> list[Migration]:
    """Migrations not yet applied (raises if an applied one was edited)."""
    done = await applied(driver, database)
    todo = []
    for migration in discover(directory):
        checksum = done.get(migration.version)
        if checksum is None:
            todo.append(migration)
        elif checksum != migration.checksum:
            raise MigrationError(
                f"Migration {migration.path.name} was edited after it was applied "
                f"(recorded checksum {checksum[:12]}…, file now {migration.checksum[:12]}…).",
                "Restore the file as it was and put the change in a new migration.",
            )
    return todo


async def _bootstrap(driver: neo4j.AsyncDriver, database: str) -> None:
    for statement in _BOOTSTRAP:
        for attempt in range(5):  # concurrent schema changes can conflict transiently
            try:
                await driver.execute_query(statement, database_=database)
                break
            except neo4j.exceptions.TransientError:
                if attempt == 4:
                    raise
                await asyncio.sleep(0.1 * (attempt + 1))


async def _acquire(driver: neo4j.AsyncDriver, database: str, lease: Lease,
                   wait: float) -> None:
    deadline = time.monotonic() + wait
    while True:
        taken = await lease.take(driver, database)
        if taken.ok:
            return
        if time.monotonic() > deadline:
            raise MigrationError(
                f"another process ({taken.holder}) is applying migrations "
                f"(its lease runs until {taken.until}).",
                "Wait for it to finish, or, if it died, retry after the lease expires.")
        await asyncio.sleep(0.2)


async def migrate(driver: neo4j.AsyncDriver, database: str, directory: Path, *,
                  wait: float = WAIT_SECONDS) -> list[Migration]:
    """Apply the pending migrations in order, under the migration lease; returns those
    this process applied (another process may have applied the rest meanwhile)."""
    await _bootstrap(driver, database)
    if not await pending(driver, database, directory):
        return []
    lease = Lease("MigrationLock", "schema", holder_id(f"{id(driver):x}"), LEASE_SECONDS)
    await _acquire(driver, database, lease, wait)
    try:
        todo = await pending(driver, database, directory)  # re-read under the lease
        for migration in todo:
            await _apply(driver, database, migration)
        return todo
    finally:
        await lease.release(driver, database)


async def _apply(driver: neo4j.AsyncDriver, database: str, migration: Migration) -> None:
    for statement in migration.statements:
        try:
            await driver.execute_query(statement, database_=database)
        except neo4j.exceptions.Neo4jError as exc:
            raise MigrationError(
                f"Migration {migration.path.name} failed: {exc.message}",
                "Fix the statement; earlier statements used IF NOT EXISTS and are safe "
                "to re-run.",
            ) from exc
    await driver.execute_query(
        "MERGE (m:Migration {version: $version}) "
        "ON CREATE SET m.name = $name, m.checksum = $checksum, m.applied_at = $now",
        version=migration.version, name=migration.name, checksum=migration.checksum,
        now=datetime.now(UTC).isoformat(), database_=database,
    )
