"""Ingest on the real Neo4j: mappings, rejects, replay, resume, provenance, end-dating."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import neo4j
import orjson
import pytest

from hub.graph.driver import Connection
from hub.identity import resident_id, uscc
from hub.ingest import IngestOptions, IngestSummary, ingest
from tests.conftest import wait_until

KEY = b"test-pii-key-not-for-production"
A = uscc.make("91510104MA6C00010")
B = uscc.make("91510107MA6C00020")
C = uscc.make("92510100MA6C00030")  # an individual business, never registered here
PERSON = resident_id.make("51010419800101123")
PERSON2 = resident_id.make("51010719850505456")


def feed(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    return path


def run(graph: neo4j.Driver, source: str, path: Path, party: str = "reg-510100",
        **kw: Any) -> IngestSummary:
    return ingest(graph, "neo4j", source, path, IngestOptions(party=party, **kw), KEY)


def one(graph: neo4j.Driver, query: str, **params: Any) -> Any:
    records, _, _ = graph.execute_query(query, **params)
    assert len(records) == 1, records
    return records[0]


@pytest.fixture
def parties(graph: neo4j.Driver) -> neo4j.Driver:
    graph.execute_query("UNWIND ['reg-510100', 'party-plat-01', 'party-assoc-01'] AS id "
                        "MERGE (p:Party {id: id}) SET p.type = split(id, '-')[0]")
    return graph


def subject(code: str, rid: str, **extra: Any) -> dict[str, Any]:
    return {"record_type": "subject", "record_id": rid, "uscc": code,
            "name": "锦江测试商贸有限公司", "kind": "enterprise",
            "registered_on": "2016/4/1", **extra}


def test_registry_mapping_and_personal_data(parties: neo4j.Driver, tmp_path: Path) -> None:
    path = feed(tmp_path / "registry.jsonl", [
        subject(A, "s1", address="成都市锦江区 红星路 1 号", phone="028-8888 8888"),
        subject(B, "s2", address="成都市锦江区红星路1号", stated_at="2024-01-05"),
        {"record_type": "role", "record_id": "r1", "uscc": A, "role": "legal_representative",
         "person_id": PERSON, "person_name": "王小红", "person_phone": "13912345678",
         "start_on": "2019年3月1日"},
        {"record_type": "role", "record_id": "r2", "uscc": B, "role": "shareholder",
         "holder_uscc": A, "share": 60},
        {"record_type": "branch", "record_id": "b1", "uscc": B, "parent_uscc": A},
        {"record_type": "licence", "record_id": "l1", "uscc": A, "licence_no": "jy15101040001",
         "licence_type": "food_business", "valid_from": "2020-01-01", "valid_to": "20250101"},
        {"record_type": "annual_report", "record_id": "ar1", "uscc": A, "year": 2024,
         "filed_on": "2025-06-01"},
        {"record_type": "registration_change", "record_id": "rc1", "uscc": A,
         "change_id": "CH-1", "changed_on": "2025-01-02", "item": "address",
         "published": "否"},
    ])
    summary = run(parties, "registry", path)
    assert (summary.read, summary.created, summary.rejected) == (8, 8, 0)
    rec = one(parties, "MATCH (s:Subject {uscc: $a}) RETURN s", a=A)["s"]
    assert rec["division"] == "510104" and rec["registered_on"] == "2016-04-01"
    assert rec["src_party"] == "reg-510100" and rec["src_record"] == "s1"
    assert rec["stub"] is False
    # Both subjects share one address node (spaces normalised away in its key).
    assert one(parties, "MATCH (a:Address)<-[:LOCATED_AT]-(s) RETURN count(DISTINCT a) AS a, "
                        "count(s) AS s")[:] == [1, 2]
    person = one(parties, "MATCH (p:Person)-[r:LEGAL_REP_OF]->(:Subject {uscc: $a}) "
                          "RETURN p, r", a=A)
    assert person["r"]["start"] == "2019-03-01"
    props = dict(person["p"])
    assert props["id_masked"] == PERSON[:6] + "********" + PERSON[-4:]
    # The raw identity number and phone are stored nowhere.
    dump = one(parties, "MATCH (n) RETURN collect(properties(n)) AS all")["all"]
    assert PERSON not in str(dump) and "13912345678" not in str(dump)
    assert one(parties, "MATCH (:Subject {uscc: $a})-[r:SHAREHOLDER_OF]->(:Subject {uscc: $b}) "
                        "RETURN r.share AS share", a=A, b=B)["share"] == 60
    assert one(parties, "MATCH (:Subject {uscc: $b})-[:BRANCH_OF]->(p) RETURN p.uscc AS p",
               b=B)["p"] == A
    change = one(parties, "MATCH (:Subject {uscc: $a})-[:CHANGED]->(c) RETURN c", a=A)["c"]
    assert change["published"] is False
    assert one(parties, "MATCH (:Subject {uscc: $a})-[:HOLDS]->(l) RETURN l.valid_to AS v",
               a=A)["v"] == "2025-01-01"


def test_platform_complaint_enforcement_association(parties: neo4j.Driver,
                                                    tmp_path: Path) -> None:
    run(parties, "platform", feed(tmp_path / "p.jsonl", [
        {"record_type": "platform", "record_id": "p0", "platform_id": "plat-01",
         "name": "蓉品直播"},
        {"record_type": "store", "record_id": "p1", "platform_id": "plat-01", "shop_id": "S1",
         "uscc": A, "name": "小红的店", "licence_displayed": "true"},
        {"record_type": "product", "record_id": "p2", "platform_id": "plat-01", "shop_id": "S1",
         "product_id": "G1", "title": "手工辣酱", "category": "food", "price": "19.9"},
        {"record_type": "product", "record_id": "p3", "platform_id": "plat-01", "shop_id": "S9",
         "product_id": "G2", "title": "香烟", "category": "tobacco"},
    ]), party="party-plat-01")
    row = one(parties, "MATCH (s:Subject {uscc: $a})-[:OPERATES]->(st:Store)-[:ON]->(p:Platform) "
                       "MATCH (st)-[:LISTS]->(g:Product) RETURN s.stub AS stub, st, p, g", a=A)
    assert row["stub"] is True, "a subject known only from a store is a stub"
    assert row["st"]["licence_displayed"] is True and row["p"]["name"] == "蓉品直播"
    assert row["g"]["price"] == 19.9 and row["g"]["category"] == "food"
    assert one(parties, "MATCH (st:Store {key: 'plat-01/S9'}) RETURN st.stub AS s")["s"] is True

    run(parties, "complaints", feed(tmp_path / "c.jsonl", [
        {"record_type": "complaint", "record_id": "c1", "complaint_id": "12315-1", "uscc": A,
         "channel": "12315", "received_on": "2025-03-01", "platform_id": "plat-01"},
    ]))
    run(parties, "enforcement", feed(tmp_path / "e.jsonl", [
        {"record_type": "case", "record_id": "e1", "case_id": "K1", "uscc": A,
         "opened_on": "2025-04-01", "authority": "510104", "outcome": "penalty", "fine": 5000},
        {"record_type": "inspection", "record_id": "e2", "inspection_id": "I1", "uscc": A,
         "inspected_on": "2025-05-01", "authority": "510104", "result": "pass",
         "inspector_ids": "INS-1;INS-2"},
    ]))
    run(parties, "association", feed(tmp_path / "a.jsonl", [
        {"record_type": "association", "record_id": "a0", "association_id": "assoc-01",
         "name": "成都市网络商会"},
        {"record_type": "membership", "record_id": "a1", "association_id": "assoc-01",
         "uscc": A, "joined_on": "2022-01-01"},
        {"record_type": "evaluation", "record_id": "a2", "evaluation_id": "EV1",
         "association_id": "assoc-01", "uscc": A, "grade": "aa", "issued_on": "2025-01-01",
         "valid_to": "2026-01-01", "shared_with": ["reg-510100", "party-plat-01"]},
    ]), party="party-assoc-01")
    portrait = one(parties, """
        MATCH (s:Subject {uscc: $a})
        RETURN COUNT { (:Complaint)-[:AGAINST]->(s) } AS complaints,
               [(c:Case)-[:CONCERNS]->(s) | c.fine] AS fines,
               [(i:Inspection)-[:OF]->(s) | i.inspector_ids] AS inspectors,
               [(:Association {id: 'assoc-01'})-[:ISSUED]->(e)-[:RATES]->(s) | e] AS evals,
               COUNT { (s)-[:MEMBER_OF]->(:Association) } AS memberships""", a=A)
    assert portrait["complaints"] == 1 and portrait["fines"] == [5000.0]
    assert portrait["inspectors"] == [["INS-1", "INS-2"]]
    assert portrait["evals"][0]["grade"] == "AA"
    assert portrait["evals"][0]["shared_with"] == ["reg-510100", "party-plat-01"]
    assert portrait["memberships"] == 1


def test_rejects_name_line_field_reason_and_valid_records_land(parties: neo4j.Driver,
                                                               tmp_path: Path) -> None:
    bad_check = A[:-1] + ("0" if A[-1] != "0" else "1")
    path = tmp_path / "registry.jsonl"
    path.write_bytes(b"\n".join([
        orjson.dumps(subject(A, "ok1")),
        orjson.dumps(subject(bad_check, "bad1")),
        b"{not json",
        orjson.dumps({"record_type": "subject", "record_id": "bad2", "uscc": B,
                      "kind": "enterprise", "registered_on": "2020-01-01"}),
        orjson.dumps(subject(B, "bad3", registered_on="2020-02-30")),
        orjson.dumps({"record_type": "case", "record_id": "bad4"}),
        orjson.dumps(subject(B, "ok2")),
    ]) + b"\n")
    summary = run(parties, "registry", path)
    assert (summary.read, summary.created, summary.rejected) == (7, 2, 5)
    assert summary.rejects_file is not None
    rejects = [orjson.loads(line) for line in Path(summary.rejects_file).read_bytes().splitlines()]
    assert [(r["line"], r["field"]) for r in rejects] == [
        (2, "uscc"), (3, "(line)"), (4, "name"), (5, "registered_on"), (6, "record_type")]
    assert "check character" in rejects[0]["reason"]
    assert "not a calendar date" in rejects[3]["reason"]
    assert one(parties, "MATCH (s:Subject) RETURN count(s) AS n")["n"] == 2


def test_gb18030_csv(parties: neo4j.Driver, tmp_path: Path) -> None:
    path = tmp_path / "registry.csv"
    path.write_bytes(("record_type,record_id,uscc,name,kind,registered_on\n"
                      f"subject,g1,{A},成都蜀锦商贸有限公司,enterprise,2018年7月9日\n"
                      ).encode("gb18030"))
    wrong = run(parties, "registry", path)
    assert wrong.rejected == 1
    assert wrong.rejects_file is not None
    assert "--encoding" in Path(wrong.rejects_file).read_text(encoding="utf-8")
    right = run(parties, "registry", path, encoding="gb18030")
    assert (right.created, right.rejected) == (1, 0)
    assert one(parties, "MATCH (s:Subject {uscc: $a}) RETURN s.name AS n", a=A)["n"] == \
        "成都蜀锦商贸有限公司"


def graph_counts(graph: neo4j.Driver) -> tuple[int, int]:
    rec = one(graph, "MATCH (n) WHERE NOT n:Migration AND NOT n:Party "
                     "RETURN count(n) AS n, COUNT { ()-[]->() } AS r")
    return rec["n"], rec["r"]


def test_replay_changes_nothing(parties: neo4j.Driver, tmp_path: Path) -> None:
    path = feed(tmp_path / "r.jsonl", [
        subject(A, "s1", address="成都市武侯区1号", phone="13800000000"),
        {"record_type": "role", "record_id": "r1", "uscc": A, "role": "legal_representative",
         "person_id": PERSON, "person_name": "王小红"},
        {"record_type": "branch", "record_id": "b1", "uscc": B, "parent_uscc": A},
    ])
    first = run(parties, "registry", path)
    before = graph_counts(parties)
    prov = one(parties, "MATCH (s:Subject {uscc: $a}) RETURN s.first_seen AS f, "
                        "s.received_at AS r, s.last_seen AS l, s.src_record AS src", a=A)
    wait_until(lambda: datetime.now(UTC).isoformat() > str(prov["r"]), 5,
               "the clock to move on", every=0.001)
    second = run(parties, "registry", path)
    assert (first.created, first.unchanged) == (3, 0)
    assert (second.created, second.updated, second.unchanged) == (0, 0, 3)
    assert graph_counts(parties) == before
    after = one(parties, "MATCH (s:Subject {uscc: $a}) RETURN s.first_seen AS f, "
                         "s.received_at AS r, s.last_seen AS l, s.src_record AS src", a=A)
    assert (after["f"], after["r"], after["src"]) == (prov["f"], prov["r"], prov["src"])
    assert after["l"] > prov["l"], "only last_seen moves on a replay"


def test_update_keeps_history_and_first_seen(parties: neo4j.Driver, tmp_path: Path) -> None:
    run(parties, "registry", feed(tmp_path / "v1.jsonl", [subject(A, "v1", status="active")]))
    first = one(parties, "MATCH (s:Subject {uscc: $a}) RETURN s", a=A)["s"]
    summary = run(parties, "registry", feed(tmp_path / "v2.jsonl", [
        subject(A, "v2", status="abnormal", stated_at="2025-09-01T10:00:00+08:00")]),
        party="party-plat-01")
    assert summary.updated == 1
    now = one(parties, "MATCH (s:Subject {uscc: $a}) RETURN s", a=A)["s"]
    assert now["status"] == "abnormal" and now["src_record"] == "v2"
    assert now["src_party"] == "party-plat-01" and now["first_party"] == "reg-510100"
    assert now["first_seen"] == first["first_seen"]
    assert now["stated_at"] == "2025-09-01T10:00:00+08:00"
    old = one(parties, "MATCH (r:Revision {of: 'Subject', uscc: $a}) RETURN r", a=A)["r"]
    assert old["status"] == "active" and old["src_record"] == "v1"
    assert old["superseded_at"] == now["received_at"]


def test_end_dating(parties: neo4j.Driver, tmp_path: Path) -> None:
    run(parties, "registry", feed(tmp_path / "1.jsonl", [
        subject(A, "s1", address="旧地址1号"),
        {"record_type": "role", "record_id": "r1", "uscc": A, "role": "legal_representative",
         "person_id": PERSON, "person_name": "王小红", "start_on": "2019-01-01"},
    ]))
    run(parties, "registry", feed(tmp_path / "2.jsonl", [
        subject(A, "s2", address="新地址2号", stated_at="2025-02-01"),
        {"record_type": "role", "record_id": "r2", "uscc": A, "role": "legal_representative",
         "person_id": PERSON2, "person_name": "李四", "start_on": "2025-01-15"},
    ]))
    reps = parties.execute_query(
        "MATCH (p:Person)-[r:LEGAL_REP_OF]->(:Subject {uscc: $a}) "
        "RETURN p.name AS name, r.start AS start, r.end AS end ORDER BY start", a=A).records
    assert [(r["name"], r["start"], r["end"]) for r in reps] == [
        ("王小红", "2019-01-01", "2025-01-15"), ("李四", "2025-01-15", None)]
    places = parties.execute_query(
        "MATCH (:Subject {uscc: $a})-[l:LOCATED_AT]->(x) RETURN x.text AS t, l.end AS end "
        "ORDER BY t", a=A).records
    assert {(r["t"], r["end"]) for r in places} == {("旧地址1号", "2025-02-01"),
                                                   ("新地址2号", None)}
    # An explicit end date from the source closes a role without deleting it.
    run(parties, "registry", feed(tmp_path / "3.jsonl", [
        {"record_type": "role", "record_id": "r3", "uscc": A, "role": "legal_representative",
         "person_id": PERSON2, "person_name": "李四", "start_on": "2025-01-15",
         "end_on": "2026-03-01"}]))
    assert one(parties, "MATCH (:Person {name: '李四'})-[r:LEGAL_REP_OF]->() RETURN r.end AS e"
               )["e"] == "2026-03-01"


def test_unknown_party_is_refused(graph: neo4j.Driver, tmp_path: Path) -> None:
    from hub.errors import HubError

    with pytest.raises(HubError, match="unknown party"):
        run(graph, "registry", feed(tmp_path / "x.jsonl", [subject(A, "s1")]), party="nobody")


def test_resume_after_kill(parties: neo4j.Driver, neo4j_conn: Connection,
                           tmp_path: Path) -> None:
    total = 30_000
    path = tmp_path / "complaints.jsonl"
    with open(path, "wb") as out:
        for i in range(total):
            out.write(orjson.dumps({
                "record_type": "complaint", "record_id": f"c{i}", "complaint_id": f"K{i}",
                "uscc": (A, B)[i % 2], "channel": "12315", "received_on": "2025-01-01"}) + b"\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HUB_", "NEO4J_"))}
    env.update(NEO4J_URI=neo4j_conn.uri, NEO4J_USER=neo4j_conn.user,
               NEO4J_PASSWORD=neo4j_conn.password, HUB_STATE_DIR=str(tmp_path / "state"),
               HUB_PII_KEY=KEY.decode())
    cmd = [sys.executable, "-m", "hub.cli", "ingest", "complaints", str(path),
           "--party", "reg-510100", "--batch-size", "500", "--quiet"]
    # The ingest SIGKILLs itself right after batch 3's checkpoint (a test-only hook).
    proc = subprocess.Popen(cmd, env={**env, "HUB_INGEST_KILL_AT": "after_checkpoint:3"},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert proc.wait(timeout=300) == -signal.SIGKILL
    checkpoints = tmp_path / "state" / "ingest"
    partial = one(parties, "MATCH (c:Complaint) RETURN count(c) AS n")["n"]
    assert 0 < partial < total, "the kill must land mid-way"

    resumed = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    assert resumed.returncode == 0, resumed.stderr
    assert "resumed after line" in resumed.stderr
    counts = one(parties, "MATCH (c:Complaint) RETURN count(c) AS n, "
                          "count(DISTINCT c.id) AS ids")
    assert counts["n"] == counts["ids"] == total
    assert one(parties, "MATCH (:Complaint)-[r:AGAINST]->() RETURN count(r) AS n")["n"] == total
    assert not any(checkpoints.glob("*.json")), "a finished ingest leaves no checkpoint"
