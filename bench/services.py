"""Step 3 and 5b: the hub (with and without its access log) and the peer, as child
processes; OAuth clients and tokens; the peer's HS256 tokens."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.procs import Procs, free_port, pin, wait_port
from bench.setup import Graph
from hub.settings import PROJECT_ROOT

PEER_DIR = Path(__file__).resolve().parent / "peer"


@dataclass
class Server:
    name: str
    url: str
    pid: int
    proc: subprocess.Popen[bytes]


def start_hub(procs: Procs, name: str, graph: Graph, state: Path, pii_key: str, *,
              audit: bool, cpus: str | None, log: Path) -> Server:
    port = free_port()
    shutil.rmtree(state, ignore_errors=True)
    env = {**os.environ, **graph.env(),
           "HUB_ENV": "production", "HUB_PII_KEY": pii_key, "HUB_STATE_DIR": str(state),
           "HUB_ISSUER": f"http://127.0.0.1:{port}", "HUB_RATE_LIMIT_PER_SECOND": "0",
           "HUB_AUDIT_ENABLED": "true" if audit else "false", "HUB_LOG_LEVEL": "WARNING",
           "HUB_TOKEN_TTL": "3600", "HUB_MIGRATE_ON_START": "false"}
    cmd = [*pin(cpus), sys.executable, "-m", "hub.cli", "serve", "--port", str(port)]
    proc = procs.start(name, cmd, env=env, log=log, cwd=PROJECT_ROOT)
    url = f"http://127.0.0.1:{port}"
    wait_port(port, 60, alive=lambda: proc.poll() is None)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/readyz", timeout=5).status_code == 200:
                return Server(name, url, proc.pid, proc)
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{name} never became ready; see {log}")


def hub_token(url: str, client_id: str, secret: str | None) -> str:
    resp = httpx.post(f"{url}/oauth/token", data={"grant_type": "client_credentials"},
                      auth=(client_id, secret or ""), timeout=30)
    resp.raise_for_status()
    return str(resp.json()["access_token"])


def hs256(claims: dict[str, object], secret: str) -> str:
    """A compact HS256 JWT (RFC 7519) for the peer."""
    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64(json.dumps(claims).encode())
    sig = hmac.new(secret.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64(sig)}"


def peer_token(platform_id: str, secret: str) -> str:
    now = int(time.time())
    return hs256({"sub": f"party-{platform_id}", "platform_id": platform_id, "iat": now,
                  "exp": now + 7200}, secret)


def npm_install(log: Path) -> str | None:
    """``npm ci`` (or ``npm install`` without a lock file); None when ready, else why not."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        return "node/npm not found"
    if (PEER_DIR / "node_modules" / "@neo4j" / "graphql").exists():
        return None
    verb = "ci" if (PEER_DIR / "package-lock.json").exists() else "install"
    with open(log, "ab") as out:
        done = subprocess.run(["npm", verb, "--no-audit", "--no-fund"], cwd=PEER_DIR,
                              stdout=out, stderr=subprocess.STDOUT, check=False)
    return None if done.returncode == 0 else f"npm {verb} failed (exit {done.returncode})"


def start_peer(procs: Procs, graph: Graph, secret: str, *, cpus: str | None, log: Path,
               debug: bool = False) -> Server:
    port = free_port()
    env = {**os.environ, **graph.env(), "PEER_JWT_SECRET": secret, "PORT": str(port),
           "NODE_ENV": "production"}
    if debug:
        env["DEBUG"] = "@neo4j/graphql:*"
    cmd = [*pin(cpus), "node", "server.mjs"]
    proc = procs.start("peer", cmd, env=env, log=log, cwd=PEER_DIR)
    wait_port(port, 60, alive=lambda: proc.poll() is None)
    return Server("peer", f"http://127.0.0.1:{port}", proc.pid, proc)
