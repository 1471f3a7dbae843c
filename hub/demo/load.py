"""``hub demo load``: a running hub with realistic data in one command.

Generates (or reuses) a demo data set, creates the demo parties with their agreements,
ingests every feed *as the party that would supply it* (each platform's own stores, each
association's own evaluations), scores every subject, and creates one client per party
type whose credentials are kept in ``<state_dir>/demo/clients.json`` (readable only by
the user) so that the README's curl examples work.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import neo4j
import orjson

from hub.settings import Settings

Say = Callable[[str], None]
FEED_OWNER = {"registry": "regulators", "complaints": "regulators",
              "enforcement": "regulators"}


def _parties(spec: dict[str, Any]) -> list[dict[str, Any]]:
    parties = []
    for reg in spec["regulators"]:
        parties.append({"party_id": reg["party_id"], "party_type": "regulator",
                        "name": reg["name"], "jurisdictions": reg["jurisdiction"]})
    for plat in spec["platforms"]:
        parties.append({"party_id": plat["party_id"], "party_type": "platform",
                        "name": plat["name"], "platform_id": plat["platform_id"]})
    for assoc in spec["associations"]:
        parties.append({"party_id": assoc["party_id"], "party_type": "association",
                        "name": assoc["name"], "association_id": assoc["association_id"]})
    parties.append({"party_id": "public", "party_type": "public", "name": "社会公众"})
    return parties


def ensure_parties(driver: neo4j.Driver, database: str, spec: dict[str, Any],
                   say: Say) -> None:
    from hub.auth import create_agreement, create_party
    from hub.auth.parties import list_parties

    today = date.today()
    existing = {p.id for p in list_parties(driver, database=database)}
    for party in _parties(spec):
        if party["party_id"] in existing:
            continue
        create_party(driver, database=database, **party)
        if party["party_type"] == "platform":
            create_agreement(driver, party_id=party["party_id"], database=database,
                             valid_from=today - timedelta(days=30),
                             valid_to=today + timedelta(days=730))
    say(f"{len(_parties(spec))} parties ready (platforms have a cooperation agreement).")


def split_by_owner(path: Path, key: str, out_dir: Path) -> dict[str, Path]:
    """One file per owner (platform_id / association_id), streamed."""
    out_dir.mkdir(parents=True, exist_ok=True)
    handles: dict[str, Any] = {}
    files: dict[str, Path] = {}
    try:
        with open(path, "rb") as source:
            for line in source:
                try:
                    owner = str(orjson.loads(line).get(key) or "unknown")
                except orjson.JSONDecodeError:
                    owner = "unknown"
                if owner not in handles:
                    files[owner] = out_dir / f"{path.stem}.{owner}.jsonl"
                    handles[owner] = open(files[owner], "wb")  # noqa: SIM115
                handles[owner].write(line)
    finally:
        for handle in handles.values():
            handle.close()
    return files


def ensure_clients(driver: neo4j.Driver, database: str, spec: dict[str, Any],
                   path: Path) -> dict[str, dict[str, str]]:
    from hub.auth import create_client
    from hub.auth.clients import list_clients

    if path.exists():
        saved: dict[str, dict[str, str]] = json.loads(path.read_text(encoding="utf-8"))
        known = {c.client_id for c in list_clients(driver, database=database)}
        if all(c["client_id"] in known for c in saved.values()):
            return saved
    chosen = {"regulator": spec["regulators"][0]["party_id"],
              "platform": spec["platforms"][0]["party_id"],
              "association": spec["associations"][0]["party_id"], "public": "public"}
    clients = {}
    for kind, party in chosen.items():
        client_id, secret = create_client(driver, party, database=database)
        clients[kind] = {"party": party, "client_id": client_id, "client_secret": secret or ""}
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(clients, fh, indent=2)
    return clients


def load(settings: Settings, subjects: int, seed: int, say: Say,
         ingest_file: Callable[[str, Path, str], dict[str, Any]]) -> dict[str, Any]:
    from hub.demo.generate import Options, generate
    from hub.graph.driver import connection, sync_driver

    base = settings.state_dir / "demo"
    data = base / f"{subjects}-{seed}"
    manifest = data / "manifest.json"
    if not manifest.exists():
        say(f"Generating demo feeds for {subjects:,} subjects (seed {seed}) in {data} …")
        generate(Options(out=data, subjects=subjects, seed=seed))
    spec = json.loads((data / "parties.json").read_text(encoding="utf-8"))
    conn = connection(settings)
    with sync_driver(conn) as driver:
        ensure_parties(driver, conn.database, spec, say)
        first_regulator = spec["regulators"][0]["party_id"]
        plan: list[tuple[str, Path, str]] = [("registry", data / "registry.jsonl",
                                              first_regulator)]
        for owner, part in split_by_owner(data / "platform.jsonl", "platform_id",
                                          data / "by-owner").items():
            plan.append(("platform", part, f"party-{owner}"))
        plan += [("complaints", data / "complaints.jsonl", first_regulator),
                 ("enforcement", data / "enforcement.jsonl", first_regulator)]
        for owner, part in split_by_owner(data / "association.jsonl", "association_id",
                                          data / "by-owner").items():
            plan.append(("association", part, f"party-{owner}"))
        known = {p["party_id"] for p in _parties(spec)}
        summaries = [ingest_file(source, path, party) for source, path, party in plan
                     if party in known]
        say("Scoring every subject (credit classes, sandbox, triggers) …")
        from hub.credit.engine import rescore_all

        scored = rescore_all(driver, conn.database)
        clients = ensure_clients(driver, conn.database, spec, base / "clients.json")
    return {"summaries": summaries, "scored": scored, "clients": clients,
            "clients_file": str(base / "clients.json")}
