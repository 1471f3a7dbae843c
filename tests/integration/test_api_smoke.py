"""First contact with the API through real HTTP and a real Neo4j."""

from __future__ import annotations

from tests.integration.api_world import IN_JJ, IN_WH, LONE, World, world

__all__ = ["world"]


def test_platform_compliance_status(world: World) -> None:
    data = world.data("party-plat-01", """
      query($c: [String!]!) { complianceStatus(usccs: $c, purpose: ONBOARDING_CHECK) {
        uscc known reason name registrationStatus licenceDisplay recommendedAction } }""",
        {"c": [IN_JJ, IN_WH, LONE, "123"]})
    items = {i["uscc"]: i for i in data["complianceStatus"]}
    assert items[IN_JJ]["known"] and items[IN_JJ]["licenceDisplay"] == "ALL_DISPLAYED"
    assert items[IN_WH]["licenceDisplay"] == "SOME_MISSING"
    assert items[LONE]["known"] and items[LONE]["licenceDisplay"] is None
    assert items["123"]["known"] is False and "invalid USCC" in items["123"]["reason"]
