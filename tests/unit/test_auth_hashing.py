from __future__ import annotations

from hub.auth.hashing import hash_secret, new_secret, verify_secret


def test_hash_and_verify() -> None:
    secret = new_secret()
    stored = hash_secret(secret)
    assert stored.startswith("scrypt$16384$8$1$") and secret not in stored
    assert verify_secret(secret, stored)
    assert not verify_secret(secret + "x", stored)
    assert hash_secret(secret) != stored, "every hash has its own salt"


def test_missing_or_malformed_hashes_never_verify() -> None:
    assert not verify_secret("x", None)
    assert not verify_secret("x", "")
    assert not verify_secret("x", "plain-text-secret")
    assert not verify_secret("x", "md5$1$2$3$4$5")
