"""Throughput with one and with two hub processes on one Neo4j and one Redis (same run).

    bench/replicas.sh        # starts everything under /tmp/hub-replicas, then runs this

Phases alternate (1, 2, 1, 2 processes), each a closed loop of 8 clients sending
``complianceStatus`` for one code for 8 s; on 2 cores shared by Neo4j, the hub and this
generator, expect no gain from a second process — the point of two is correctness.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

import httpx

PORTS = (18401, 18402)
QUERY = {"query": '{ complianceStatus(usccs: ["91510100MA61234567"], '
                  'purpose: ONBOARDING_CHECK) { uscc known } }'}


async def phase(token: str, ports: tuple[int, ...], seconds: float,
                clients: int = 8) -> tuple[float, int]:
    done = errors = 0
    end = time.monotonic() + seconds
    async with httpx.AsyncClient(timeout=30) as http:
        async def worker(i: int) -> None:
            nonlocal done, errors
            url = f"http://127.0.0.1:{ports[i % len(ports)]}/graphql"
            while time.monotonic() < end:
                answer = await http.post(url, json=QUERY,
                                         headers={"authorization": f"Bearer {token}"})
                ok = answer.status_code == 200 and "errors" not in answer.json()
                done, errors = done + ok, errors + (not ok)

        await asyncio.gather(*(worker(i) for i in range(clients)))
    return done / seconds, errors


def token_for(state: Path) -> str:
    client = json.loads((state / "demo" / "clients.json").read_text())["platform"]
    answer = httpx.post(f"http://127.0.0.1:{PORTS[0]}/oauth/token",
                        data={"grant_type": "client_credentials"},
                        auth=(client["client_id"], client["client_secret"]))
    return str(answer.json()["access_token"])


async def main(token: str) -> None:
    await phase(token, PORTS, 2.0)  # warm-up
    print("| processes | req/s | errors |\n|---:|---:|---:|")
    for ports in (PORTS[:1], PORTS, PORTS[:1], PORTS):
        rate, errors = await phase(token, ports, 8.0)
        print(f"| {len(ports)} | {rate:.1f} | {errors} |", flush=True)


if __name__ == "__main__":
    asyncio.run(main(token_for(Path(sys.argv[1]))))
