"""Nodes / relationships / revisions of a registry feed after one ingest and three replays.

``python -m tests.faults.replay_figures FEED.jsonl`` — against the Neo4j that ``NEO4J_URI``
(or ``HUB_STATE_DIR``'s local server) names. It WIPES that graph first.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from hub.graph import migrations
from hub.graph.driver import Connection, async_driver, connection, sync_driver
from hub.ingest import IngestOptions, ingest
from hub.settings import get_settings
from tests.conftest import PROJECT_ROOT, wipe
from tests.faults.fingerprint import fingerprint

PARTY = "reg-510100"


async def _migrate(conn: Connection) -> None:
    async with async_driver(conn) as drv:
        await migrations.migrate(drv, conn.database, PROJECT_ROOT / "schema" / "neo4j")


def main(feed: Path) -> None:
    conn = connection(get_settings())
    asyncio.run(_migrate(conn))
    with sync_driver(conn) as drv:
        wipe(drv, conn.database)
        drv.execute_query("MERGE (p:Party {id: $id}) SET p.type = 'regulator'", id=PARTY,
                          database_=conn.database)
        for run in range(4):
            s = ingest(drv, conn.database, "registry", feed, IngestOptions(party=PARTY),
                       b"figures")
            fp = fingerprint(drv, conn.database)
            print("ingest  " if run == 0 else f"replay {run}",
                  f"created={s.created} updated={s.updated} unchanged={s.unchanged} "
                  f"rejected={s.rejected} | nodes={fp.nodes} relationships={fp.relationships} "
                  f"revisions={fp.revisions} digest={fp.digest[:12]}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
