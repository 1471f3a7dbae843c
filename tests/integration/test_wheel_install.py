"""The built wheel, installed (not editable) into a fresh virtual environment outside the
checkout, migrates and serves from another directory: rules and migrations come from the
package, state goes to the user's data directory, nothing is read from the checkout.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from hub.graph.driver import Connection
from hub.settings import PROJECT_ROOT
from tests.conftest import free_port, wait_ready


def run(cmd: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False,
                          **kwargs)  # type: ignore[call-overload]
    assert done.returncode == 0, f"{cmd[:3]} failed:\n{done.stdout}\n{done.stderr}"
    return done  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """``bin/`` of a fresh venv holding the locked runtime packages and the built wheel."""
    root = tmp_path_factory.mktemp("wheel")
    run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--disable-pip-version-check",
         "-w", str(root / "dist"), str(PROJECT_ROOT)])
    wheels = list((root / "dist").glob("credit_hub-*.whl"))
    assert len(wheels) == 1, wheels
    run([sys.executable, "-m", "venv", str(root / "venv")])
    pip = [str(root / "venv" / "bin" / "pip"), "install", "-q", "--disable-pip-version-check"]
    run([*pip, "--require-hashes", "-r", str(PROJECT_ROOT / "requirements" / "runtime.lock")])
    run([*pip, "--no-deps", str(wheels[0])])
    yield root / "venv" / "bin"


def test_installed_wheel_migrates_and_serves(installed: Path, neo4j_conn: Connection,
                                             tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("NEO4J_", "HUB_", "PYTHON", "VIRTUAL_ENV", "XDG_"))}
    env.update({"HOME": str(home), "NEO4J_URI": neo4j_conn.uri, "NEO4J_USER": neo4j_conn.user,
                "NEO4J_PASSWORD": neo4j_conn.password, "HUB_PII_KEY": "wheel-test-pii-key"})
    hub = str(installed / "hub")

    # The package holds its rules and migrations (resolved inside site-packages).
    where = run([str(installed / "python"), "-c",
                 "from hub.settings import Settings; s = Settings(); "
                 "print(s.policies_dir); print(s.schema_dir); print(s.state_dir)"],
                cwd=elsewhere, env=env).stdout.split()
    policies, migrations_dir, state = (Path(p) for p in where)
    assert "site-packages" in str(policies) and (policies / "access.yaml").is_file()
    assert "site-packages" in str(migrations_dir)
    assert sorted(p.name for p in migrations_dir.glob("*.cypher")) == sorted(
        p.name for p in (PROJECT_ROOT / "schema" / "neo4j").glob("*.cypher"))
    assert state == home / ".local" / "share" / "credit-hub"  # never beside the code

    migrated = run([hub, "migrate"], cwd=elsewhere, env=env)
    assert "schema is up to date" in migrated.stderr + migrated.stdout

    port = free_port()
    log = (tmp_path / "serve.log").open("w")
    server = subprocess.Popen([hub, "serve", "--port", str(port)], cwd=elsewhere, env=env,
                              stdout=log, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_ready(base, server, tmp_path / "serve.log")
        answer = httpx.post(f"{base}/graphql", json={"query": "{ version }"}, timeout=10)
        assert answer.status_code == 200 and answer.json()["data"]["version"]
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
