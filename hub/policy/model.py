"""The shape of ``policies/access.yaml`` (validated with pydantic at start-up)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

PartyType = Literal["regulator", "platform", "association", "public"]
Scope = Literal["jurisdiction", "platform_merchants", "association_members", "all", "none"]
OutsideScope = Literal["none", "status", "public"]
Mask = Literal["clear", "masked", "hidden"]

#: Every root field's operation is the field's own name (hub.policy.operations).
OPERATIONS = frozenset({
    "complianceStatus", "subject", "subjects", "relatedEntities", "creditEvaluations",
    "alerts", "me", "inspectionPlan", "reportComplaint", "recordCase", "recordPlatformAction",
    "submitCreditEvaluation", "upsertStores", "upsertProducts", "advanceAlert",
    "sandboxStats", "reminders", "recordRectification", "setClock", "enrolments",
    "alertNotifications",
})
SECTIONS = frozenset({
    "registration", "credit", "people", "stores", "products", "licences", "annual_reports",
    "registration_changes", "complaints", "cases", "inspections", "evaluations", "alerts",
    "enrolments", "provenance",
})
#: Every node or relationship kind the API returns (each needs a ``kinds`` entry).
KINDS = ("Subject", "Credit", "Role", "Person", "ContactLink", "Store", "Product", "Licence",
         "AnnualReport", "RegistrationChange", "Complaint", "Case", "Inspection",
         "CreditEvaluation", "Alert", "AlertStep", "Provenance", "Revision", "Enrolment",
         "RelatedSubject", "Reminder", "SandboxStats", "InspectionPlan", "Caller")
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


class Enrolment(Strict):
    """A platform's first store for a subject is an enrolment 入驻 (recorded, shown to the
    subject's regulators); more than ``daily_threshold`` in a day is an anomaly."""

    closed_store_grace_days: int = Field(default=30, ge=0, le=3650)
    daily_threshold: int = Field(default=200, ge=1)


#: Row rules a kind may use per party type (Cypher in hub.policy.visibility.ROW_RULES).
RowRule = Literal["all", "none", "own_platform", "listed_in_own_store", "via_own_platform",
                  "issued_or_shared", "shared_with_party", "shared_in_scope", "notified",
                  "in_scope"]


def _all_rows() -> dict[str, RowRule]:
    return {"default": "all"}


class FieldRule(Strict):
    """A field outside the plain allow-list: masked (``mask`` names the policy mask that
    applies) or ``derived`` (computed, or rendered per reader by the rule in ``note``)."""

    mask: Literal["person_name", "id_number", "phone", "individual_name"] | None = None
    derived: bool = False
    note: str = ""


class KindPolicy(Strict):
    """One node or relationship kind the API returns: the section that carries it, the
    row rule per party type (``default`` for the others), the GraphQL types it is shown
    as with their allowed fields (everything else is never sent) and the special ones."""

    section: str | None = None        # None: shown with whatever carries it
    rows: dict[str, RowRule] = Field(default_factory=_all_rows)
    types: dict[str, list[str]]
    special: dict[str, FieldRule] = Field(default_factory=dict)  # "Type.field" → rule
    details: list[str] | None = None  # Fact.details: the stored properties allowed
    note: str = ""

    @model_validator(mode="after")
    def _known(self) -> KindPolicy:
        if self.section is not None and self.section not in SECTIONS:
            raise ValueError(f"unknown section {self.section!r}; known: {sorted(SECTIONS)}")
        unknown = set(self.rows) - {"default", "regulator", "platform", "association",
                                     "public"}
        if unknown or "default" not in self.rows:
            raise ValueError("rows: party types (and a 'default') only, "
                             f"got {sorted(self.rows)}")
        for name in self.special:
            owner, _, field = name.partition(".")
            if owner not in self.types or not field:
                raise ValueError(f"special {name!r}: not 'Type.field' of this kind's types")
            if field in self.types[owner]:
                raise ValueError(f"{name} is both allowed and special")
        return self


class AccessPolicy(Strict):
    version: int
    purposes: dict[str, str]
    party_types: dict[PartyType, PartyPolicy]
    enrolment: Enrolment = Enrolment()
    kinds: dict[str, KindPolicy] = Field(default_factory=dict)
    # GraphQL types that carry no data of their own (paging, counts, write receipts);
    # their counts follow the rows of the kind they wrap.
    structural_types: dict[str, str] = Field(default_factory=dict)
    overrides: dict[str, dict[str, object]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _purposes_declared(self) -> AccessPolicy:
        for name, policy in self.party_types.items():
            unknown = set(policy.purposes) - set(self.purposes)
            if unknown:
                raise ValueError(f"party type {name}: undeclared purposes {sorted(unknown)}")
        for kind in self.kinds.values():
            for owner in kind.types:
                if owner in self.structural_types:
                    raise ValueError(f"type {owner} is both structural and of a kind")
        missing = set(KINDS) - set(self.kinds)
        extra = set(self.kinds) - set(KINDS)
        if missing or extra:
            raise ValueError(f"kinds: missing {sorted(missing)}, unknown {sorted(extra)}")
        return self
