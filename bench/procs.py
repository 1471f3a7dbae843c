"""Processes the suite starts, and what /proc says about them (CPU seconds, RSS, peak RSS).

Everything started goes through :class:`Procs`, which stops it again in reverse order on
exit, error or Ctrl-C (process groups, SIGTERM then SIGKILL).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def cpu_seconds(pid: int) -> float:
    """utime + stime of ``pid`` (its threads included), in seconds."""
    with open(f"/proc/{pid}/stat", "rb") as fh:
        fields = fh.read().rsplit(b")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def tree_pids(pid: int) -> list[int]:
    """``pid`` and its descendants (a uvicorn reloader, a shell wrapper)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").glob("[0-9]*"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            data = (entry / "stat").read_bytes().rsplit(b")", 1)[1].split()
            children.setdefault(int(data[1]), []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def tree_cpu(pid: int) -> float:
    total = 0.0
    for p in tree_pids(pid):
        with contextlib.suppress(OSError):
            total += cpu_seconds(p)
    return total


def rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/statm", "rb") as fh:
        return int(fh.read().split()[1]) * PAGE


def hwm_bytes(pid: int) -> int:
    """VmHWM: the peak resident set of ``pid`` so far."""
    with open(f"/proc/{pid}/status", "rb") as fh:
        for line in fh:
            if line.startswith(b"VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def tree_rss(pid: int) -> int:
    total = 0
    for p in tree_pids(pid):
        with contextlib.suppress(OSError):
            total += rss_bytes(p)
    return total


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_port(port: int, timeout: float, alive: Callable[[], bool] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if alive is not None and not alive():
            raise RuntimeError(f"process died before listening on port {port}")
        with socket.socket() as sock:
            sock.settimeout(0.3)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listens on port {port} after {timeout:.0f}s")


@dataclass
class Sampler:
    """Polls a process tree's RSS in a thread; ``peak`` is the highest sum seen."""

    pid: int
    interval: float = 0.05
    peak: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> Sampler:
        def run() -> None:
            while not self._stop.is_set():
                with contextlib.suppress(OSError):
                    self.peak = max(self.peak, tree_rss(self.pid))
                self._stop.wait(self.interval)

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join()


def pin(cpus: str | None) -> list[str]:
    """A ``taskset`` prefix pinning a command to ``cpus`` (e.g. "1"), or nothing."""
    return ["taskset", "-c", cpus] if cpus else []


class Procs:
    """Owner of every long-running child: stops them all (reverse order) on close."""

    def __init__(self) -> None:
        self.children: list[tuple[str, subprocess.Popen[bytes]]] = []
        self.stoppers: list[tuple[str, Callable[[], object]]] = []

    def start(self, name: str, cmd: Sequence[str], *, env: dict[str, str] | None = None,
              log: Path, cwd: Path | None = None) -> subprocess.Popen[bytes]:
        log.parent.mkdir(parents=True, exist_ok=True)
        with open(log, "ab") as out:
            proc = subprocess.Popen(list(cmd), env=env, stdout=out, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, cwd=cwd,
                                    start_new_session=True)
        self.children.append((name, proc))
        return proc

    def on_close(self, name: str, fn: Callable[[], object]) -> None:
        self.stoppers.append((name, fn))

    def stop(self, proc: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        self.children = [(n, p) for n, p in self.children if p is not proc]

    def close(self) -> None:
        for _, proc in reversed(self.children):
            with contextlib.suppress(Exception):
                self.stop(proc)
        for _, fn in reversed(self.stoppers):
            with contextlib.suppress(Exception):
                fn()
        self.children.clear()
        self.stoppers.clear()
