"""Connectors: one adapter per source kind, turning raw feed records into canonical rows.

A connector never touches the database. It reads a file (JSON Lines or CSV, any size,
streamed), validates and normalises each record, and yields either a canonical
:class:`~connectors.base.Row` for the graph writer or a :class:`~connectors.base.Reject`
naming the line, the field and the reason.
"""

from __future__ import annotations

from connectors.base import Connector, Reject, Row
from connectors.catalog import CONNECTORS, connector_for

__all__ = ["CONNECTORS", "Connector", "Reject", "Row", "connector_for"]
