"""The shape of ``policies/access.yaml`` (validated with pydantic at start-up)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

PartyType = Literal["regulator", "platform", "association", "public"]
Scope = Literal["jurisdiction", "platform_merchants", "association_members", "all", "none"]
OutsideScope = Literal["none", "status", "public"]
Mask = Literal["clear", "masked", "hidden"]

OPERATIONS = frozenset({
    "complianceStatus", "subject", "subjects", "relatedEntities", "creditEvaluations",
    "alerts", "me", "inspectionPlan", "reportComplaint", "recordCase", "recordPlatformAction",
    "submitCreditEvaluation", "upsertStores", "upsertProducts", "advanceAlert",
})
SECTIONS = frozenset({
    "registration", "credit", "people", "stores", "products", "licences", "annual_reports",
    "registration_changes", "complaints", "cases", "inspections", "evaluations", "alerts",
    "provenance",
})
# Complaint channels 投诉渠道 (connectors/complaints.CHANNELS): who may report through which.
CHANNELS = frozenset({"12315", "platform", "opinion"})
RELATIONS = frozenset({
    "LEGAL_REPRESENTATIVE", "SHAREHOLDER", "EXECUTIVE", "BRANCH", "SHARED_ADDRESS",
    "SHARED_PHONE", "SAME_PERSON_STORES",
})


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Masks(Strict):
    person_name: Mask = "hidden"
    id_number: Mask = "hidden"
    phone: Mask = "hidden"


class Traversal(Strict):
    max_depth: int = Field(default=0, ge=0, le=6)
    relations: list[str] = Field(default_factory=list)
    max_fanout: int = Field(default=0, ge=0, le=10_000)

    @model_validator(mode="after")
    def _known_relations(self) -> Traversal:
        unknown = set(self.relations) - RELATIONS
        if unknown:
            raise ValueError(f"unknown relations {sorted(unknown)}; known: {sorted(RELATIONS)}")
        return self


class Budget(Strict):
    records_per_day: int = Field(ge=0)


class PartyPolicy(Strict):
    operations: list[str]
    purposes: list[str]
    scope: Scope = "none"
    outside_scope: OutsideScope = "none"
    sections: list[str] = Field(default_factory=list)
    masks: Masks = Masks()
    traversal: Traversal = Traversal()
    budget: Budget = Budget(records_per_day=0)
    # Only documents of the persisted-documents manifest (hub.api.persisted) may run.
    persisted_only: bool = False
    # Complaint channels the party may report through (reportComplaint); none: no channel.
    channels: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _known_names(self) -> PartyPolicy:
        unknown_ops = set(self.operations) - OPERATIONS
        if unknown_ops:
            raise ValueError(f"unknown operations {sorted(unknown_ops)}")
        unknown_sections = set(self.sections) - SECTIONS
        if unknown_sections:
            raise ValueError(f"unknown sections {sorted(unknown_sections)}; "
                             f"known: {sorted(SECTIONS)}")
        unknown_channels = set(self.channels) - CHANNELS
        if unknown_channels:
            raise ValueError(f"unknown channels {sorted(unknown_channels)}; "
                             f"known: {sorted(CHANNELS)}")
        return self


class AccessPolicy(Strict):
    version: int
    purposes: dict[str, str]
    party_types: dict[PartyType, PartyPolicy]
    overrides: dict[str, dict[str, object]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _purposes_declared(self) -> AccessPolicy:
        for name, policy in self.party_types.items():
            unknown = set(policy.purposes) - set(self.purposes)
            if unknown:
                raise ValueError(f"party type {name}: undeclared purposes {sorted(unknown)}")
        return self
