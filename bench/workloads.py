"""Step 4–5: the workloads, each as hub GraphQL requests, raw Cypher and (where shared) peer
GraphQL requests, built from real codes sampled out of the graph.

Raw Cypher returns the same data with the same scope predicates: for complianceStatus,
portraits and relatedEntities it is the text of the hub's own builders (so hub ÷ raw is
the cost of the API layer: HTTP, auth, GraphQL, Python mapping, audit); for subjects and
creditEvaluations it is hand-written with the policy's predicate.
Lists come back as one record holding a list of maps, as the hub's own queries do (a
hundred records cost the Python driver far more to decode than one).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import neo4j

from hub.policy.compiled import CompiledPolicy, PartyIdentity, PolicyBook

N_VARIANTS = 200


@dataclass
class Party:
    id: str
    type: str
    jurisdictions: tuple[str, ...] = ()
    platform_id: str | None = None
    association_id: str | None = None

    def identity(self) -> PartyIdentity:
        return PartyIdentity(self.id, self.type, self.jurisdictions, self.platform_id,
                             self.association_id)


@dataclass
class Workload:
    name: str
    party: str  # role: platform | regulator | association
    description: str
    hub: list[dict[str, Any]]  # GraphQL {query, variables}
    raw: list[dict[str, Any]] = field(default_factory=list)  # {cypher, params} or bfs
    raw_unscoped: list[dict[str, Any]] = field(default_factory=list)
    peer: list[dict[str, Any]] = field(default_factory=list)
    unique: dict[str, str] | None = None  # mutation idempotency keys
    profile_hub: dict[str, Any] | None = None  # {cypher, params} to PROFILE
    open_loop: bool = True


@dataclass
class Samples:
    merchants: list[str]  # subjects with a store on the platform
    others: list[str]  # subjects without one
    related: list[str]  # regulator's subjects with related entities
    divisions: list[str]
    classes: list[list[str]]  # empty when nothing is scored
    members: list[str]  # rated subjects visible to the association


def sample(driver: neo4j.Driver, platform_id: str, association_id: str, seed: int) -> Samples:
    rnd = random.Random(seed)

    def col(query: str, **params: Any) -> list[Any]:
        records, _, _ = driver.execute_query(query, params, database_="neo4j",
                                             routing_=neo4j.RoutingControl.READ)
        return [r[0] for r in records]

    merchants = col("""MATCH (s:Subject)-[:OPERATES]->(:Store)-[:ON]->(:Platform {id: $p})
                       WHERE NOT coalesce(s.stub, false) RETURN DISTINCT s.uscc LIMIT 5000""",
                    p=platform_id)
    others = col("""MATCH (s:Subject) WHERE NOT coalesce(s.stub, false) AND NOT EXISTS {
                      (s)-[:OPERATES]->(:Store)-[:ON]->(:Platform {id: $p}) }
                    RETURN s.uscc LIMIT 5000""", p=platform_id)
    related = col("""MATCH (s:Subject)<-[:LEGAL_REP_OF|SHAREHOLDER_OF]-(:Person)
                       -[:LEGAL_REP_OF|SHAREHOLDER_OF]->(t:Subject)
                     WHERE s <> t AND NOT coalesce(s.stub, false)
                     RETURN DISTINCT s.uscc LIMIT 500""")
    related += col("""MATCH (s:Subject)-[:LOCATED_AT]->(:Address)<-[:LOCATED_AT]-(t:Subject)
                      WHERE s <> t RETURN DISTINCT s.uscc LIMIT 200""")
    divisions = col("""MATCH (s:Subject) WHERE s.division IS NOT NULL AND
                         NOT coalesce(s.stub, false)
                       RETURN s.division, count(*) AS n ORDER BY n DESC LIMIT 8""")
    classes_present = col("MATCH (s:Subject) WHERE s.credit_class IS NOT NULL "
                          "RETURN DISTINCT s.credit_class ORDER BY s.credit_class")
    members = col("""MATCH (e:CreditEvaluation)-[:RATES]->(s:Subject)
                     WHERE e.association_id = $a RETURN DISTINCT s.uscc LIMIT 2000""",
                  a=association_id)
    for lst in (merchants, others, related, members):
        rnd.shuffle(lst)
    classes = [[c] for c in classes_present] + ([classes_present[-2:]]
                                               if len(classes_present) > 1 else [])
    # Unscored graph (no rescore run): filter by division alone.
    return Samples(merchants, others, list(dict.fromkeys(related)), divisions, classes,
                   members)


# --- GraphQL texts -----------------------------------------------------------------------
CS = """query($u: [String!]!) { complianceStatus(usccs: $u, purpose: ONBOARDING_CHECK) {
  uscc known reason name registrationStatus riskClass colour inSandbox openAlerts
  nearestDeadline licenceDisplay recommendedAction lastChanged } }"""
PORTRAIT_SHARED = """query($u: String!) { subject(uscc: $u, purpose: ONBOARDING_CHECK) {
  uscc name kind division status registeredOn credit { riskClass score colour }
  stores { platformId shopId name licenceDisplayed openedOn closedOn
           products { productId title category price listedOn } }
  complaints { id date details } } }"""
PORTRAIT_REGULATOR = """query($u: String!) { subject(uscc: $u, purpose: SUPERVISION) {
  uscc name kind division status registeredOn industry
  provenance { party record statedAt receivedAt }
  credit { riskClass score colour version scoredAt inSandbox explanation }
  people { role person { name idNumber } holderUscc share title start end }
  stores { platformId shopId name licenceDisplayed products { productId title category } }
  licences { licenceNo licenceType validFrom validTo }
  annualReports { id date details } registrationChanges { id date details }
  complaints { id date details } cases { id date details } inspections { id date details }
  evaluations { id grade score issuedOn } alerts { id rule severity status } } }"""
SUBJECTS = """query($p: Purpose!, $f: SubjectFilter) {
  subjects(purpose: $p, filter: $f, first: 100) {
    edges { cursor node { uscc name kind division status registeredOn riskClass score
                          inSandbox } }
    pageInfo { hasNextPage endCursor } } }"""
RELATED = """query($u: String!, $d: Int!) {
  relatedEntities(uscc: $u, purpose: SUPERVISION, depth: $d) {
    root truncated counts { subjects links cappedHubs }
    nodes { uscc name riskClass depth reasons }
    edges { source target relation via { kind label } } } }"""
EVALUATIONS = """query($u: String) {
  creditEvaluations(purpose: CREDIT_EVALUATION, uscc: $u, first: 100) {
    edges { node { id uscc issuer grade score issuedOn validTo sharedWith } }
    pageInfo { hasNextPage endCursor } } }"""
COMPLAINT = """mutation($k: String!, $u: String!, $d: String!) {
  reportComplaint(idempotencyKey: $k, purpose: COMPLAINT_HANDLING,
                  input: {uscc: $u, receivedOn: $d, channel: PLATFORM, category: "quality",
                          summary: "benchmark"}) { created replayed ids } }"""

PEER_CS = """query($u: [String!]!) { subjects(where: { uscc: { in: $u } }) {
  uscc name status credit_class credit_colour in_sandbox
  stores { licence_displayed closed_on } } }"""
PEER_PORTRAIT = """query($u: String!) { subjects(where: { uscc: { eq: $u } }) {
  uscc name kind division status registered_on credit_class credit_score credit_colour
  stores { platform_id shop_id name licence_displayed opened_on closed_on
           products { product_id title category price listed_on } }
  complaints { id channel received_on category status } } }"""
PEER_SUBJECTS = """query($d: String!) {
  subjects(where: { division: { startsWith: $d } }, limit: 101, sort: [{ uscc: ASC }]) {
    uscc name kind division status registered_on credit_class credit_score in_sandbox } }"""


def _q(query: str, **variables: Any) -> dict[str, Any]:
    return {"query": query, "variables": variables}


def _c(cypher: str, params: dict[str, Any]) -> dict[str, Any]:
    return {"cypher": cypher, "params": params}


def build(book: PolicyBook, s: Samples, plat: Party, reg: Party, assoc: Party,
          depths: tuple[int, ...], seed: int) -> list[Workload]:
    from hub.api import compliance, portrait, related
    from hub.api.listing import division_prefix
    from hub.api.types import Relation

    rnd = random.Random(seed)
    ppol = lambda op, purpose: book.compile(plat.identity(), op, purpose)  # noqa: E731
    rpol = lambda op, purpose: book.compile(reg.identity(), op, purpose)  # noqa: E731
    apol: CompiledPolicy = book.compile(assoc.identity(), "creditEvaluations",
                                        "credit_evaluation")
    merchants = s.merchants or s.others
    one = [merchants[i % len(merchants)] for i in range(N_VARIANTS)]
    pool = merchants + s.others
    thousands = [sorted(rnd.sample(pool, min(1000, len(pool)))) for _ in range(10)]
    out: list[Workload] = []

    cs_pol = ppol("complianceStatus", "onboarding_check")
    cs_text = compliance.query(cs_pol)
    unscoped = """UNWIND $codes AS code
MATCH (s:Subject {uscc: code})
RETURN collect({code: code, name: s.name, status: s.status, class: s.credit_class,
       colour: s.credit_colour, sandbox: coalesce(s.in_sandbox, false),
       shown: [(s)-[:OPERATES]->(st:Store) WHERE st.closed_on IS NULL
               | coalesce(st.licence_displayed, false)]}) AS rows"""
    out.append(Workload(
        "complianceStatus-1", "platform", "one merchant code (platform, ONBOARDING_CHECK)",
        hub=[_q(CS, u=[c]) for c in one],
        raw=[_c(cs_text, {"codes": [c], **cs_pol.params}) for c in one],
        raw_unscoped=[_c(unscoped, {"codes": [c]}) for c in one],
        peer=[_q(PEER_CS, u=[c]) for c in one],
        profile_hub=_c(cs_text, {"codes": [one[0]], **cs_pol.params})))
    out.append(Workload(
        "complianceStatus-1000", "platform", "1,000 codes: own merchants and others",
        hub=[_q(CS, u=t) for t in thousands],
        raw=[_c(cs_text, {"codes": t, **cs_pol.params}) for t in thousands],
        raw_unscoped=[_c(unscoped, {"codes": t}) for t in thousands],
        peer=[_q(PEER_CS, u=t) for t in thousands],
        profile_hub=_c(cs_text, {"codes": thousands[0], **cs_pol.params})))

    want = {k: {} for k in ("uscc", "name", "credit", "stores", "complaints")}
    pp = ppol("subject", "onboarding_check")
    text, _ = portrait.build(pp, want)
    out.append(Workload(
        "portrait-platform", "platform", "subject(uscc) with stores, products, complaints",
        hub=[_q(PORTRAIT_SHARED, u=c) for c in one],
        raw=[_c(text, {"uscc": c, "want_products": True, **pp.params}) for c in one],
        peer=[_q(PEER_PORTRAIT, u=c) for c in one],
        profile_hub=_c(text, {"uscc": one[0], "want_products": True, **pp.params})))

    rp = rpol("subject", "supervision")
    want_r = {k: {} for k in ("credit", "people", "stores", "licences", "annualReports",
                              "registrationChanges", "complaints", "cases", "inspections",
                              "evaluations", "alerts")}
    text_r, _ = portrait.build(rp, want_r)
    reg_codes = [pool[i % len(pool)] for i in range(N_VARIANTS)]
    out.append(Workload(
        "portrait-regulator", "regulator", "subject(uscc), every section (regulator)",
        hub=[_q(PORTRAIT_REGULATOR, u=c) for c in reg_codes],
        raw=[_c(text_r, {"uscc": c, "want_products": True, **rp.params}) for c in reg_codes],
        profile_hub=_c(text_r, {"uscc": reg_codes[0], "want_products": True, **rp.params})))

    sp = rpol("subjects", "supervision")
    subj_raw = f"""MATCH (s:Subject)
WHERE NOT coalesce(s.stub, false) AND {sp.full()} AND s.division STARTS WITH $d
  AND ($c IS NULL OR s.credit_class IN $c)
WITH s ORDER BY s.uscc LIMIT 101
RETURN collect(s {{.uscc, .name, .kind, .division, .status, .registered_on, .credit_class,
                  .credit_score, .in_sandbox}}) AS rows"""
    combos: list[tuple[str, list[str] | None]] = [
        (d, c) for d in s.divisions for c in (s.classes or [None])]
    out.append(Workload(
        "subjects-regulator", "regulator", "first 100, filter division + risk class",
        hub=[_q(SUBJECTS, p="SUPERVISION",
                f={"division": d, **({"riskClass": c} if c else {})}) for d, c in combos],
        raw=[_c(subj_raw, {"d": division_prefix(d), "c": c, **sp.params}) for d, c in combos],
        profile_hub=_c(subj_raw, {"d": division_prefix(combos[0][0]), "c": combos[0][1],
                                  **sp.params})))

    pl = ppol("subjects", "periodic_sweep")
    plat_raw = f"""MATCH (s:Subject)
WHERE NOT coalesce(s.stub, false) AND {pl.full()} AND s.division STARTS WITH $d
WITH s ORDER BY s.uscc LIMIT 101
RETURN collect(s {{.uscc, .name, .kind, .division, .status, .registered_on, .credit_class,
                  .credit_score, .in_sandbox}}) AS rows"""
    out.append(Workload(
        "subjects-platform", "platform", "first 100 of the platform's merchants in a division",
        hub=[_q(SUBJECTS, p="PERIODIC_SWEEP", f={"division": d}) for d in s.divisions],
        raw=[_c(plat_raw, {"d": division_prefix(d), **pl.params}) for d in s.divisions],
        peer=[_q(PEER_SUBJECTS, d=division_prefix(d)) for d in s.divisions],
        profile_hub=_c(plat_raw, {"d": division_prefix(s.divisions[0]), **pl.params})))

    rel = rpol("relatedEntities", "supervision")
    limits = rel.policy.traversal
    rel_text = related.level_query(rel, {Relation(r) for r in limits.relations})
    root = f"MATCH (s:Subject {{uscc: $uscc}}) WHERE {rel.full()} RETURN s.uscc AS u"
    roots = s.related[:50] or pool[:50]
    for depth in depths:
        out.append(Workload(
            f"relatedEntities-d{depth}", "regulator", f"breadth-first walk, depth {depth}",
            hub=[_q(RELATED, u=c, d=depth) for c in roots],
            raw=[{"kind": "bfs", "uscc": c, "depth": depth, "root": root, "cypher": rel_text,
                  "params": {"fanout": limits.max_fanout, **rel.params}} for c in roots],
            profile_hub=_c(rel_text, {"frontier": roots[:1], "fanout": limits.max_fanout,
                                      **rel.params}),
            open_loop=depth == 3))

    # Two texts, as a hand-writer would (and as the hub builds it): "$u IS NULL OR
    # s.uscc = $u" in one text would keep the planner off the uscc index.
    ev_raw = """MATCH (e:CreditEvaluation)-[:RATES]->(s:Subject)
WHERE (e.association_id = $p_association OR $p_party IN coalesce(e.shared_with, []))
  {and_uscc}
WITH e ORDER BY e.id LIMIT 101
RETURN collect(properties(e)) AS rows"""
    ev_codes: list[str | None] = [None, *s.members[:99]]
    out.append(Workload(
        "creditEvaluations", "association", "first 100 (all, or one member's)",
        hub=[_q(EVALUATIONS, u=c) for c in ev_codes],
        raw=[_c(ev_raw.format(and_uscc="AND s.uscc = $u" if c else ""),
                {"u": c, **apol.params}) for c in ev_codes],
        profile_hub=_c(ev_raw.format(and_uscc=""), {"u": None, **apol.params})))

    today = date.today().isoformat()
    out.append(Workload(
        "reportComplaint", "platform", "mutation, a fresh idempotency key each",
        hub=[_q(COMPLAINT, k="", u=c, d=today) for c in one[:50]],
        unique={"var": "k", "prefix": f"bench-{rnd.getrandbits(40):x}"}, open_loop=False))
    return out
