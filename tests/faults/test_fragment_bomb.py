"""Fragment bombs over real HTTP: refused at once, without freezing other clients.

Before the budget walk was memoised, a 794-byte document of 22 fragments, each spreading
the next twice, held the event loop for 27 s; renaming the fragments defeated the
validation cache, so every variant cost that again.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from tests.integration.api_world import World, world

__all__ = ["world"]


def bomb(tag: str, levels: int = 22, on: str = "Query", leaf: str = "version") -> str:
    frags = " ".join(f"fragment {tag}{i} on {on} {{ "
                     + (f"...{tag}{i + 1} ...{tag}{i + 1}" if i < levels - 1 else leaf) + " }"
                     for i in range(levels))
    return frags


def post(url: str, query: str, token: str | None = None) -> tuple[float, httpx.Response]:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    started = time.perf_counter()
    response = httpx.post(f"{url}/graphql", json={"query": query}, headers=headers, timeout=60)
    return time.perf_counter() - started, response


def message(response: httpx.Response) -> str:
    body: dict[str, Any] = response.json()
    return str(body["errors"][0]["message"])


def test_bombs_are_refused_quickly_and_others_are_served(world: World) -> None:
    anonymous = [f"query {{ ...A{n}x0 }} " + bomb(f"A{n}x") for n in range(3)]
    signed = [f'query {{ subject(uscc: "x", purpose: SUPERVISION) {{ ...B{n}x0 }} }} '
              + bomb(f"B{n}x", on="SubjectPortrait", leaf="uscc") for n in range(3)]
    assert len(anonymous[0]) < 1024  # about the size of the reported one
    with ThreadPoolExecutor(max_workers=7) as pool:
        bombs = [pool.submit(post, world.url, q) for q in anonymous]
        bombs += [pool.submit(post, world.url, q, world.tokens["reg-cd"]) for q in signed]
        probe = pool.submit(post, world.url, "{ version }")
        results = [b.result() for b in bombs]
        probe_seconds, probe_response = probe.result()
    for seconds, response in results:
        assert "selections once its fragments are expanded" in message(response)
        assert seconds < 5, f"a bomb took {seconds:.1f} s"
    assert probe_response.json() == {"data": {"version": "0.1.0"}}
    assert probe_seconds < 5


def test_repeated_fields_are_refused_before_the_merge_check(world: World) -> None:
    seconds, response = post(world.url, "{ " + " ".join(["me { party }"] * 150) + " }")
    assert "same fields" in message(response)
    assert seconds < 5  # graphql-core's pairwise merge check alone took 2.4 s on this
    negative = world.gql("reg-cd", "{ subjects(purpose: SUPERVISION, first: -5) { totalCount } }")
    assert message(negative) == "first must be zero or more, got -5."
