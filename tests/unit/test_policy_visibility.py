"""The visibility model as data: access.yaml's kinds, row rules, allow-lists, the doc."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import get_args

import pytest
import yaml

from hub.errors import ConfigError
from hub.policy.compiled import DEFAULT_POLICY_FILE, PartyIdentity, PolicyBook
from hub.policy.doc import render
from hub.policy.model import RowRule
from hub.policy.visibility import ROW_RULES, details, row_filter, section_allowed, sees, shared_with
from hub.settings import PROJECT_ROOT

BOOK = PolicyBook.load()
PLATFORM = BOOK.compile(PartyIdentity("party-plat-01", "platform", platform_id="plat-01"),
                        "subject", "onboarding_check")
REGULATOR = BOOK.compile(PartyIdentity("reg-jj", "regulator", jurisdictions=("510104",)),
                         "subject", "supervision")
ASSOC = BOOK.compile(PartyIdentity("party-assoc-01", "association",
                                   association_id="assoc-01"), "subject", "credit_evaluation")
PUBLIC = BOOK.compile(PartyIdentity("public", "public"), "complianceStatus",
                      "public_disclosure")


def test_every_row_rule_has_cypher() -> None:
    assert set(ROW_RULES) == set(get_args(RowRule))


def test_row_rules_per_party_type() -> None:
    assert sees(PLATFORM, "Store", "st") == "st.platform_id = $p_platform"
    assert "LISTS" in sees(PLATFORM, "Product", "g")
    assert sees(REGULATOR, "Store", "st") == "true"
    assert sees(PUBLIC, "Store", "st") == "false", "no stores section"
    assert row_filter(PUBLIC, "Store", "st") == "true", "licence display counts all stores"
    assert sees(ASSOC, "Alert", "a") == "false"
    assert "NOTIFIES" in sees(PLATFORM, "Alert", "a")
    assert "s.division" in sees(REGULATOR, "Alert", "a", "s"), "in_scope carries the scope"
    assert "s2.division" in sees(REGULATOR, "CreditEvaluation", "e", "s2")
    assert not section_allowed(ASSOC, "Store") and section_allowed(ASSOC, "CreditEvaluation")
    assert section_allowed(PUBLIC, "Caller"), "a kind without a section"


def test_fact_details_are_an_allow_list() -> None:
    stored = {"id": "I1", "result": "pass", "inspector_ids": ["x"], "h": "hash",
              "src_party": "reg", "a_property_added_later": 1}
    assert details(REGULATOR, "Inspection", stored) == {"result": "pass"}


def test_evaluation_recipients_per_reader() -> None:
    data = {"association_id": "assoc-01", "shared_with": ["reg-jj", "reg-wh"]}
    assert shared_with(ASSOC, data) == ["reg-jj", "reg-wh"]
    assert shared_with(REGULATOR, data) == ["reg-jj"]
    assert shared_with(REGULATOR, {"shared_with": None}) is None


def test_individual_business_names_have_one_rule() -> None:
    assert PUBLIC.mask("individual_name", "s.name") == PLATFORM.mask("individual_name",
                                                                     "s.name")
    assert "left(s.name, 1)" in PUBLIC.mask("individual_name", "s.name")


def test_platform_full_view_needs_an_open_store() -> None:
    today = date.today()  # compiled now, not at import: the grace window moves each day
    platform = BOOK.compile(PartyIdentity("party-plat-01", "platform", platform_id="plat-01"),
                            "subject", "onboarding_check")
    assert "closed_on IS NULL OR st_scope.closed_on >= $p_open_since" in platform.full()
    grace = timedelta(days=BOOK.policy.enrolment.closed_store_grace_days)
    assert date.fromisoformat(platform.params["p_open_since"]) == today - grace


def test_purposeless_fields_check_the_operation_only() -> None:
    me = BOOK.compile(PartyIdentity("public", "public"), "me", None)
    assert me.operation == "me" and me.purpose == ""


def _broken(tmp_path: Path, edit: str, to: str) -> Path:
    text = DEFAULT_POLICY_FILE.read_text(encoding="utf-8")
    assert edit in text
    path = tmp_path / "access.yaml"
    path.write_text(text.replace(edit, to, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(("edit", "to", "says"), [
    ("    section: stores\n", "    section: shops\n", "unknown section"),
    ("rows: {default: all, platform: own_platform}", "rows: {default: all, platform: mine}",
     "rows"),
    ("  Caller:\n", "  Callers:\n", "kinds"),
])
def test_invalid_kinds_stop_the_hub_with_the_line(tmp_path: Path, edit: str, to: str,
                                                  says: str) -> None:
    with pytest.raises(ConfigError) as err:
        PolicyBook.load(_broken(tmp_path, edit, to))
    assert "access.yaml:" in err.value.message and says in err.value.message


def test_docs_access_md_is_generated_from_the_policy() -> None:
    doc = (PROJECT_ROOT / "docs" / "access.md").read_text(encoding="utf-8")
    assert doc == render(BOOK.policy), "run `hub policy doc --out docs/access.md`"
    raw = yaml.safe_load(DEFAULT_POLICY_FILE.read_text(encoding="utf-8"))
    for kind in raw["kinds"]:
        assert f"| {kind} |" in doc


def test_a_root_field_without_an_operation_rule_cannot_be_served() -> None:
    import strawberry

    from hub.api.context import OperationCheck

    @strawberry.type
    class Query:
        @strawberry.field(extensions=[OperationCheck()])
        async def secret_numbers(self) -> int:
            return 42

    with pytest.raises((RuntimeError, TypeError), match="secretNumbers has no rule"):
        strawberry.Schema(query=Query)
