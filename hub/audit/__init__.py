"""The access log: every record a party received, hash-chained and durable.

The GraphQL layer opens one ``AuditLog`` per process and awaits ``append`` before a
response leaves; ``verify`` and the ``hub audit`` commands read it back.
"""

from __future__ import annotations

from hub.audit.log import AuditLog, audit_dir
from hub.audit.record import (
    GENESIS,
    AuditCorrupt,
    AuditEntry,
    AuditError,
    AuditRecord,
    AuditUnavailable,
    Outcome,
    query_hash,
)
from hub.audit.verify import VerifyReport, verify

__all__ = [
    "GENESIS",
    "AuditCorrupt",
    "AuditEntry",
    "AuditError",
    "AuditLog",
    "AuditRecord",
    "AuditUnavailable",
    "Outcome",
    "VerifyReport",
    "audit_dir",
    "query_hash",
    "verify",
]
