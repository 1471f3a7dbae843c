"""A local Neo4j Community 5.26 server that the project provisions itself.

The jars come from Maven Central through ``pom.xml`` beside this file and are cached in
the user's cache directory (the second start downloads nothing). The server runs as a
separate Java process from ``Launcher.java``, with authentication on, Bolt on loopback
only and a generated password kept in a state file readable only by the user.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from hub.errors import HubError
from hub.local_process import free_port, pid_alive, port_open
from hub.settings import Settings

HERE = Path(__file__).resolve().parent
Progress = Callable[[str], None]
# Servers started by this process: the server outlives a CLI call by design, so keep the
# handle for the life of the interpreter instead of letting Popen warn when collected.
_STARTED: list[subprocess.Popen[bytes]] = []


@dataclass(frozen=True)
class ServerState:
    """What a running local server needs to be found again (``state.json``)."""

    pid: int
    port: int
    user: str
    password: str
    version: str
    log: str

    @property
    def uri(self) -> str:
        return f"bolt://127.0.0.1:{self.port}"


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "credit-hub"


def _write_private(path: Path, text: str) -> None:
    """Write a file only its owner can read, never exposing it with wider permissions."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.chmod(path, 0o600)


class LocalNeo4j:
    """Start, stop and inspect the project's own Neo4j server under ``<state_dir>/neo4j``."""

    def __init__(self, settings: Settings, home: Path | None = None) -> None:
        self.settings = settings
        self.version = settings.neo4j_version
        self.home = home or settings.state_dir / "neo4j"
        self.state_file = self.home / "state.json"
        self.password_file = self.home / "password"
        self.log_file = self.home / "logs" / "neo4j.log"

    # -- state ------------------------------------------------------------------------
    def read_state(self) -> ServerState | None:
        try:
            return ServerState(**json.loads(self.state_file.read_text(encoding="utf-8")))
        except (FileNotFoundError, ValueError, TypeError):
            return None

    def status(self) -> ServerState | None:
        """The running server's state, or ``None`` when no server answers."""
        state = self.read_state()
        if state and pid_alive(state.pid) and port_open(state.port):
            return state
        return None

    def launcher_pids(self) -> list[int]:
        """Processes serving this home, found even if the state file was lost or replaced."""
        marker = str(self.home / "data").encode()
        pids = []
        for proc in Path("/proc").glob("[0-9]*"):
            try:
                argv = (proc / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"Launcher" in argv and marker in argv:
                pids.append(int(proc.name))
        return pids

    # -- provisioning -----------------------------------------------------------------
    def jars(self, progress: Progress = print) -> Path:
        """The directory of Neo4j's jars, downloading them with Maven on first use."""
        lib = cache_root() / f"neo4j-{self.version}" / "lib"
        if (lib / ".complete").exists():
            return lib
        if shutil.which("mvn") is None:
            raise HubError(
                "Maven (mvn) is needed to download Neo4j's jars but was not found.",
                "Install it (Debian/Ubuntu: apt-get install maven) or set NEO4J_URI "
                "to use an existing Neo4j server.",
            )
        progress(f"Downloading Neo4j Community {self.version} from Maven Central "
                 f"(first start only, ~120 MB) into {lib.parent} …")
        staging = lib.parent / "lib.partial"
        shutil.rmtree(staging, ignore_errors=True)
        cmd = [
            "mvn", "-B", "-q", "-f", str(HERE / "pom.xml"),
            "dependency:copy-dependencies",
            f"-Dneo4j.version={self.version}",
            f"-DoutputDirectory={staging}",
            "-DincludeScope=runtime",
        ]
        result = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            tail = "\n".join((result.stdout + result.stderr).splitlines()[-15:])
            raise HubError(
                f"Maven could not fetch Neo4j {self.version}:\n{tail}",
                "Check network access to Maven Central, or set NEO4J_URI.",
            )
        shutil.rmtree(lib, ignore_errors=True)
        staging.rename(lib)
        (lib / ".complete").write_text("ok\n", encoding="utf-8")
        return lib

    def launcher_classes(self, lib: Path) -> Path:
        """Compile Launcher.java once per version and source hash (starts stay fast)."""
        source = HERE / "Launcher.java"
        digest = hashlib.sha256(source.read_bytes()).hexdigest()[:12]
        out = lib.parent / f"launcher-{digest}"
        if (out / "Launcher.class").exists():
            return out
        javac = shutil.which("javac")
        if javac is None:
            raise HubError(
                "A Java 17+ JDK (javac) is needed to run the local Neo4j but was not found.",
                "Install one (Debian/Ubuntu: apt-get install openjdk-17-jdk-headless) "
                "or set NEO4J_URI.",
            )
        tmp = out.with_suffix(".partial")
        shutil.rmtree(tmp, ignore_errors=True)
        result = subprocess.run(
            [javac, "-nowarn", "-cp", f"{lib}/*", "-d", str(tmp), str(source)],
            capture_output=True, text=True, check=False,
        )
        if result.returncode != 0:
            raise HubError(f"Compiling the Neo4j launcher failed:\n{result.stderr[-2000:]}")
        shutil.rmtree(out, ignore_errors=True)
        tmp.rename(out)
        return out

    def _config(self, port: int) -> str:
        s = self.settings
        return "\n".join([
            "dbms.security.auth_enabled=true",
            f"server.bolt.listen_address=127.0.0.1:{port}",
            f"server.bolt.advertised_address=127.0.0.1:{port}",
            f"server.memory.pagecache.size={s.neo4j_pagecache}",
            # Keep transaction logs small: this is a development/test server.
            "db.tx_log.rotation.retention_policy=2 files",
            "db.logs.query.enabled=OFF",
            "",
        ])

    def _password(self) -> str:
        if self.password_file.exists():
            return self.password_file.read_text(encoding="utf-8").strip()
        password = secrets.token_urlsafe(24)
        _write_private(self.password_file, password + "\n")
        return password

    # -- lifecycle --------------------------------------------------------------------
    def start(self, progress: Progress = print) -> ServerState:
        """Start the server (or reuse the running one) and wait until Bolt answers."""
        running = self.status()
        if running:
            return running
        stray = [pid for pid in self.launcher_pids() if pid_alive(pid)]
        if stray:
            raise HubError(
                f"Another Neo4j process (pid {', '.join(map(str, stray))}) is using "
                f"{self.home} but is not answering yet.",
                "Wait for it and retry, or stop it with `hub neo4j stop`.",
            )
        java = shutil.which("java")
        if java is None:
            raise HubError(
                "Java 17+ is needed to run the local Neo4j but `java` was not found.",
                "Install it (Debian/Ubuntu: apt-get install openjdk-17-jdk-headless) "
                "or set NEO4J_URI to use an existing server.",
            )
        lib = self.jars(progress)
        classes = self.launcher_classes(lib)
        self.home.mkdir(parents=True, exist_ok=True)
        os.chmod(self.home, 0o700)
        password = self._password()
        previous = self.read_state()
        port = self.settings.neo4j_port or (
            previous.port if previous and not port_open(previous.port) else free_port()
        )
        conf = self.home / "neo4j.conf"
        conf.write_text(self._config(port), encoding="utf-8")
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        heap = self.settings.neo4j_heap
        cmd = [
            java, f"-Xms{heap}", f"-Xmx{heap}", "-XX:+UseG1GC", "-XX:+ExitOnOutOfMemoryError",
            "-Dfile.encoding=UTF-8", "-cp", f"{classes}{os.pathsep}{lib}/*", "Launcher",
            str(self.home / "data"), str(conf), str(self.password_file),
        ]
        began = time.monotonic()
        offset = self.log_file.stat().st_size if self.log_file.exists() else 0
        with open(self.log_file, "ab") as log:
            proc = subprocess.Popen(
                cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True,  # survives the CLI; stopped by `hub neo4j stop`
            )
        _STARTED.append(proc)
        state = ServerState(pid=proc.pid, port=port, user="neo4j", password=password,
                            version=self.version, log=str(self.log_file))
        _write_private(self.state_file, json.dumps(asdict(state), indent=2))
        progress(f"Starting Neo4j {self.version} on bolt://127.0.0.1:{port} "
                 f"(heap {heap}, page cache {self.settings.neo4j_pagecache}); "
                 f"log: {self.log_file}")
        deadline = began + self.settings.neo4j_start_timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise HubError(
                    f"Neo4j exited during start-up (code {proc.returncode}). "
                    f"Last lines of {self.log_file}:\n{self._log_tail()}",
                    "Fix the cause above; `hub neo4j status` shows the state.",
                )
            if port_open(port) and self._ready_since(offset):
                progress(f"Neo4j is up after {time.monotonic() - began:.1f}s.")
                return state
            time.sleep(0.2)
        self._terminate(proc.pid)
        raise HubError(
            f"Neo4j did not answer on port {port} within "
            f"{self.settings.neo4j_start_timeout:.0f}s. Log:\n{self._log_tail()}",
            "Raise HUB_NEO4J_START_TIMEOUT on a slow machine.",
        )

    def stop(self, timeout: float = 60.0) -> bool:
        """Shut the server down cleanly; ``False`` if none was running."""
        state = self.read_state()
        pids = {pid for pid in self.launcher_pids() if pid_alive(pid)}
        if state and pid_alive(state.pid):
            pids.add(state.pid)
        for pid in pids:
            self._terminate(pid, timeout)
        return bool(pids)

    def _terminate(self, pid: int, timeout: float = 60.0) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and pid_alive(pid):
            time.sleep(0.1)
        if pid_alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    def _ready_since(self, offset: int) -> bool:
        with open(self.log_file, "rb") as log:
            log.seek(offset)
            return b"NEO4J_READY" in log.read()

    def _log_tail(self, lines: int = 20) -> str:
        try:
            text = self.log_file.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])
