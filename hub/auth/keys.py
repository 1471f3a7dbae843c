"""The authorization server's signing keys: generation, rotation, JWKS (RFC 7517 §5).

Keys are JWK files (mode 0600) in ``HUB_KEY_DIR`` (default ``<state_dir>/keys``, mode 0700).
The newest key signs; older keys stay published in ``/.well-known/jwks.json`` — so tokens
they signed keep validating — until they are retired (``hub keys retire``). Every process
re-reads the directory when it changes, so ``hub keys rotate`` takes effect without a restart.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from joserfc.jwk import ECKey, Key, RSAKey

from hub.auth.errors import Conflict, InvalidInput, NotFound
from hub.errors import ConfigError
from hub.settings import Settings

log = logging.getLogger("hub.auth.keys")

#: Algorithms the hub signs with (asymmetric only).
SIGNING_ALGS = ("ES256", "RS256", "PS256")
_SUFFIX = ".jwk.json"
_RELOAD_AFTER_S = 30.0


def key_dir(settings: Settings) -> Path:
    return settings.key_dir or settings.state_dir / "keys"


@dataclass(frozen=True)
class SigningKey:
    kid: str
    alg: str
    created_at: datetime
    key: Key
    path: Path

    def public_jwk(self) -> dict[str, Any]:
        """The public half only, as published (RFC 7517 §4)."""
        jwk: dict[str, Any] = dict(self.key.as_dict(private=False))
        jwk.update({"kid": self.kid, "alg": self.alg, "use": "sig"})
        for private_member in ("d", "p", "q", "dp", "dq", "qi", "oth", "k"):
            jwk.pop(private_member, None)
        return jwk


def generate_key(alg: str, kid: str) -> Key:
    params: dict[str, Any] = {"kid": kid, "alg": alg, "use": "sig"}
    if alg == "ES256":
        return ECKey.generate_key("P-256", parameters=params)  # type: ignore[arg-type]
    if alg in ("RS256", "PS256"):
        return RSAKey.generate_key(3072, parameters=params)  # type: ignore[arg-type]
    raise InvalidInput(f"Cannot sign with {alg!r}.", f"Use one of {', '.join(SIGNING_ALGS)}.")


class KeyStore:
    """The key directory, re-read when it changes."""

    def __init__(self, directory: Path, alg: str = "ES256") -> None:
        if alg not in SIGNING_ALGS:
            raise ConfigError(f"HUB_KEY_ALG={alg!r} is not supported.",
                              f"Use one of {', '.join(SIGNING_ALGS)}.")
        self.directory = directory
        self.alg = alg
        self._lock = threading.Lock()
        self._keys: list[SigningKey] = []
        self._stamp: int | None = None
        self._loaded_at = 0.0

    @classmethod
    def from_settings(cls, settings: Settings) -> KeyStore:
        return cls(key_dir(settings), settings.key_alg)

    # -- reading -----------------------------------------------------------------------
    def published(self) -> list[SigningKey]:
        """All unretired keys, newest first."""
        with self._lock:
            stamp = self._dir_stamp()
            if stamp != self._stamp or time.monotonic() - self._loaded_at > _RELOAD_AFTER_S:
                self._keys = self._load()
                self._stamp = stamp
                self._loaded_at = time.monotonic()
            return list(self._keys)

    def get(self, kid: str) -> SigningKey | None:
        return next((k for k in self.published() if k.kid == kid), None)

    def current(self) -> SigningKey:
        """The key that signs new tokens; one is generated on first use."""
        keys = self.published()
        if keys:
            return keys[0]
        log.warning("no signing key found; generating one", extra={"dir": str(self.directory)})
        return self.rotate()

    def jwks(self) -> dict[str, list[dict[str, Any]]]:
        """The public JWK Set (RFC 7517 §5): public members only."""
        return {"keys": [k.public_jwk() for k in self.published()]}

    def _dir_stamp(self) -> int | None:
        try:
            return self.directory.stat().st_mtime_ns
        except FileNotFoundError:
            return None

    def _load(self) -> list[SigningKey]:
        if not self.directory.is_dir():
            return []
        found = []
        for path in self.directory.glob(f"*{_SUFFIX}"):
            if path.stat().st_mode & 0o077:
                raise ConfigError(f"Signing key {path} is readable by other users.",
                                  f"Run: chmod 600 {path}")
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                key = (ECKey if data["jwk"]["kty"] == "EC" else RSAKey).import_key(data["jwk"])
                found.append(SigningKey(kid=data["kid"], alg=data["alg"],
                                        created_at=datetime.fromisoformat(data["created_at"]),
                                        key=key, path=path))
            except (KeyError, ValueError, TypeError) as exc:
                raise ConfigError(f"Signing key {path} cannot be read ({type(exc).__name__}).",
                                  "Restore it from backup or retire it by deleting the file."
                                  ) from None
        found.sort(key=lambda k: (k.created_at, k.kid), reverse=True)
        return found

    # -- changing ------------------------------------------------------------------------
    def rotate(self, alg: str | None = None) -> SigningKey:
        """Generate a new key; from now on it signs. Older keys stay published."""
        alg = alg or self.alg
        now = datetime.now(UTC)
        kid = f"{now:%Y%m%dT%H%M%S}Z-{secrets.token_hex(4)}"
        key = generate_key(alg, kid)
        data = {"kid": kid, "alg": alg, "created_at": now.isoformat(),
                "jwk": key.as_dict(private=True)}
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(self.directory, 0o700)
        path = self.directory / f"{kid}{_SUFFIX}"
        tmp = self.directory / f".{kid}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh)
        os.replace(tmp, path)
        self._stamp = None  # force a re-read
        return SigningKey(kid, alg, now, key, path)

    def retire(self, kid: str) -> None:
        """Delete a key: tokens it signed stop validating. The signing key cannot go."""
        keys = self.published()
        target = next((k for k in keys if k.kid == kid), None)
        if target is None:
            raise NotFound(f"No signing key {kid!r}.", "List them with `hub keys list`.")
        if target is keys[0]:
            raise Conflict(f"Key {kid} is the current signing key.",
                           "Run `hub keys rotate` first, then retire it after the token TTL.")
        target.path.unlink()
        self._stamp = None

    def superseded(self, grace: timedelta) -> list[SigningKey]:
        """Keys replaced by a newer one more than ``grace`` ago (safe to retire)."""
        keys = self.published()
        now = datetime.now(UTC)
        return [old for newer, old in itertools.pairwise(keys)
                if now - newer.created_at > grace]
