"""Fault and abuse tests on the real stack (frozen or stopped Neo4j, hostile requests)."""
