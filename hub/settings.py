"""Typed settings read from the environment (12-factor): ``HUB_*`` and ``NEO4J_*``.

A missing or malformed value fails at start-up with the variable's name.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from hub.resources import default_state_dir, packaged

# The checkout's root (tests and benchmarks only: an installed hub reads hub.resources).
PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEV_PII_KEY = "development-only-pii-key"


class Neo4jSettings(BaseSettings):
    """Where the graph lives. When ``NEO4J_URI`` is unset the hub uses its own local server."""

    model_config = SettingsConfigDict(env_prefix="NEO4J_", extra="ignore")

    uri: str | None = None
    user: str = "neo4j"
    password: SecretStr | None = None
    database: str = "neo4j"


class ExternalIssuer(BaseModel):
    """A trusted external identity provider (e.g. Keycloak) whose access tokens the hub accepts.

    ``party_claim`` names the token claim holding the hub's Party id; it must be a known party.
    """

    issuer: str
    jwks_url: str
    audience: str
    party_claim: str = "party"


class Settings(BaseSettings):
    """The hub's settings; every field maps to ``HUB_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="HUB_", extra="ignore")

    env: Literal["production", "development"] = "development"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    migrate_on_start: bool = True
    # Local state: the provisioned Neo4j's data, logs and credentials (kept out of git):
    # ./.hub in a source checkout, else the user's data directory (hub.resources).
    state_dir: Path = Field(default_factory=default_state_dir)
    # Local Neo4j provisioning (ignored when NEO4J_URI is set).
    neo4j_version: str = "5.26.30"
    neo4j_heap: str = "4g"
    neo4j_pagecache: str = "4g"
    neo4j_port: int = Field(default=0, ge=0, le=65535)  # 0: pick a free port
    neo4j_start_timeout: float = 180.0
    # Seconds a readiness probe may wait on the database before answering 503.
    ready_timeout: float = 2.0
    schema_dir: Path = packaged("migrations")  # the Cypher migrations, shipped in the package

    # GraphQL protective limits (per request) and per-party rate limits (per worker).
    max_query_depth: int = Field(default=10, ge=2, le=50)
    max_aliases: int = Field(default=30, ge=1, le=1000)
    max_tokens: int = Field(default=2000, ge=100, le=100_000)
    max_page_size: int = Field(default=100, ge=1, le=1000)
    max_cost: int = Field(default=50_000, ge=100)  # static cost estimate per request
    # Bodies above this are refused (413) before authentication and before buffering.
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    # Seconds a client may take to send a request's head or body (then 408 / closed);
    # idle keep-alive connections close after keep_alive_timeout.
    client_timeout: float = Field(default=10.0, gt=0, le=300)
    keep_alive_timeout: int = Field(default=5, ge=1, le=300)
    # Seconds a request may wait on the database before answering 503 (hub.graph.breaker).
    db_timeout: float = Field(default=2.0, gt=0, le=120)
    rate_limit_per_second: float = Field(default=500.0, ge=0)  # 0 disables
    rate_limit_burst: float = Field(default=1000.0, ge=1)
    # Redis shared by every worker and replica for rate limits and data budgets; unset:
    # this process's own (one process only).
    redis_url: str | None = None
    # The rules files (access, credit, triggers, reminders), shipped in the package.
    policies_dir: Path = packaged("policies")
    policy_file: Path | None = None  # default <policies_dir>/access.yaml
    # Persisted documents (hub.api.persisted): a JSON manifest "sha256:<hex>" → document.
    persisted_queries: Path | None = None
    # Key for the keyed hashes of identity numbers and phones (PIPL: never stored raw).
    pii_key: SecretStr = SecretStr(DEV_PII_KEY)

    neo4j: Neo4jSettings = Field(default_factory=Neo4jSettings)

    # The access log (hub.audit). Directory default: <state_dir>/audit.
    audit_enabled: bool = True  # false only to measure the log's cost in a benchmark
    audit_dir: Path | None = None
    # Seconds a group commit waits for more appends (0: take what is queued, no delay).
    audit_group_window: float = Field(default=0.0, ge=0.0, le=1.0)
    audit_max_group: int = Field(default=1024, ge=1)  # records per write + fsync at most
    audit_log_id: str | None = None  # this replica's log, in its Neo4j anchor (default: host)

    # --- OAuth 2.0 (hub.auth) ---
    # The authorization server's issuer identifier (RFC 8414): its public base URL.
    issuer: str = "http://127.0.0.1:8000"
    # The ``aud`` every access token for this API carries.
    audience: str = "credit-hub"
    token_ttl: int = Field(default=600, ge=30, le=3600)  # access token lifetime, seconds
    token_leeway: int = Field(default=30, ge=0, le=300)  # clock skew allowed on nbf/iat/exp
    max_token_bytes: int = Field(default=8192, ge=1024)  # longer tokens refused unparsed
    key_dir: Path | None = None  # signing keys; default <state_dir>/keys
    key_alg: Literal["ES256", "RS256", "PS256"] = "ES256"
    # JSON list of {issuer, jwks_url, audience, party_claim}, e.g. a Keycloak realm.
    external_issuers: list[ExternalIssuer] = Field(default_factory=list)
    jwks_cache_ttl: float = Field(default=300.0, ge=0)  # external JWKS cache, seconds
    # Seconds between re-reads of the revoked-token list (0: look up on every request).
    revocation_refresh: float = Field(default=1.0, ge=0, le=5.0)
    auth_cache_ttl: float = Field(default=5.0, ge=0, le=5.0)  # party/agreement status cache
    assertion_max_lifetime: int = Field(default=300, ge=10, le=3600)  # private_key_jwt exp
    agreement_timezone: str = "Asia/Shanghai"  # agreements' dates are days in this zone
    # /oauth/token and /oauth/revoke throttle (hub.auth.throttle): attempts per minute and
    # burst per claimed client id and per source address, per worker; a rate of 0 turns
    # that limit off.
    token_rate_per_minute: float = Field(default=30.0, ge=0)
    token_burst: int = Field(default=10, ge=1)
    token_address_rate_per_minute: float = Field(default=300.0, ge=0)
    token_address_burst: int = Field(default=100, ge=1)
    token_throttle_size: int = Field(default=10_000, ge=1)  # buckets kept per kind (LRU)
    # Proxies whose X-Forwarded-For is believed (JSON list of IPs or CIDRs); else the peer.
    trusted_proxies: list[str] = Field(default_factory=list)

    # --- Alert delivery (hub.api.subscriptions, hub.delivery) ---
    notify_poll_seconds: float = Field(default=1.0, gt=0, le=60)  # outbox poll, subscriptions
    # A claimed notification is someone else's to deliver for this long (then re-claimable).
    notify_lease_seconds: float = Field(default=60.0, ge=1, le=3600)
    webhooks_enabled: bool = False  # run the webhook delivery worker inside the app
    # --- Scheduled supervision work (hub.scheduler), once across all processes ---
    scheduler_enabled: bool = True  # false: run it apart with `hub worker`
    scheduler_poll_seconds: float = Field(default=5.0, gt=0, le=300)
    escalation_every: float = Field(default=300.0, ge=1)  # seconds between escalation runs
    webhook_poll_seconds: float = Field(default=1.0, gt=0, le=300)
    webhook_timeout: float = Field(default=10.0, gt=0, le=120)  # per POST, seconds
    webhook_max_attempts: int = Field(default=8, ge=1, le=50)  # then the notification fails
    webhook_backoff_base: float = Field(default=5.0, gt=0)  # delay = base * 2**(attempt-1)
    webhook_backoff_max: float = Field(default=3600.0, gt=0)  # cap on one delay, seconds
    webhook_concurrency: int = Field(default=8, ge=1, le=256)  # parties delivered at once
    # Hosts a webhook may target although they resolve to loopback/private/link-local...
    # addresses, and may use plain http in production (JSON list of names, e.g. a sidecar).
    webhook_allow_hosts: list[str] = Field(default_factory=list)

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, values: list[str]) -> list[str]:
        from hub.auth.throttle import parse_networks

        parse_networks(values)  # a ValueError names the bad entry
        return values

    @model_validator(mode="after")
    def _production_needs_real_secrets(self) -> Settings:
        if self.env == "production" and self.pii_key.get_secret_value() == DEV_PII_KEY:
            raise ValueError("HUB_PII_KEY must be set in production (a long random string)")
        return self

    @property
    def access_policy(self) -> Path:
        """The access policy file (``HUB_POLICY_FILE`` or ``<policies_dir>/access.yaml``)."""
        return self.policy_file or self.policies_dir / "access.yaml"

    @property
    def production(self) -> bool:
        return self.env == "production"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
