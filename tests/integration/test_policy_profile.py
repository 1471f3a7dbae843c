"""The policy inside the Cypher must not cost the index: a scoped lookup still seeks.

(Other GraphQL-over-graph engines have turned keyed lookups into label scans once an
authorization predicate was added.)"""

from __future__ import annotations

from typing import Any

import neo4j
import pytest

from hub.api import compliance, portrait
from hub.policy.compiled import PartyIdentity, PolicyBook
from tests.integration.api_world import IN_JJ, build_graph

PARTIES = {
    "platform": (PartyIdentity("party-plat-01", "platform", platform_id="plat-01"),
                 "ONBOARDING_CHECK"),
    "regulator": (PartyIdentity("reg-jj", "regulator", jurisdictions=("510104",)),
                  "SUPERVISION"),
    "association": (PartyIdentity("party-assoc-01", "association",
                                  association_id="assoc-01"), "CREDIT_EVALUATION"),
}


def operators(plan: Any) -> set[str]:
    found = {plan["operatorType"].split("@")[0]}
    for child in plan.get("children", []):
        found |= operators(child)
    return found


@pytest.mark.parametrize("who", ["platform", "regulator", "association"])
def test_scoped_lookups_seek_the_uscc_index(graph: neo4j.Driver, tmp_path: Any,
                                            who: str) -> None:
    build_graph(graph, tmp_path)
    identity, purpose = PARTIES[who]
    book = PolicyBook.load()
    if who != "association":
        policy = book.compile(identity, "complianceStatus", purpose.lower())
        summary = graph.execute_query("PROFILE " + compliance.query(policy),
                                      {"codes": [IN_JJ], **policy.params}).summary
        ops = operators(summary.profile)
        assert "NodeUniqueIndexSeek" in ops, ops
        assert not {"NodeByLabelScan", "AllNodesScan"} & ops, ops
    policy = book.compile(identity, "subject", purpose.lower())
    text, _ = portrait.build(policy, {"stores": {}, "complaints": {}, "evaluations": {}})
    summary = graph.execute_query("PROFILE " + text, {"uscc": IN_JJ, "want_products": False,
                                                     **policy.params}).summary
    ops = operators(summary.profile)
    assert "NodeUniqueIndexSeek" in ops, ops
    assert not {"NodeByLabelScan", "AllNodesScan"} & ops, ops


@pytest.mark.parametrize("who", ["platform", "association"])
def test_scoped_counts_start_from_the_partys_own_index(graph: neo4j.Driver, tmp_path: Any,
                                                       who: str) -> None:
    """A platform's totalCount starts from its stores (the store_platform index), an
    association's from its members, not from a scan of every subject."""
    build_graph(graph, tmp_path)
    identity, purpose = PARTIES[who]
    policy = PolicyBook.load().compile(identity, "subjects", purpose.lower())
    text = (f"{policy.subjects_match('s')} WHERE NOT coalesce(s.stub, false) AND "
            f"{policy.full()} RETURN count(s) AS n")
    result = graph.execute_query("PROFILE " + text, policy.params)
    ops = operators(result.summary.profile)
    assert {"NodeIndexSeek", "NodeUniqueIndexSeek"} & ops, ops
    assert not {"NodeByLabelScan", "AllNodesScan"} & ops, ops
    assert result.records[0]["n"] == {"platform": 2, "association": 1}[who]
