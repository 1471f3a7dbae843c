from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest

from hub.auth.errors import Conflict, NotFound
from hub.auth.keys import KeyStore
from hub.errors import ConfigError


def test_rotation_publishes_old_keys_until_retired(tmp_path: Path) -> None:
    store = KeyStore(tmp_path / "keys")
    first = store.current()
    assert first.alg == "ES256" and store.current().kid == first.kid
    second = store.rotate()
    assert store.current().kid == second.kid
    assert [k["kid"] for k in store.jwks()["keys"]] == [second.kid, first.kid]
    # another process (a fresh store) sees the same keys
    fresh = KeyStore(tmp_path / "keys").published()
    assert [k.kid for k in fresh] == [second.kid, first.kid]
    assert store.superseded(timedelta(hours=1)) == []
    assert [k.kid for k in store.superseded(timedelta(seconds=-1))] == [first.kid]
    with pytest.raises(Conflict):
        store.retire(second.kid)
    with pytest.raises(NotFound):
        store.retire("nope")
    store.retire(first.kid)
    assert [k["kid"] for k in store.jwks()["keys"]] == [second.kid]


def test_files_are_private_and_jwks_public(tmp_path: Path) -> None:
    store = KeyStore(tmp_path / "keys", "RS256")
    key = store.current()
    assert key.path.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "keys").stat().st_mode & 0o777 == 0o700
    assert '"d"' in key.path.read_text()
    for jwk in store.jwks()["keys"]:
        assert not {"d", "p", "q", "dp", "dq", "qi"} & set(jwk)
        assert jwk["kty"] == "RSA" and jwk["alg"] == "RS256" and jwk["use"] == "sig"
    os.chmod(key.path, 0o644)
    with pytest.raises(ConfigError, match="readable by other users"):
        KeyStore(tmp_path / "keys").published()


def test_unsupported_algorithm(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        KeyStore(tmp_path, "HS256")
