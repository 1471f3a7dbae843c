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

    The library logs ``executing cypher`` followed by the query, then ``cypher params:``
    followed by a JSON object; the exact wording varies by version, so this parser looks
    for the two blocks generically.
    """
    text = _ANSI.sub("", log.read_text(encoding="utf-8", errors="replace"))
    found: list[tuple[str, dict[str, Any]]] = []
    pattern = re.compile(
        r"(?:About to execute Cypher|executing cypher)[^\n]*\n(?P<cypher>.*?)\n"
        r"[^\n]*(?:Cypher params|cypher params|Params)[^\n]*?:?\s*(?P<params>\{.*?\n\})",
        re.S | re.I)
    for m in pattern.finditer(text):
        cypher = "\n".join(_strip_prefix(x) for x in m.group("cypher").splitlines())
        cypher = re.sub(r"^\s*Cypher:\s*", "", cypher.strip())
        try:
            params = json.loads("\n".join(_strip_prefix(x) for x in
                                          m.group("params").splitlines()))
        except ValueError:
            continue
        found.append((cypher, params))
    return found


def _strip_prefix(line: str) -> str:
    # debug lines may start with a timestamp and the namespace
    return re.sub(r"^\s*\S*@neo4j/graphql:\S+\s", "", line)
