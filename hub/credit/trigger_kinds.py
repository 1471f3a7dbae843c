"""The trigger kinds a rule in ``policies/triggers.yaml`` may use: parameters + Cypher.

Each kind is one batched query over a set of subjects (``UNWIND $usccs``) or all of
them, evaluated *as of* ``$today`` (ISO date) so that the same Cypher serves live
evaluation and backtesting. A row is (uscc, key, evidence): the key identifies the
evidence (a change id, a store, a report year…) and makes the alert id deterministic.
Evidence holds the rule's own numbers and ``refs`` — kind and id of each fact behind the
hit, never the facts' values (rendered per reader by :mod:`hub.credit.explain_render`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

OPEN_STORE = ("(st.closed_on IS NULL OR st.closed_on > $today) "
              "AND (st.opened_on IS NULL OR st.opened_on <= $today)")
ACTIVE_PRODUCT = ("(p.listed_on IS NULL OR p.listed_on <= $today) "
                  "AND (p.delisted_on IS NULL OR p.delisted_on > $today)")


class KindParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    def cypher_params(self, today: date, licensed: dict[str, list[str]]) -> dict[str, Any]:
        data = self.model_dump()
        if "window_days" in data:
            data["window_start"] = (today - timedelta(days=data["window_days"])).isoformat()
        data["licensed"] = licensed
        data["licensed_categories"] = sorted(licensed)
        return data


class NoParams(KindParams):
    pass


class LegalDays(KindParams):
    legal_days: int = Field(default=20, ge=1, le=365)

    def cypher_params(self, today: date, licensed: dict[str, list[str]]) -> dict[str, Any]:
        data = super().cypher_params(today, licensed)
        data["cutoff"] = (today - timedelta(days=self.legal_days)).isoformat()
        return data


class Categories(KindParams):
    categories: list[str] = Field(default_factory=lambda: ["tobacco"])


class ExpiredLicence(KindParams):
    require_expired: bool = True


class Spike(KindParams):
    threshold: int = Field(default=5, ge=1)
    window_days: int = Field(default=30, ge=1, le=3650)


class CaseParams(KindParams):
    window_days: int = Field(default=365, ge=1, le=3650)
    outcomes: list[str] = Field(default_factory=lambda: ["penalty"])
    include_open: bool = True


class ReportOverdue(KindParams):
    years: int = Field(default=3, ge=1, le=10)
    due_month_day: str = Field(default="06-30", pattern=r"^\d\d-\d\d$")


class Displayed(KindParams):
    only_licensed_categories: bool = True


class RelatedClasses(KindParams):
    classes: list[str] = Field(default_factory=lambda: ["D"])


class PlatformActions(KindParams):
    kinds: list[str] = Field(default_factory=lambda: ["suspend", "stop"])
    window_days: int = Field(default=365, ge=1, le=3650)


class Downgrade(KindParams):
    window_days: int = Field(default=365, ge=1, le=3650)
    rank: dict[str, int] = Field(default_factory=lambda: {
        "AAA": 0, "AA": 1, "A": 2, "B": 3, "C": 4})


@dataclass(frozen=True)
class TriggerKind:
    name: str
    params: type[KindParams]
    body: str  # Cypher after the subject match, binding ``s``; returns uscc, key, evidence


KINDS: dict[str, TriggerKind] = {k.name: k for k in (
    TriggerKind("unpublished_change", LegalDays, """
MATCH (s)-[:CHANGED]->(c:RegistrationChange)
WHERE c.changed_on <= $cutoff
  AND (coalesce(c.published, false) = false OR c.published_on > $today)
RETURN s.uscc AS uscc, c.id AS key,
       {legal_days: $legal_days, refs: [{kind: 'RegistrationChange', id: c.id}]}
         AS evidence"""),
    TriggerKind("expired_licence_listing", ExpiredLicence, f"""
MATCH (s)-[:OPERATES]->(st:Store)-[:LISTS]->(p:Product)
WHERE p.category IN $licensed_categories AND {OPEN_STORE} AND {ACTIVE_PRODUCT}
WITH s, p.category AS category, collect({{kind: 'Product', id: p.key}})[..20] AS products
WITH s, category, products, $licensed[category] AS types
WHERE NOT EXISTS {{ (s)-[:HOLDS]->(l:Licence) WHERE l.licence_type IN types
                    AND l.valid_from <= $today AND l.valid_to >= $today }}
  AND (NOT $require_expired OR EXISTS {{ (s)-[:HOLDS]->(l:Licence)
                                        WHERE l.licence_type IN types AND l.valid_to < $today }})
RETURN s.uscc AS uscc, category AS key,
       {{refs: products + [(s)-[:HOLDS]->(l:Licence) WHERE l.licence_type IN types |
                           {{kind: 'Licence', id: l.key}}]}} AS evidence"""),
    TriggerKind("listing_in_categories", Categories, f"""
MATCH (s)-[:OPERATES]->(st:Store)-[:LISTS]->(p:Product)
WHERE p.category IN $categories AND {OPEN_STORE} AND {ACTIVE_PRODUCT}
WITH s, st, collect({{kind: 'Product', id: p.key}})[..20] AS products
RETURN s.uscc AS uscc, st.key AS key,
       {{refs: [{{kind: 'Store', id: st.key}}] + products}} AS evidence"""),
    TriggerKind("complaint_spike", Spike, """
MATCH (c:Complaint)-[:AGAINST]->(s)
WHERE c.received_on > $window_start AND c.received_on <= $today
WITH s, c ORDER BY c.received_on, c.id
WITH s, collect({kind: 'Complaint', id: c.id}) AS cs
WHERE size(cs) >= $threshold
RETURN s.uscc AS uscc, 'spike:' + cs[$threshold - 1].id AS key,
       {count: size(cs), window_days: $window_days, threshold: $threshold,
         refs: cs[..20]} AS evidence"""),
    TriggerKind("case_opened", CaseParams, """
MATCH (k:Case)-[:CONCERNS]->(s)
WHERE k.opened_on > $window_start AND k.opened_on <= $today
  AND (k.outcome IN $outcomes OR ($include_open AND k.outcome IS NULL))
RETURN s.uscc AS uscc, k.id AS key, {refs: [{kind: 'Case', id: k.id}]} AS evidence"""),
    TriggerKind("annual_report_overdue", ReportOverdue, """
WITH s WHERE s.registered_on IS NOT NULL AND coalesce(s.status, 'active') = 'active'
UNWIND range(toInteger(left($today, 4)) - $years, toInteger(left($today, 4)) - 1) AS y
WITH s, y WHERE y >= toInteger(left(s.registered_on, 4))
OPTIONAL MATCH (s)-[:FILED]->(r:AnnualReport) WHERE toInteger(r.year) = y
WITH s, y, r, coalesce(r.due_on, toString(y + 1) + '-' + $due_month_day) AS due
WHERE due < $today AND (r IS NULL OR r.filed_on IS NULL OR r.filed_on > $today)
RETURN s.uscc AS uscc, 'year:' + toString(y) AS key,
       {year: y, due_on: due,
        refs: [{kind: 'AnnualReport', id: r.key, year: y, missing: r IS NULL}]} AS evidence"""),
    TriggerKind("licence_not_displayed", Displayed, f"""
MATCH (s)-[:OPERATES]->(st:Store)
WHERE coalesce(st.licence_displayed, false) = false AND {OPEN_STORE}
  AND (NOT $only_licensed_categories OR EXISTS {{
        (st)-[:LISTS]->(p:Product) WHERE p.category IN $licensed_categories
        AND {ACTIVE_PRODUCT} }})
RETURN s.uscc AS uscc, st.key AS key, {{refs: [{{kind: 'Store', id: st.key}}]}} AS evidence"""),
    TriggerKind("related_in_classes", RelatedClasses, """
MATCH (s)<-[r1:LEGAL_REP_OF|SHAREHOLDER_OF]-(p:Person)-[r2:LEGAL_REP_OF|SHAREHOLDER_OF]->
      (o:Subject)
WHERE o <> s AND r1.end IS NULL AND r2.end IS NULL AND o.credit_class IN $classes
RETURN s.uscc AS uscc, o.uscc AS key,
       {refs: [{kind: 'Related', id: o.uscc, field: 'credit_class', via: 'person',
                role: type(r2)}]} AS evidence"""),
    TriggerKind("platform_action", PlatformActions, """
MATCH (pa:PlatformAction)-[:AGAINST]->(s)
WHERE pa.kind IN $kinds AND left(pa.at, 10) > $window_start AND left(pa.at, 10) <= $today
RETURN s.uscc AS uscc, pa.id AS key,
       {refs: [{kind: 'PlatformAction', id: pa.id}]} AS evidence"""),
    TriggerKind("association_downgrade", Downgrade, """
MATCH (a:Association)-[:ISSUED]->(e:CreditEvaluation)-[:RATES]->(s)
WHERE e.issued_on > $window_start AND e.issued_on <= $today
MATCH (a)-[:ISSUED]->(prev:CreditEvaluation)-[:RATES]->(s)
WHERE prev.issued_on < e.issued_on
WITH s, e, prev ORDER BY prev.issued_on DESC
WITH s, e, head(collect(prev)) AS prev
WHERE $rank[e.grade] > $rank[prev.grade]
RETURN s.uscc AS uscc, e.id AS key,
       {refs: [{kind: 'CreditEvaluation', id: e.id},
               {kind: 'CreditEvaluation', id: prev.id}]} AS evidence"""),
)}


# Kinds that read what the re-score writes (other subjects' classes): the engine evaluates
# them after the previous batch is written; the others may run ahead (engine.py).
READS_SCORES = frozenset({"related_in_classes"})


def query(kind: TriggerKind, all_subjects: bool) -> str:
    """The rule's full Cypher for a list of subjects (``$usccs``) or for every subject."""
    head = ("MATCH (s:Subject)" if all_subjects
            else "UNWIND $usccs AS u\nMATCH (s:Subject {uscc: u})")
    return head + "\nWITH s\n" + kind.body.strip()


_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
SHARED_PARAMS = frozenset({"today", "usccs"})


def _namespaced(body: str, prefix: str) -> str:
    """``body`` with every rule parameter renamed ``$<prefix><name>`` ($today stays)."""
    return _PARAM.sub(lambda m: m.group(0) if m.group(1) in SHARED_PARAMS
                      else f"${prefix}{m.group(1)}", body)


def combined_query(kinds: list[TriggerKind]) -> str:
    """Every rule in one query for a list of subjects: one subject seek, one subquery
    branch per rule (``rule`` = the rule's position in ``kinds``). Each branch is the
    rule's own Cypher with its parameters prefixed ``r<position>_``, evaluated for one
    subject at a time, so it finds exactly the rows the rule's own query finds."""
    branches = [f"WITH s CALL (s) {{\n{_namespaced(kind.body.strip(), f'r{i}_')}\n}}\n"
                f"RETURN {i} AS rule, uscc, key, evidence" for i, kind in enumerate(kinds)]
    return ("UNWIND $usccs AS u\nMATCH (s:Subject {uscc: u})\nCALL (s) {\n"
            + "\nUNION ALL\n".join(branches)
            + "\n}\nRETURN rule, uscc, key, evidence")


def combined_params(params: list[dict[str, Any]]) -> dict[str, Any]:
    """The parameters of :func:`combined_query`, each rule's under its prefix."""
    return {f"r{i}_{name}": value for i, p in enumerate(params) for name, value in p.items()}
