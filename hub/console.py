"""What every ``hub`` sub-command shares: the stderr console and friendly errors.

Kept apart from :mod:`hub.cli` so that sub-command modules can import it at module level
(``hub.cli`` imports them to mount their Typer apps).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import neo4j
import typer
from rich.console import Console

from hub.errors import HubError

P = ParamSpec("P")
R = TypeVar("R")

console = Console(stderr=True)


def say(message: str) -> None:
    console.print(message, highlight=False)


def _report(message: str, suggestion: str | None) -> None:
    console.print(f"[red]error:[/red] {message}", highlight=False)
    if suggestion:
        console.print(f"[yellow]hint:[/yellow] {suggestion}", highlight=False)


def friendly(fn: Callable[P, R]) -> Callable[P, R]:
    """Print a HubError as message + suggestion and exit 1, without a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except HubError as exc:
            _report(exc.message, exc.suggestion)
            raise typer.Exit(1) from None
        except (neo4j.exceptions.ServiceUnavailable, neo4j.exceptions.SessionExpired):
            _report("Neo4j cannot be reached.",
                    "Start the local server with `hub neo4j start`, or check NEO4J_URI.")
            raise typer.Exit(1) from None
        except neo4j.exceptions.AuthError:
            _report("Neo4j refused the credentials.",
                    "Check NEO4J_USER / NEO4J_PASSWORD (or the local state in HUB_STATE_DIR).")
            raise typer.Exit(1) from None

    return wrapper
