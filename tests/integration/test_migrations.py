"""Migrations on the real Neo4j: apply, re-apply, refuse an edited file."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import neo4j
import pytest

from hub.errors import MigrationError
from hub.graph import migrations
from hub.graph.driver import Connection, async_driver
from hub.settings import PROJECT_ROOT

SCHEMA = PROJECT_ROOT / "schema" / "neo4j"


def run_migrate(conn: Connection, directory: Path) -> list[str]:
    async def go() -> list[str]:
        async with async_driver(conn) as drv:
            return [m.version for m in await migrations.migrate(drv, conn.database, directory)]

    return asyncio.run(go())


def constraint_names(drv: neo4j.Driver) -> set[str]:
    records, _, _ = drv.execute_query("SHOW CONSTRAINTS YIELD name RETURN name")
    return {r["name"] for r in records}


@pytest.fixture
def scratch_schema(tmp_path: Path, graph: neo4j.Driver) -> Path:
    """A copy of the real migrations plus a scratch one, removed again afterwards."""
    directory = tmp_path / "neo4j"
    shutil.copytree(SCHEMA, directory)
    (directory / "9001_scratch.cypher").write_text(
        "CREATE INDEX scratch_probe IF NOT EXISTS FOR (x:ScratchProbe) ON (x.key);\n",
        encoding="utf-8",
    )
    yield directory
    graph.execute_query("DROP INDEX scratch_probe IF EXISTS")
    graph.execute_query("MATCH (m:Migration) WHERE m.version STARTS WITH '9' DELETE m")


def test_core_constraints_exist(graph: neo4j.Driver) -> None:
    names = constraint_names(graph)
    assert {"subject_uscc", "platform_id", "association_id", "party_id"} <= names


def test_apply_then_reapply_applies_nothing(scratch_schema: Path, graph: neo4j.Driver,
                                            neo4j_conn: Connection) -> None:
    assert run_migrate(neo4j_conn, scratch_schema) == ["9001"]
    records, _, _ = graph.execute_query("SHOW INDEXES YIELD name WHERE name = 'scratch_probe' "
                                        "RETURN count(*) AS n")
    assert records[0]["n"] == 1
    assert run_migrate(neo4j_conn, scratch_schema) == []
    records, _, _ = graph.execute_query(
        "MATCH (m:Migration {version: '9001'}) RETURN m.checksum AS c, m.name AS name")
    assert records[0]["name"] == "scratch"
    assert len(records[0]["c"]) == 64


def test_edited_migration_is_refused(scratch_schema: Path, neo4j_conn: Connection) -> None:
    run_migrate(neo4j_conn, scratch_schema)
    scratch = scratch_schema / "9001_scratch.cypher"
    scratch.write_text(scratch.read_text(encoding="utf-8") + "// edited\n", encoding="utf-8")
    with pytest.raises(MigrationError, match=r"9001_scratch\.cypher was edited"):
        run_migrate(neo4j_conn, scratch_schema)


def test_misnamed_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "add_index.cypher").write_text("RETURN 1;", encoding="utf-8")
    with pytest.raises(MigrationError, match=r"NNNN_name\.cypher"):
        migrations.discover(tmp_path)


def test_statements_split_and_comments_dropped(tmp_path: Path) -> None:
    path = tmp_path / "0001_x.cypher"
    path.write_text("// comment;\nCREATE INDEX a IF NOT EXISTS FOR (n:A) ON (n.k);\n\n"
                    "CREATE INDEX b IF NOT EXISTS\n  FOR (n:B) ON (n.k);\n", encoding="utf-8")
    [migration] = migrations.discover(tmp_path)
    assert migration.statements == [
        "CREATE INDEX a IF NOT EXISTS FOR (n:A) ON (n.k)",
        "CREATE INDEX b IF NOT EXISTS\n  FOR (n:B) ON (n.k)",
    ]
