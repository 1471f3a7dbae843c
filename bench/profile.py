"""dbHits of each side's Cypher: PROFILE the hub's query text (rebuilt with its builders)
and the peer's (captured from the Neo4j GraphQL Library's debug log)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import neo4j


def _sum_hits(plan: Any) -> tuple[int, int]:
    """(dbHits, rows of the root) of a profiled plan tree."""
    hits = int(plan.get("dbHits", 0))
    for child in plan.get("children", []):
        hits += _sum_hits(child)[0]
    return hits, int(plan.get("rows", 0))


def profile(driver: neo4j.Driver, cypher: str, params: dict[str, Any]) -> dict[str, Any]:
    with driver.session(database="neo4j", default_access_mode=neo4j.READ_ACCESS) as session:
        summary = session.run("PROFILE " + cypher, params).consume()
    plan = summary.profile or {}
    hits, rows = _sum_hits(plan)
    return {"db_hits": hits, "rows": rows, "ops": _ops(plan)}


def _ops(plan: Any, depth: int = 0, out: list[str] | None = None) -> list[str]:
    out = [] if out is None else out
    args = plan.get("args", {})
    detail = str(args.get("Details", ""))[:90]
    out.append(f"{'  ' * depth}{plan.get('operatorType', '?')} "
               f"rows={plan.get('rows', 0)} dbHits={plan.get('dbHits', 0)} {detail}")
    for child in plan.get("children", []):
        _ops(child, depth + 1, out)
    return out


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def peer_queries(log: Path) -> list[tuple[str, dict[str, Any]]]:
    """(Cypher, params) pairs the peer logged under ``DEBUG=@neo4j/graphql:*``.

    7.x logs ``execution CYPHER 5`` followed by the query, then ``cypher params:`` with
    the parameters in Node's inspect format (converted here; long arrays are truncated
    by Node, so the caller replaces list parameters with the values it sent).
    """
    text = _ANSI.sub("", log.read_text(encoding="utf-8", errors="replace"))
    found: list[tuple[str, dict[str, Any]]] = []
    pattern = re.compile(r"execution CYPHER[^\n]*\n(?P<cypher>.*?)\n\S+ @neo4j/graphql:execution "
                         r"cypher params: (?P<params>\{\}|\{.*?\n\})", re.S)
    for m in pattern.finditer(text):
        cypher = m.group("cypher").strip()
        if "dbms.components" in cypher:
            continue
        found.append((cypher, _inspect_to_params(m.group("params"))))
    return found


def _inspect_to_params(text: str) -> dict[str, Any]:
    text = re.sub(r"(?:Int|Integer) \{ low: (-?\d+), high: 0 \}", r"\1", text)
    text = re.sub(r",?\s*\.\.\. \d+ more items?", "", text)
    text = re.sub(r"'((?:[^'\\]|\\.)*)'", lambda m: json.dumps(m.group(1)), text)
    text = re.sub(r"([{,]\s*)([A-Za-z_$][\w$]*)\s*:", r'\1"\2":', text)
    try:
        data = json.loads(text)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
