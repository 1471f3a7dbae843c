"""The Python API for parties, agreements and clients against the real graph."""

from __future__ import annotations

from datetime import date

import neo4j
import pytest

from hub.auth import (
    create_agreement,
    create_client,
    create_party,
    disable_party,
    get_client,
    get_party,
    list_agreements,
    list_clients,
    list_parties,
)
from hub.auth.errors import Conflict, InvalidInput, NotFound
from hub.auth.hashing import verify_secret
from hub.auth.scopes import DEFAULT_SCOPES


def test_parties_are_nodes_linked_to_their_organisation(graph: neo4j.Driver) -> None:
    reg = create_party(graph, party_id="cd-amr", party_type="regulator", name="成都市市场监管局",
                       jurisdictions=["510104", "510100", "510104"])
    assert reg.jurisdictions == ("510100", "510104") and not reg.disabled
    create_party(graph, party_id="plat-a", party_type="platform", name="Live", platform_id="P1")
    create_party(graph, party_id="assoc-a", party_type="association", name="Assoc",
                 association_id="A1")
    create_party(graph, party_id="public", party_type="public", name="Public")
    assert [p.id for p in list_parties(graph)] == ["assoc-a", "cd-amr", "plat-a", "public"]
    links, _, _ = graph.execute_query(
        "MATCH (p:Party)-[:REPRESENTS]->(o) RETURN p.id AS party, labels(o)[0] AS label, "
        "o.id AS id ORDER BY party")
    assert [(r["party"], r["label"], r["id"]) for r in links] == [
        ("assoc-a", "Association", "A1"), ("plat-a", "Platform", "P1")]
    assert get_party(graph, "cd-amr").created_at is not None
    assert disable_party(graph, "public").disabled
    with pytest.raises(Conflict):
        create_party(graph, party_id="public", party_type="public", name="Again")


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"party_type": "bank"}, "Unknown party type"),
    ({"party_type": "regulator"}, "at least one jurisdiction"),
    ({"party_type": "regulator", "jurisdictions": ["5101"]}, "6-digit"),
    ({"party_type": "platform"}, "platform-id"),
    ({"party_type": "public", "platform_id": "P"}, "Only platform"),
    ({"party_type": "public", "party_id": "bad id!"}, "not valid"),
])
def test_party_validation(graph: neo4j.Driver, kwargs: dict[str, object], message: str) -> None:
    args: dict[str, object] = {"party_id": "x", "name": "X", **kwargs}
    with pytest.raises(InvalidInput, match=message):
        create_party(graph, **args)  # type: ignore[arg-type]


def test_agreements(graph: neo4j.Driver) -> None:
    create_party(graph, party_id="plat-a", party_type="platform", name="Live", platform_id="P1")
    agreement = create_agreement(graph, party_id="plat-a", valid_from=date(2025, 1, 1),
                                 valid_to=date(2026, 12, 31), signed_on=date(2024, 12, 20),
                                 agreement_id="agr-1")
    assert agreement.in_force(date(2026, 12, 31)) and not agreement.in_force(date(2027, 1, 1))
    assert list_agreements(graph, "plat-a") == [agreement]
    linked, _, _ = graph.execute_query(
        "MATCH (:Agreement {id: 'agr-1'})-[:OF]->(p:Party) RETURN p.id AS id")
    assert linked[0]["id"] == "plat-a"
    with pytest.raises(Conflict):
        create_agreement(graph, party_id="plat-a", valid_from=date(2025, 1, 1),
                         valid_to=date(2025, 2, 1), agreement_id="agr-1")
    with pytest.raises(InvalidInput, match="before it starts"):
        create_agreement(graph, party_id="plat-a", valid_from=date(2025, 2, 1),
                         valid_to=date(2025, 1, 1))
    with pytest.raises(NotFound):
        create_agreement(graph, party_id="nobody", valid_from=date(2025, 1, 1),
                         valid_to=date(2025, 2, 1))


def test_clients_store_only_a_slow_hash(graph: neo4j.Driver) -> None:
    create_party(graph, party_id="plat-a", party_type="platform", name="Live", platform_id="P1")
    client_id, secret = create_client(graph, "plat-a")
    assert secret is not None and len(secret) >= 40
    client = get_client(graph, client_id)
    assert client.scopes == DEFAULT_SCOPES["platform"]
    assert client.auth_method == "client_secret_basic"
    assert client.secret_hash is not None and client.secret_hash.startswith("scrypt$")
    assert secret not in client.secret_hash and verify_secret(secret, client.secret_hash)
    assert "secret_hash" not in repr(client)
    props, _, _ = graph.execute_query("MATCH (c:Client)-[:OF]->(:Party {id: 'plat-a'}) "
                                      "RETURN properties(c) AS p")
    assert secret not in str(props[0]["p"])
    assert [c.client_id for c in list_clients(graph, "plat-a")] == [client_id]

    other_id, _ = create_client(graph, "plat-a", ["compliance:read"])
    assert get_client(graph, other_id).scopes == {"compliance:read"}
    with pytest.raises(InvalidInput, match="may not hold"):
        create_client(graph, "plat-a", ["credit:admin"])
    with pytest.raises(InvalidInput, match="Unknown scope"):
        create_client(graph, "plat-a", ["everything"])
    with pytest.raises(NotFound):
        create_client(graph, "nobody")
