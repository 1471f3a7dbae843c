"""The source kinds ``hub ingest`` accepts, each with its connector."""

from __future__ import annotations

from connectors import association, complaints, enforcement, platform, registry
from connectors.base import Connector
from hub.errors import HubError

CONNECTORS: dict[str, Connector] = {
    c.source: c for c in (registry.CONNECTOR, platform.CONNECTOR, complaints.CONNECTOR,
                          enforcement.CONNECTOR, association.CONNECTOR)
}


def connector_for(source: str) -> Connector:
    try:
        return CONNECTORS[source]
    except KeyError:
        raise HubError(f"unknown source {source!r}",
                       f"Use one of: {', '.join(sorted(CONNECTORS))}.") from None
