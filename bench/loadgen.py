"""The load generator: a child process driven by a JSON spec (``python -m bench.loadgen SPEC``).

Targets: ``http`` (GraphQL POST over keep-alive httpx connections) or ``bolt`` (the neo4j
async driver, for the raw-Cypher baselines; ``kind: bfs`` replays the hub's per-level
related-entities walk). Modes: ``closed`` (N clients, each sends its next request when
the previous one answered: throughput) and ``open`` (arrivals at a fixed rate, latency
counted from the *scheduled* send time so a stall is not hidden: tail latency).

Protocol on stdout: ``warm`` after the warm-up, then it waits for a line on stdin (the
parent snapshots the servers' CPU), measures, prints ``done`` and one JSON line.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import neo4j

Send = Callable[[int], Awaitable[bool]]


def _http_sender(spec: dict[str, Any], client: httpx.AsyncClient) -> Send:
    bodies = [json.dumps(r).encode() for r in spec["requests"]]
    unique = spec.get("unique")  # {"var": name, "prefix": text}: a fresh value per request
    templates = spec["requests"]
    headers = {"content-type": "application/json", **spec.get("headers", {})}
    url = spec["url"]
    counter = itertools.count()

    async def send(i: int) -> bool:
        if unique:
            req = dict(templates[i % len(templates)])
            req["variables"] = {**req["variables"],
                                unique["var"]: f"{unique['prefix']}-{next(counter)}"}
            body = json.dumps(req).encode()
        else:
            body = bodies[i % len(bodies)]
        resp = await client.post(url, content=body, headers=headers)
        if resp.status_code != 200:
            return False
        data = resp.json()
        return "errors" not in data or not data["errors"]

    return send


def _bolt_sender(spec: dict[str, Any], driver: neo4j.AsyncDriver) -> Send:
    reqs = spec["requests"]
    read = neo4j.RoutingControl.READ

    async def run(text: str, params: dict[str, Any]) -> list[neo4j.Record]:
        records, _, _ = await driver.execute_query(text, params, database_="neo4j",
                                                   routing_=read)
        return records

    async def send(i: int) -> bool:
        req = reqs[i % len(reqs)]
        if req.get("kind") == "bfs":
            params = req["params"]
            if not await run(req["root"], {"uscc": req["uscc"], **params}):
                return True
            seen, frontier = {req["uscc"]}, [req["uscc"]]
            for _ in range(req["depth"]):
                if not frontier:
                    break
                records = await run(req["cypher"], {"frontier": frontier, **params})
                rows = records[0]["rows"]  # the level query: one record, the level's links
                nxt = []
                for row in rows:
                    if row["to"] not in seen and len(seen) <= 500:
                        seen.add(row["to"])
                        nxt.append(row["to"])
                frontier = nxt
            return True
        await run(req["cypher"], req["params"])
        return True

    return send


async def _closed(send: Send, clients: int, seconds: float, lat: list[float],
                  errors: list[int]) -> None:
    stop = time.perf_counter() + seconds
    seq = itertools.count()

    async def worker() -> None:
        while time.perf_counter() < stop:
            t0 = time.perf_counter()
            try:
                ok = await send(next(seq))
            except Exception:
                ok = False
            lat.append(time.perf_counter() - t0)
            if not ok:
                errors.append(1)

    await asyncio.gather(*(worker() for _ in range(clients)))


async def _open(send: Send, rate: float, seconds: float, lat: list[float],
                errors: list[int], cap: int = 2000) -> int:
    """Fixed arrival rate; returns how many arrivals were dropped (over ``cap`` in flight)."""
    interval = 1.0 / rate
    start = time.perf_counter()
    n = int(seconds * rate)
    pending: set[asyncio.Task[None]] = set()
    dropped = 0

    async def one(i: int, scheduled: float) -> None:
        try:
            ok = await send(i)
        except Exception:
            ok = False
        lat.append(time.perf_counter() - scheduled)
        if not ok:
            errors.append(1)

    for i in range(n):
        scheduled = start + i * interval
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        if len(pending) >= cap:
            dropped += 1
            continue
        task = asyncio.create_task(one(i, scheduled))
        pending.add(task)
        task.add_done_callback(pending.discard)
    if pending:
        await asyncio.gather(*pending)
    return dropped


async def main(spec: dict[str, Any]) -> dict[str, Any]:
    clients = int(spec.get("concurrency", 1))
    driver: neo4j.AsyncDriver | None = None
    client: httpx.AsyncClient | None = None
    if spec["target"] == "http":
        client = httpx.AsyncClient(
            limits=httpx.Limits(max_connections=max(clients, 64),
                                max_keepalive_connections=max(clients, 64)),
            timeout=httpx.Timeout(60.0))
        send = _http_sender(spec, client)
    else:
        bolt = spec["bolt"]
        driver = neo4j.AsyncGraphDatabase.driver(
            bolt["uri"], auth=(bolt["user"], bolt["password"]),
            max_connection_pool_size=max(clients, 64), notifications_min_severity="OFF")
        send = _bolt_sender(spec, driver)
    try:
        # Warm-up: same mode, results discarded; then the handshake with the parent.
        await _closed(send, clients, spec["warmup"], [], [])
        print("warm", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        lat: list[float] = []
        errors: list[int] = []
        cpu0, t0 = time.process_time(), time.perf_counter()
        dropped = 0
        if spec["mode"] == "open":
            dropped = await _open(send, float(spec["rate"]), spec["duration"], lat, errors)
        else:
            await _closed(send, clients, spec["duration"], lat, errors)
        elapsed = time.perf_counter() - t0
        cpu = time.process_time() - cpu0
    finally:
        if client:
            await client.aclose()
        if driver:
            await driver.close()
    return {"latencies": lat, "errors": len(errors), "elapsed": elapsed, "cpu": cpu,
            "dropped": dropped}


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as fh:
        loaded = json.load(fh)
    result = asyncio.run(main(loaded))
    print("done", flush=True)
    print(json.dumps(result), flush=True)
