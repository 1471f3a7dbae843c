"""``hub party|agreement|client|keys`` through the real command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import neo4j
from joserfc.jwk import ECKey

from hub.graph.driver import Connection


def hub(*args: str, conn: Connection, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEO4J_", "HUB_"))}
    env.update({"NEO4J_URI": conn.uri, "NEO4J_USER": conn.user,
                "NEO4J_PASSWORD": conn.password, "HUB_STATE_DIR": str(tmp_path),
                "HUB_KEY_DIR": str(tmp_path / "keys")})
    return subprocess.run([sys.executable, "-m", "hub.cli", *args], env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def test_party_agreement_client_commands(graph: neo4j.Driver, neo4j_conn: Connection,
                                         tmp_path: Path) -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return hub(*args, conn=neo4j_conn, tmp_path=tmp_path)

    added = run("party", "add", "--id", "jj-amr", "--type", "regulator",
                "--name", "锦江区市场监管局", "--jurisdiction", "510104")
    assert added.returncode == 0, added.stderr
    plat = run("party", "add", "--id", "plat-a", "--type", "platform", "--name", "Live",
               "--platform-id", "P1")
    assert plat.returncode == 0 and "agreement" in plat.stderr
    assert run("agreement", "add", "--party", "plat-a", "--from", "2025-01-01",
               "--to", "2030-12-31", "--id", "agr-1").stdout.strip() == "agr-1"
    agreements = run("agreement", "list")
    assert "agr-1\tplat-a\t2025-01-01\t2030-12-31\tin force" in agreements.stdout

    created = run("client", "create", "--party", "plat-a", "--scope", "compliance:read")
    assert created.returncode == 0, created.stderr
    lines = dict(line.split(": ", 1) for line in created.stdout.strip().splitlines())
    client_id, secret = lines["client_id"], lines["client_secret"]
    assert "only this once" in created.stderr
    stored, _, _ = graph.execute_query("MATCH (c:Client {client_id: $id}) RETURN properties(c) "
                                       "AS p", id=client_id)
    props = stored[0]["p"]
    assert props["secret_hash"].startswith("scrypt$") and secret not in json.dumps(props,
                                                                                   default=str)
    listed = run("client", "list")
    assert client_id in listed.stdout and secret not in listed.stdout + listed.stderr

    key = ECKey.generate_key("P-256", parameters={"kid": "k1"})
    jwks_file = tmp_path / "client-jwks.json"
    jwks_file.write_text(json.dumps({"keys": [key.as_dict(private=False)]}))
    jwt_client = run("client", "create", "--party", "jj-amr", "--jwks", str(jwks_file))
    assert jwt_client.returncode == 0 and "client_secret" not in jwt_client.stdout
    assert "private_key_jwt" in jwt_client.stderr

    parties = run("party", "list").stdout
    assert "jj-amr\tregulator\tactive\t510104" in parties
    assert run("party", "disable", "plat-a").returncode == 0
    assert "plat-a\tplatform\tdisabled" in run("party", "list").stdout


def test_cli_errors_are_friendly(graph: neo4j.Driver, neo4j_conn: Connection,
                                 tmp_path: Path) -> None:
    bad = hub("party", "add", "--id", "x", "--type", "bank", "--name", "X",
              conn=neo4j_conn, tmp_path=tmp_path)
    assert bad.returncode == 1 and "Unknown party type" in bad.stderr
    assert "hint:" in bad.stderr and "Traceback" not in bad.stderr
    missing = hub("client", "create", "--party", "nobody", conn=neo4j_conn, tmp_path=tmp_path)
    assert missing.returncode == 1 and "No party" in missing.stderr
    assert "Traceback" not in missing.stderr
    date = hub("agreement", "add", "--party", "x", "--from", "soon", "--to", "2030-01-01",
               conn=neo4j_conn, tmp_path=tmp_path)
    assert date.returncode == 1 and "YYYY-MM-DD" in date.stderr


def test_keys_commands(neo4j_conn: Connection, tmp_path: Path) -> None:
    first = hub("keys", "rotate", conn=neo4j_conn, tmp_path=tmp_path).stdout.strip()
    second = hub("keys", "rotate", "--alg", "RS256", conn=neo4j_conn,
                 tmp_path=tmp_path).stdout.strip()
    listed = hub("keys", "list", conn=neo4j_conn, tmp_path=tmp_path).stdout.splitlines()
    assert listed[0].startswith(second) and listed[0].endswith("signing")
    assert listed[1].startswith(first) and listed[1].endswith("published")
    refused = hub("keys", "retire", second, conn=neo4j_conn, tmp_path=tmp_path)
    assert refused.returncode == 1 and "current signing key" in refused.stderr
    nothing = hub("keys", "retire", conn=neo4j_conn, tmp_path=tmp_path)
    assert "nothing to retire" in nothing.stderr  # the old key may still sign live tokens
    assert hub("keys", "retire", first, conn=neo4j_conn, tmp_path=tmp_path).returncode == 0
    assert len(hub("keys", "list", conn=neo4j_conn, tmp_path=tmp_path).stdout.splitlines()) == 1
    for path in (tmp_path / "keys").iterdir():
        assert path.stat().st_mode & 0o077 == 0
