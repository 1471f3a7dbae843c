"""``hub clock|credit|alerts|inspect|triggers`` through the real command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import neo4j

from hub.graph.driver import Connection
from hub.identity import uscc

A = uscc.make("91510104MA6C00010")


def hub(*args: str, conn: Connection, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEO4J_", "HUB_"))}
    env.update({"NEO4J_URI": conn.uri, "NEO4J_USER": conn.user,
                "NEO4J_PASSWORD": conn.password, "HUB_STATE_DIR": str(tmp_path)})
    return subprocess.run([sys.executable, "-m", "hub.cli", *args], env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def test_credit_commands(graph: neo4j.Driver, neo4j_conn: Connection, tmp_path: Path) -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        done = hub(*args, conn=neo4j_conn, tmp_path=tmp_path)
        assert done.returncode == 0, done.stderr
        return done

    graph.execute_query("CREATE (:Subject {uscc: $u, division: '510104', status: 'active', "
                        "registered_on: '2015-01-01', stub: false})", u=A)
    assert run("clock", "set", "2026-07-01").stdout.startswith("2026-07-01")
    assert run("clock", "show").stdout.startswith("2026-07-01")
    summary = json.loads(run("credit", "rescore", "--quiet").stdout)
    assert summary["scored"] == 1 and summary["admitted"] == 1
    explained = json.loads(run("credit", "explain", A).stdout)
    assert explained["credit_class"] in ("A", "B") and explained["explanation"]["indicators"]
    stats = json.loads(run("credit", "sandbox-stats", "--division", "510100").stdout)
    assert stats["total"] == 1 and stats["by_platform"] == {"(none)": 1}
    assert json.loads(run("alerts", "escalate").stdout) == []
    roster = tmp_path / "roster.txt"
    roster.write_text("INS-1\nINS-2\n", encoding="utf-8")
    plan = json.loads(run("inspect", "plan", "--division", "510104", "--period", "2026Q3",
                          "--seed", "1", "--roster", str(roster)).stdout)
    assert plan["seed"] == "1" and plan["candidates"] == 1
    report = json.loads(run("triggers", "backtest", "tobacco_online",
                            "--since", "2026-05-01").stdout)
    assert [m["month"] for m in report["months"]] == ["2026-05", "2026-06", "2026-07"]
    bad = hub("credit", "explain", "91510104MA6C0009X", conn=neo4j_conn, tmp_path=tmp_path)
    assert bad.returncode == 1 and "no subject" in bad.stderr
