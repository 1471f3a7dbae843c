"""One base exception for everything the hub reports to a person.

Every error carries what went wrong and, where there is one, what to do about it
(the habit strawberry follows); the CLI prints both, the API maps them to codes.
"""

from __future__ import annotations


class HubError(Exception):
    """An error with a message and a suggestion for the user."""

    def __init__(self, message: str, suggestion: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.suggestion = suggestion

    def __str__(self) -> str:
        if self.suggestion:
            return f"{self.message}\n  → {self.suggestion}"
        return self.message


class ConfigError(HubError):
    """Settings or a rules file are invalid."""


class DatabaseUnavailable(HubError):
    """Neo4j cannot be reached (the API answers 503)."""


class MigrationError(HubError):
    """A schema migration cannot be applied."""
