"""Migrations on the real Neo4j: apply, re-apply, refuse an edited file."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
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
    graph.execute_query("DROP INDEX scratch_probe_two IF EXISTS")
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


def test_concurrent_processes_apply_each_migration_once(scratch_schema: Path,
                                                        graph: neo4j.Driver,
                                                        neo4j_conn: Connection) -> None:
    """Four `hub migrate` processes started together (workers, replicas): the scratch
    migration is applied by exactly one of them, and every process ends up to date."""
    (scratch_schema / "9002_scratch_two.cypher").write_text(
        "CREATE INDEX scratch_probe_two IF NOT EXISTS FOR (x:ScratchProbe) ON (x.other);\n",
        encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEO4J_", "HUB_"))}
    env.update({"NEO4J_URI": neo4j_conn.uri, "NEO4J_USER": neo4j_conn.user,
                "NEO4J_PASSWORD": neo4j_conn.password, "HUB_SCHEMA_DIR": str(scratch_schema)})
    procs = [subprocess.Popen([sys.executable, "-m", "hub.cli", "migrate"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(4)]
    try:
        outputs = [p.communicate(timeout=180) for p in procs]
    finally:
        for p in procs:
            p.kill()
    assert [p.returncode for p in procs] == [0, 0, 0, 0], outputs
    applied = [line for out, err in outputs for line in (out + err).splitlines()
               if line.startswith("applied 900")]
    assert sorted(applied) == ["applied 9001_scratch.cypher", "applied 9002_scratch_two.cypher"]
    records, _, _ = graph.execute_query(
        "MATCH (m:Migration) WHERE m.version STARTS WITH '900' RETURN count(m) AS n")
    assert records[0]["n"] == 2
    records, _, _ = graph.execute_query(
        "MATCH (l:MigrationLock) RETURN count(l) AS n, collect(l.holder) AS holders")
    assert records[0]["n"] == 1 and records[0]["holders"] == []  # released


def test_statements_split_outside_strings_and_comments() -> None:
    text = ("MATCH (n {x: 'a;b'}) SET n.`we;ird` = \"q\\\";\" /* c; */ RETURN 1;\n"
            "RETURN 2 // trailing; comment\n;")
    assert migrations.split_statements(text) == [
        "MATCH (n {x: 'a;b'}) SET n.`we;ird` = \"q\\\";\"  RETURN 1", "RETURN 2"]
