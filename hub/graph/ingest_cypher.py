"""The Cypher behind each canonical row kind: batched ``UNWIND … MERGE`` with provenance.

Every statement takes ``$rows`` (the rows' ``data``), ``$party`` (who supplied them) and
``$now`` (when the hub received them), and returns how many rows created, updated or
left unchanged their fact. The statement model (see schema/model.md):

* ``first_seen``/``first_party`` are set once; ``last_seen`` on every sighting;
* ``src_party``, ``src_record``, ``stated_at``, ``received_at`` describe the version held;
* a row whose content hash ``h`` differs from the stored one first copies the old version
  into a ``:Revision`` (nothing is overwritten silently; ``of_key`` = the row's key), then
  sets the new one — unless that Revision shows the row's own record already stated it
  (a replay of a superseded statement changes nothing, so replays are no-ops);
* a subject, store or platform that is referenced before it is known is created as a
  stub (``stub: true``) rather than dropped.
"""

from __future__ import annotations

from functools import cache

COUNTS = """
RETURN sum(CASE WHEN before IS NULL THEN 1 ELSE 0 END) AS created,
       sum(CASE WHEN before IS NOT NULL AND changes THEN 1 ELSE 0 END) AS updated,
       count(*) AS total"""


def upsert(var: str, pattern: str, label: str) -> str:
    """MERGE ``pattern`` (binding ``var``) and apply the statement model to it.

    ``applied`` is true for a row that this party's record already stated and a later
    record superseded (its version is a Revision): a replay of an old statement.
    ``changes`` is true only for a row that creates or updates the fact; it also gates the
    side effects that follow (linking a contact, ending an old address or representative),
    so that replaying a statement, old or current, changes nothing.
    """
    return f"""
MERGE {pattern}
ON CREATE SET {var}.first_seen = $now, {var}.first_party = $party
WITH *, {var}.h AS before
WITH *, CASE WHEN before IS NULL OR before = row.h THEN false ELSE EXISTS {{
  MATCH (old:Revision {{of_key: row.key}})
  WHERE old.of = '{label}' AND old.h = row.h AND old.src_record = row.record
    AND old.src_party = $party }} END AS applied
WITH *, (before IS NULL OR before <> row.h) AND NOT applied AS changes
FOREACH (_ IN CASE WHEN before IS NOT NULL AND changes THEN [1] ELSE [] END |
  CREATE (rev:Revision) SET rev = properties({var}), rev.of = '{label}', rev.of_key = row.key,
         rev.superseded_at = $now)
FOREACH (_ IN CASE WHEN changes THEN [1] ELSE [] END |
  SET {var} += row.props, {var}.h = row.h, {var}.src_party = $party,
      {var}.src_record = row.record, {var}.stated_at = row.stated,
      {var}.received_at = $now)
SET {var}.last_seen = $now
WITH *"""


def stub_subject(var: str, key: str) -> str:
    return f"""
MERGE ({var}:Subject {{uscc: {key}}})
ON CREATE SET {var}.stub = true, {var}.division = substring({key}, 2, 6),
              {var}.first_seen = $now, {var}.first_party = $party"""


def _contact(rel: str, label: str, var: str, owner: str, ref: str, extra: str) -> str:
    """Link ``owner`` to a shared contact point; a changed one ends the old link (only when
    the row changes its fact: a replay must not end what a newer record linked)."""
    return f"""
CALL ({owner}, row, changes) {{
  WITH {owner}, row WHERE {ref} IS NOT NULL AND changes
  MERGE ({var}:{label} {{key: {ref}.key}})
  ON CREATE SET {extra}, {var}.first_seen = $now, {var}.first_party = $party
  MERGE ({owner})-[l:{rel}]->({var})
  ON CREATE SET l.start = left(row.stated, 10), l.first_seen = $now, l.src_party = $party,
                l.src_record = row.record
  SET l.last_seen = $now
  WITH {owner}, {var}, row
  OPTIONAL MATCH ({owner})-[old:{rel}]->(other:{label})
  WHERE other <> {var} AND old.end IS NULL
  SET old.end = left(row.stated, 10)
}}"""


SUBJECT = ("UNWIND $rows AS row" + upsert("s", "(s:Subject {uscc: row.key})", "Subject")
           + _contact("LOCATED_AT", "Address", "a", "s", "row.address", "a.text = row.address.text")
           + _contact("REACHABLE_AT", "Phone", "ph", "s", "row.phone",
                      "ph.masked = row.phone.masked")
           + COUNTS)

_ROLE_TYPES = {"legal_representative": "LEGAL_REP_OF", "shareholder": "SHAREHOLDER_OF",
               "executive": "EXECUTIVE_OF"}


@cache
def role(kind: str, holder: str) -> str:
    rel = _ROLE_TYPES[kind]
    if holder == "subject":
        head = "UNWIND $rows AS row" + stub_subject("s", "row.uscc") + stub_subject(
            "h", "row.holder_uscc")
    else:
        head = ("UNWIND $rows AS row" + stub_subject("s", "row.uscc") + """
MERGE (h:Person {key: row.person.key})
ON CREATE SET h.first_seen = $now, h.first_party = $party
SET h.name = row.person.name, h.id_masked = row.person.id_masked, h.last_seen = $now
WITH *""")
    body = upsert("r", f"(h)-[r:{rel}]->(s)", rel)
    if holder == "person":  # after the upsert: a replayed old statement links no old phone
        body += _contact("REACHABLE_AT", "Phone", "ph", "h", "row.phone",
                         "ph.masked = row.phone.masked")
    if rel == "LEGAL_REP_OF":
        # A subject has one legal representative at a time: a new open one ends the others.
        body += """
WITH *
CALL (s, h, row, changes) {
  WITH s, h, row WHERE row.props.end IS NULL AND changes
  OPTIONAL MATCH (other)-[o:LEGAL_REP_OF]->(s) WHERE other <> h AND o.end IS NULL
  SET o.end = coalesce(row.props.start, left(row.stated, 10))
}"""
    return head + body + COUNTS


BRANCH = ("UNWIND $rows AS row" + stub_subject("s", "row.uscc")
          + stub_subject("p", "row.parent_uscc")
          + upsert("r", "(s)-[r:BRANCH_OF]->(p)", "BRANCH_OF") + COUNTS)


def _owned(label: str, key_prop: str, rel: str, forward: bool = True) -> str:
    """A node keyed by ``key_prop`` that hangs off one subject through ``rel``."""
    link = f"(s)-[:{rel}]->(n)" if forward else f"(n)-[:{rel}]->(s)"
    return ("UNWIND $rows AS row" + stub_subject("s", "row.uscc")
            + upsert("n", f"(n:{label} {{{key_prop}: row.key}})", label)
            + f"\nMERGE {link}" + COUNTS)


REGISTRATION_CHANGE = _owned("RegistrationChange", "id", "CHANGED")
ANNUAL_REPORT = _owned("AnnualReport", "key", "FILED")
LICENCE = _owned("Licence", "key", "HOLDS")
CASE = _owned("Case", "id", "CONCERNS", forward=False)
INSPECTION = _owned("Inspection", "id", "OF", forward=False)

COMPLAINT = ("UNWIND $rows AS row" + stub_subject("s", "row.uscc")
             + upsert("n", "(n:Complaint {id: row.key})", "Complaint")
             + """
MERGE (n)-[:AGAINST]->(s)
WITH *
CALL (n, row) {
  WITH n, row WHERE row.platform_id IS NOT NULL
  MERGE (p:Platform {id: row.platform_id})
  ON CREATE SET p.stub = true, p.first_seen = $now, p.first_party = $party
  MERGE (n)-[:VIA]->(p)
}""" + COUNTS)

PLATFORM = ("UNWIND $rows AS row" + upsert("p", "(p:Platform {id: row.key})", "Platform")
            + "\nSET p.stub = false" + COUNTS)

#: A platform's first store for a subject is an enrolment 入驻, recorded once with who and
#: when (hub.policy.enrolment reads them for the subject's regulators). Flags: the code
#: was unknown to the registry (a stub), or the platform, with an established base
#: (ENROLMENT_BASE earlier enrolments), had none in the subject's city before.
ENROLMENT_BASE = 20
ENROLMENT = f"""
WITH *, COUNT {{ (o:Enrolment {{platform_id: row.platform_id}}) WHERE o.uscc <> s.uscc }}
        >= {ENROLMENT_BASE} AND NOT EXISTS {{
          (o:Enrolment {{platform_id: row.platform_id}})
          WHERE o.uscc <> s.uscc AND left(o.division, 4) = left(s.division, 4) }} AS unusual
MERGE (en:Enrolment {{key: s.uscc + '@' + row.platform_id}})
ON CREATE SET en.uscc = s.uscc, en.platform_id = row.platform_id, en.party = $party,
              en.at = $now, en.day = left($now, 10), en.division = s.division,
              en.unregistered = coalesce(s.stub, false), en.outside_usual = unusual
MERGE (en)-[:OF]->(s)
WITH *"""

STORE = ("UNWIND $rows AS row" + stub_subject("s", "row.uscc") + """
MERGE (p:Platform {id: row.platform_id})
ON CREATE SET p.stub = true, p.first_seen = $now, p.first_party = $party"""
         + upsert("st", "(st:Store {key: row.key})", "Store") + """
MERGE (s)-[:OPERATES]->(st)
MERGE (st)-[:ON]->(p)""" + ENROLMENT + COUNTS)

PRODUCT = ("UNWIND $rows AS row" + """
MERGE (st:Store {key: row.store_key})
ON CREATE SET st.stub = true, st.platform_id = row.platform_id, st.shop_id = row.shop_id,
              st.first_seen = $now, st.first_party = $party"""
           + upsert("pr", "(pr:Product {key: row.key})", "Product")
           + "\nMERGE (st)-[:LISTS]->(pr)" + COUNTS)

ASSOCIATION = ("UNWIND $rows AS row"
               + upsert("a", "(a:Association {id: row.key})", "Association")
               + "\nSET a.stub = false" + COUNTS)

_STUB_ASSOCIATION = """
MERGE (a:Association {id: row.association_id})
ON CREATE SET a.stub = true, a.first_seen = $now, a.first_party = $party"""

MEMBERSHIP = ("UNWIND $rows AS row" + stub_subject("s", "row.uscc") + _STUB_ASSOCIATION
              + upsert("r", "(s)-[r:MEMBER_OF]->(a)", "MEMBER_OF") + COUNTS)

EVALUATION = ("UNWIND $rows AS row" + stub_subject("s", "row.uscc") + _STUB_ASSOCIATION
              + upsert("e", "(e:CreditEvaluation {id: row.key})", "CreditEvaluation")
              + "\nMERGE (a)-[:ISSUED]->(e)\nMERGE (e)-[:RATES]->(s)" + COUNTS)


#: The subjects whose stores a batch of listings touched (a listing changes its store
#: operator's portrait, so they are re-scored).
SUBJECTS_OF_STORES = ("UNWIND $keys AS k MATCH (s:Subject)-[:OPERATES]->(:Store {key: k}) "
                      "RETURN collect(DISTINCT s.uscc) AS usccs")


def statement(kind: str) -> str:
    """The Cypher for a row kind (``role:<role>:<holder>`` for roles)."""
    if kind.startswith("role:"):
        _, role_kind, holder = kind.split(":")
        return role(role_kind, holder)
    return STATEMENTS[kind]


STATEMENTS: dict[str, str] = {
    "subject": SUBJECT,
    "branch": BRANCH,
    "registration_change": REGISTRATION_CHANGE,
    "annual_report": ANNUAL_REPORT,
    "licence": LICENCE,
    "platform": PLATFORM,
    "store": STORE,
    "product": PRODUCT,
    "complaint": COMPLAINT,
    "case": CASE,
    "inspection": INSPECTION,
    "association": ASSOCIATION,
    "membership": MEMBERSHIP,
    "evaluation": EVALUATION,
}

#: Kinds written first within a batch, so that facts about a subject find it real.
ORDER = ("platform", "association", "subject")
