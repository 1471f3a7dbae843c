"""The fast re-score on the real Neo4j: all rules in one query find what each rule's own
query finds, and re-scoring unchanged data writes nothing but the evaluation time."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import neo4j

from hub.credit import alerts
from hub.credit.clock import now, set_clock
from hub.credit.config import load_policies
from hub.credit.engine import rescore, rescore_all
from hub.credit.queries import credit_of
from tests.integration.test_credit_scenario import OTHERS, A, B, load, registry, reports

DB = "neo4j"


def count(g: neo4j.Driver, label: str) -> int:
    records, _, _ = g.execute_query(f"MATCH (n:{label}) RETURN count(n) AS n", database_=DB)
    return int(records[0]["n"])


def snapshot(g: neo4j.Driver) -> dict[str, Any]:
    return {label: count(g, label) for label in (
        "CreditAssessment", "ClassChange", "SandboxEvent", "Alert", "Reminder", "Notification")}


def test_one_query_for_every_rule_and_read_only_reruns(graph: neo4j.Driver,
                                                        tmp_path: Path) -> None:
    g = graph
    g.execute_query("MERGE (:Party {id: 'reg-510100', type: 'regulator', "
                    "jurisdictions: ['510100']}) MERGE (:Party {id: 'party-plat-01', "
                    "type: 'platform', platform_id: 'plat-01'})", database_=DB)
    set_clock(g, DB, "2026-07-01T09:00:00+00:00")
    load(g, tmp_path, "reg", "registry", "reg-510100", [
        registry(A, "a"), registry(B, "b"), *reports(A),
        {"record_type": "registration_change", "record_id": "rc1", "uscc": B,
         "change_id": "CH-B1", "changed_on": "2026-06-01", "item": "address",
         "published": False},
        *[registry(c, f"o{i}") for i, c in enumerate(OTHERS)]])
    load(g, tmp_path, "p1", "platform", "party-plat-01", [
        {"record_type": "store", "record_id": "s1", "platform_id": "plat-01", "shop_id": "S1",
         "uscc": A, "name": "A店", "licence_displayed": False},
        {"record_type": "product", "record_id": "g2", "platform_id": "plat-01",
         "shop_id": "S1", "product_id": "T1", "title": "香烟", "category": "tobacco",
         "listed_on": "2026-06-01"}])
    policies = load_policies()
    everyone = sorted([A, B, *OTHERS])
    rules = [r for r in policies.triggers.rules if r.enabled]
    today = now(g, DB).date().isoformat()
    licensed = policies.credit.licensed_categories
    combined = alerts.find_all_hits(g, DB, rules, licensed, everyone, today)
    one_by_one = [alerts.find_hits(g, DB, r, licensed, everyone, today) for r in rules]
    key = lambda hits: sorted((h["uscc"], h["key"]) for h in hits)  # noqa: E731
    assert [key(h) for h in combined] == [key(h) for h in one_by_one]
    assert sum(map(len, combined)) >= 3  # tobacco, unpublished change, annual reports…

    rescore_all(g, DB)
    before = snapshot(g)
    explained = credit_of(g, DB, A)
    set_clock(g, DB, "2026-07-01T10:00:00+00:00")
    again = rescore_all(g, DB)
    assert again.alerts_raised == again.alerts_closed == again.class_changes == 0
    assert snapshot(g) == before
    after = credit_of(g, DB, A)
    assert after["explanation"] == explained["explanation"]
    assert after["credit_scored_at"].startswith("2026-07-01T10:00")
    # A change in the facts is written as before: a new assessment, history kept.
    load(g, tmp_path, "p1b", "platform", "party-plat-01", [
        {"record_type": "store", "record_id": "s1", "platform_id": "plat-01", "shop_id": "S1",
         "uscc": A, "name": "A店", "licence_displayed": True}])
    rescore(g, DB, [A])
    assert count(g, "CreditAssessment") == before["CreditAssessment"] + 1
