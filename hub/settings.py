"""Typed settings read from the environment (12-factor): ``HUB_*`` and ``NEO4J_*``.

A missing or malformed value fails at start-up with the variable's name.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEV_PII_KEY = "development-only-pii-key"


class Neo4jSettings(BaseSettings):
    """Where the graph lives. When ``NEO4J_URI`` is unset the hub uses its own local server."""

    model_config = SettingsConfigDict(env_prefix="NEO4J_", extra="ignore")

    uri: str | None = None
    user: str = "neo4j"
    password: SecretStr | None = None
    database: str = "neo4j"


class Settings(BaseSettings):
    """The hub's settings; every field maps to ``HUB_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="HUB_", extra="ignore")

    env: Literal["production", "development"] = "development"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    migrate_on_start: bool = True
    # Local state: the provisioned Neo4j's data, logs and credentials (kept out of git).
    state_dir: Path = PROJECT_ROOT / ".hub"
    # Local Neo4j provisioning (ignored when NEO4J_URI is set).
    neo4j_version: str = "5.26.30"
    neo4j_heap: str = "4g"
    neo4j_pagecache: str = "4g"
    neo4j_port: int = Field(default=0, ge=0, le=65535)  # 0: pick a free port
    neo4j_start_timeout: float = 180.0
    # Seconds a readiness probe may wait on the database before answering 503.
    ready_timeout: float = 2.0
    schema_dir: Path = PROJECT_ROOT / "schema" / "neo4j"

    # Key for the keyed hashes of identity numbers and phones (PIPL: never stored raw).
    pii_key: SecretStr = SecretStr(DEV_PII_KEY)

    neo4j: Neo4jSettings = Field(default_factory=Neo4jSettings)

    @model_validator(mode="after")
    def _production_needs_real_secrets(self) -> Settings:
        if self.env == "production" and self.pii_key.get_secret_value() == DEV_PII_KEY:
            raise ValueError("HUB_PII_KEY must be set in production (a long random string)")
        return self

    @property
    def production(self) -> bool:
        return self.env == "production"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
