"""``hub policy …``: the access policy as documentation."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hub.console import friendly, say

policy_app = typer.Typer(help="The access policy (policies/access.yaml).",
                         no_args_is_help=True)


@policy_app.command("doc")
@friendly
def doc(
    out: Annotated[str | None, typer.Option(help="Write to this file instead of stdout.")] = None,
) -> None:
    """Render what each party type sees of each kind (kept in docs/access.md)."""
    from hub.policy.compiled import PolicyBook
    from hub.policy.doc import render
    from hub.settings import get_settings

    text = render(PolicyBook.load(get_settings().access_policy).policy)
    if out:
        Path(out).write_text(text, encoding="utf-8")
        say(f"wrote {out}")
    else:
        typer.echo(text, nl=False)
