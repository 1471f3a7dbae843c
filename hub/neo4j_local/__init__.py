"""Provisioning of a local Neo4j Community server for development and tests."""

from __future__ import annotations

from hub.neo4j_local.server import LocalNeo4j, ServerState

__all__ = ["LocalNeo4j", "ServerState"]
