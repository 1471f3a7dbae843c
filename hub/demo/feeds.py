"""The feed layout of schema/feeds.md, as data: which fields each record type carries.

The writers need the union of fields per file (the CSV header is fixed before the first
row is streamed) and the dirt injector needs to know which fields are required, which
are dates and which are codes, so that every injected defect is of exactly one kind.
"""

from __future__ import annotations

from typing import Final

COMMON: Final = ("record_type", "record_id", "stated_at")

# source -> record_type -> fields (in schema order, common fields excluded)
FIELDS: Final[dict[str, dict[str, tuple[str, ...]]]] = {
    "registry": {
        "subject": ("uscc", "name", "kind", "registered_on", "status", "address", "phone",
                    "industry"),
        "role": ("uscc", "role", "person_id", "person_name", "person_phone", "holder_uscc",
                 "share", "title", "start_on", "end_on"),
        "branch": ("uscc", "parent_uscc", "start_on", "end_on"),
        "registration_change": ("uscc", "change_id", "changed_on", "item", "before", "after",
                                "published", "published_on"),
        "annual_report": ("uscc", "year", "filed_on", "due_on"),
        "licence": ("uscc", "licence_no", "licence_type", "valid_from", "valid_to"),
    },
    "platform": {
        "platform": ("platform_id", "name", "uscc"),
        "store": ("platform_id", "shop_id", "uscc", "name", "licence_displayed", "opened_on",
                  "closed_on"),
        "product": ("platform_id", "shop_id", "product_id", "title", "category", "price",
                    "listed_on", "delisted_on"),
    },
    "complaints": {
        "complaint": ("complaint_id", "uscc", "channel", "received_on", "category",
                      "platform_id", "status", "resolved_on", "summary"),
    },
    "enforcement": {
        "case": ("case_id", "uscc", "opened_on", "authority", "outcome", "decided_on", "fine",
                 "legal_basis", "summary"),
        "inspection": ("inspection_id", "uscc", "inspected_on", "authority", "result", "kind",
                       "inspector_ids"),
    },
    "association": {
        "association": ("association_id", "name", "uscc"),
        "membership": ("association_id", "uscc", "joined_on", "left_on"),
        "evaluation": ("evaluation_id", "association_id", "uscc", "grade", "score",
                       "issued_on", "valid_to", "shared_with"),
    },
}

SOURCES: Final = tuple(FIELDS)

# Required fields besides the common ones (a role's holder is checked separately: either
# person_id + person_name or holder_uscc).
REQUIRED: Final[dict[str, tuple[str, ...]]] = {
    "subject": ("uscc", "name", "kind", "registered_on"),
    "role": ("uscc", "role"),
    "branch": ("uscc", "parent_uscc"),
    "registration_change": ("uscc", "change_id", "changed_on", "item"),
    "annual_report": ("uscc", "year"),
    "licence": ("uscc", "licence_no", "licence_type", "valid_from", "valid_to"),
    "platform": ("platform_id", "name"),
    "store": ("platform_id", "shop_id", "uscc", "name"),
    "product": ("platform_id", "shop_id", "product_id", "title", "category"),
    "complaint": ("complaint_id", "uscc", "channel", "received_on"),
    "case": ("case_id", "uscc", "opened_on", "authority"),
    "inspection": ("inspection_id", "uscc", "inspected_on", "authority", "result"),
    "association": ("association_id", "name"),
    "membership": ("association_id", "uscc", "joined_on"),
    "evaluation": ("evaluation_id", "association_id", "uscc", "grade", "issued_on"),
}

DATE_FIELDS: Final = frozenset({
    "registered_on", "start_on", "end_on", "changed_on", "published_on", "filed_on", "due_on",
    "valid_from", "valid_to", "opened_on", "closed_on", "listed_on", "delisted_on",
    "received_on", "resolved_on", "decided_on", "inspected_on", "joined_on", "left_on",
    "issued_on",
})

LIST_FIELDS: Final = frozenset({"inspector_ids", "shared_with"})


def header(source: str) -> tuple[str, ...]:
    """The CSV header of a source: common fields, then the union in first-seen order."""
    seen: dict[str, None] = dict.fromkeys(COMMON)
    for fields in FIELDS[source].values():
        seen.update(dict.fromkeys(fields))
    return tuple(seen)
