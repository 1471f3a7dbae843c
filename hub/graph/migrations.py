"""Schema migrations: ``schema/neo4j/NNNN_name.cypher`` applied in order.

Each applied file is recorded as a ``:Migration`` node with its checksum. Re-running
applies nothing new; a file edited after it was applied is refused, because the
database would silently differ from what the file says.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import neo4j

from hub.errors import MigrationError

FILE_PATTERN = re.compile(r"^(\d{4})_([a-z0-9_]+)\.cypher$")
_STATEMENT_END = re.compile(r";\s*$", re.MULTILINE)
_BOOTSTRAP = (
    "CREATE CONSTRAINT migration_version IF NOT EXISTS "
    "FOR (m:Migration) REQUIRE m.version IS UNIQUE"
)


@dataclass(frozen=True)
class Migration:
    version: str
    name: str
    path: Path
    checksum: str

    @property
    def statements(self) -> list[str]:
        text = "\n".join(
            line for line in self.path.read_text(encoding="utf-8").splitlines()
            if not line.strip().startswith("//")
        )
        return [s.strip() for s in _STATEMENT_END.split(text) if s.strip()]


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


async def migrate(driver: neo4j.AsyncDriver, database: str, directory: Path) -> list[Migration]:
    """Apply the pending migrations in order; returns those applied."""
    await driver.execute_query(_BOOTSTRAP, database_=database)
    todo = await pending(driver, database, directory)
    for migration in todo:
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
    return todo
