"""The credit data-sharing hub: a Neo4j credit graph behind an OAuth-protected GraphQL API."""

from __future__ import annotations

__version__ = "0.1.0"
