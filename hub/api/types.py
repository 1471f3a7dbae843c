"""GraphQL types: plain strawberry types with plain fields (no per-field async work)."""

from __future__ import annotations

import base64
from enum import Enum
from typing import Any

import orjson
import strawberry
from strawberry.scalars import JSON

from hub.api.errors import BadUserInput


@strawberry.enum(description="Why the caller wants the data (declared on every request).")
class Purpose(Enum):
    ONBOARDING_CHECK = "onboarding_check"
    PERIODIC_SWEEP = "periodic_sweep"
    COMPLAINT_HANDLING = "complaint_handling"
    SUPERVISION = "supervision"
    ENFORCEMENT = "enforcement"
    CREDIT_EVALUATION = "credit_evaluation"
    PUBLIC_DISCLOSURE = "public_disclosure"


@strawberry.enum
class RiskClass(Enum):
    A = "A"
    B = "B"
    C = "C"
    D = "D"


@strawberry.enum
class PlatformAction(Enum):
    NONE = "none"
    WARN = "warn"
    SUSPEND = "suspend"
    STOP = "stop"


@strawberry.enum
class LicenceDisplay(Enum):
    ALL_DISPLAYED = "all_displayed"
    SOME_MISSING = "some_missing"
    NO_STORES = "no_stores"


@strawberry.enum(description="Ways two subjects are related.")
class Relation(Enum):
    LEGAL_REPRESENTATIVE = "LEGAL_REPRESENTATIVE"
    SHAREHOLDER = "SHAREHOLDER"
    EXECUTIVE = "EXECUTIVE"
    BRANCH = "BRANCH"
    SHARED_ADDRESS = "SHARED_ADDRESS"
    SHARED_PHONE = "SHARED_PHONE"
    SAME_PERSON_STORES = "SAME_PERSON_STORES"


@strawberry.type(description="Who supplied a fact and when (the statement model).")
class Provenance:
    party: str | None
    record: str | None
    stated_at: str | None
    received_at: str | None
    first_seen: str | None
    last_seen: str | None

    @classmethod
    def of(cls, data: dict[str, Any] | None) -> Provenance | None:
        if not data:
            return None
        return cls(party=data.get("src_party"), record=data.get("src_record"),
                   stated_at=data.get("stated_at"), received_at=data.get("received_at"),
                   first_seen=data.get("first_seen"), last_seen=data.get("last_seen"))


@strawberry.type(description="A platform's hot path: one subject's compliance status.")
class ComplianceStatus:
    uscc: str
    known: bool
    reason: str | None
    name: str | None
    registration_status: str | None
    risk_class: RiskClass | None
    colour: str | None
    in_sandbox: bool | None
    open_alerts: int | None
    nearest_deadline: str | None
    licence_display: LicenceDisplay | None
    recommended_action: PlatformAction | None
    last_changed: str | None


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


def encode_cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(values)).decode()


def decode_cursor(cursor: str | None) -> list[Any] | None:
    if cursor is None:
        return None
    try:
        values = orjson.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, orjson.JSONDecodeError):
        raise BadUserInput("the cursor is not one this API issued",
                           "Pass endCursor from the previous page.") from None
    if not isinstance(values, list):
        raise BadUserInput("the cursor is not one this API issued")
    return values


@strawberry.type
class Credit:
    risk_class: RiskClass | None
    score: float | None
    colour: str | None
    version: str | None
    scored_at: str | None
    in_sandbox: bool | None
    explanation: JSON | None


@strawberry.type
class SubjectSummary:
    uscc: str
    name: str | None
    kind: str | None
    division: str | None
    status: str | None
    registered_on: str | None
    risk_class: RiskClass | None
    score: float | None
    in_sandbox: bool | None


@strawberry.type
class SubjectEdge:
    cursor: str
    node: SubjectSummary


@strawberry.type
class SubjectConnection:
    edges: list[SubjectEdge]
    page_info: PageInfo
    total_count: int | None


@strawberry.type
class Evaluation:
    id: str
    uscc: str
    issuer: str | None
    grade: str | None
    score: float | None
    issued_on: str | None
    valid_to: str | None
    shared_with: list[str] | None
    provenance: Provenance | None


@strawberry.type
class EvaluationEdge:
    cursor: str
    node: Evaluation


@strawberry.type
class EvaluationConnection:
    edges: list[EvaluationEdge]
    page_info: PageInfo
    total_count: int | None


@strawberry.type
class Alert:
    id: str
    uscc: str
    rule: str | None
    severity: str | None
    status: str | None
    created_at: str | None
    deadline: str | None
    recommended_action: PlatformAction | None
    evidence: JSON | None


@strawberry.type
class AlertEdge:
    cursor: str
    node: Alert


@strawberry.type
class AlertConnection:
    edges: list[AlertEdge]
    page_info: PageInfo
    total_count: int | None


@strawberry.type
class Me:
    party: str
    party_type: str
    client_id: str
    scopes: list[str]
    purposes: list[Purpose]
    operations: list[str]
    remaining_budget: int
