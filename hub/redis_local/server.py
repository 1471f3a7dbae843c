"""A local Redis on loopback, the way :mod:`hub.neo4j_local` runs Neo4j.

The binary is Debian's ``redis-server`` (``apt-get install redis-server``); nothing is
downloaded. The server listens on 127.0.0.1 only, requires a generated password, keeps no
snapshot (rate-limit buckets and budgets are worth nothing after a restart of the whole
deployment) and writes its state under ``<state_dir>/redis``.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from hub.errors import HubError
from hub.local_process import free_port, pid_alive
from hub.settings import Settings

# Servers started by this process: kept referenced so that a Popen is never collected
# (and warned about) while its server runs.
_STARTED: list[subprocess.Popen[bytes]] = []


@dataclass(frozen=True)
class RedisState:
    pid: int
    port: int
    password: str
    log: str

    @property
    def url(self) -> str:
        return f"redis://:{self.password}@127.0.0.1:{self.port}/0"


def _answers(state: RedisState, timeout: float = 0.5) -> bool:
    """A PING with the password gets +PONG (plain RESP, no client library needed)."""
    try:
        with socket.create_connection(("127.0.0.1", state.port), timeout=timeout) as sock:
            sock.sendall(f"AUTH {state.password}\r\nPING\r\n".encode())
            reply = b""
            while reply.count(b"\r\n") < 2:
                chunk = sock.recv(256)
                if not chunk:
                    break
                reply += chunk
            return reply == b"+OK\r\n+PONG\r\n"
    except OSError:
        return False


class LocalRedis:
    def __init__(self, settings: Settings, home: Path | None = None) -> None:
        self.home = home or settings.state_dir / "redis"
        self.state_file = self.home / "state.json"
        self.log_file = self.home / "redis.log"

    def status(self) -> RedisState | None:
        try:
            state = RedisState(**json.loads(self.state_file.read_text(encoding="utf-8")))
        except (FileNotFoundError, ValueError, TypeError):
            return None
        return state if pid_alive(state.pid) and _answers(state) else None

    def start(self, timeout: float = 30.0) -> RedisState:
        """Start the server (or reuse the running one) and wait until it answers."""
        running = self.status()
        if running:
            return running
        binary = shutil.which("redis-server")
        if binary is None:
            raise HubError("`redis-server` was not found.",
                           "Install it (Debian/Ubuntu: apt-get install redis-server) or set "
                           "HUB_REDIS_URL to an existing Redis.")
        self.home.mkdir(parents=True, exist_ok=True)
        os.chmod(self.home, 0o700)
        state = RedisState(pid=0, port=free_port(), password=secrets.token_urlsafe(24),
                           log=str(self.log_file))
        conf = self.home / "redis.conf"
        conf.write_text("\n".join([
            "bind 127.0.0.1", f"port {state.port}", f"requirepass {state.password}",
            f"dir {self.home}", 'save ""', "appendonly no", "protected-mode yes",
            f"logfile {self.log_file}", "daemonize no", ""]), encoding="utf-8")
        os.chmod(conf, 0o600)
        proc = subprocess.Popen([binary, str(conf)], stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)  # stopped by `hub redis stop`
        _STARTED.append(proc)
        state = RedisState(pid=proc.pid, port=state.port, password=state.password,
                           log=state.log)
        self.state_file.write_text(json.dumps(asdict(state)), encoding="utf-8")
        os.chmod(self.state_file, 0o600)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise HubError(f"redis-server exited during start-up (code "
                               f"{proc.returncode}); see {self.log_file}.")
            if _answers(state):
                return state
            time.sleep(0.05)
        self.stop()
        raise HubError(f"redis-server did not answer on port {state.port} within "
                       f"{timeout:.0f}s; see {self.log_file}.")

    def stop(self, timeout: float = 10.0) -> bool:
        """Stop the server; ``False`` if none was running."""
        try:
            state = RedisState(**json.loads(self.state_file.read_text(encoding="utf-8")))
        except (FileNotFoundError, ValueError, TypeError):
            return False
        if not pid_alive(state.pid):
            return False
        with contextlib.suppress(ProcessLookupError):
            os.kill(state.pid, signal.SIGTERM)
        ours = [p for p in _STARTED if p.pid == state.pid]
        if ours:  # our own child: reap it (a zombie would look alive)
            try:
                ours[0].wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                ours[0].kill()
                ours[0].wait(timeout=timeout)
            _STARTED.remove(ours[0])
            return True
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and pid_alive(state.pid):
            time.sleep(0.05)
        with contextlib.suppress(ProcessLookupError):
            if pid_alive(state.pid):
                os.kill(state.pid, signal.SIGKILL)
        return True
