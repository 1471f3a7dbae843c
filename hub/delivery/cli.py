"""``hub webhook add|list|disable|status|retry|deliver``: thin shells over hub.delivery."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, ParamSpec, TypeVar

import neo4j
import orjson
import typer

from hub.console import friendly

P = ParamSpec("P")
R = TypeVar("R")

webhook_app = typer.Typer(help="Signed webhooks: alert notifications for parties that "
                               "cannot hold a socket.", no_args_is_help=True)


@contextmanager
def graph() -> Iterator[tuple[neo4j.Driver, str]]:
    from hub.graph.driver import connection, sync_driver
    from hub.settings import get_settings

    conn = connection(get_settings())
    with sync_driver(conn) as driver:
        yield driver, conn.database


def emit(data: object) -> None:
    typer.echo(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode())


@webhook_app.command("add")
@friendly
def add(party: Annotated[str, typer.Option("--party", help="The party's id.")],
        url: Annotated[str, typer.Option("--url", help="Where to POST (https in "
                                                        "production, or loopback).")],
        purpose: Annotated[str | None, typer.Option(
            help="Declared purpose (default: periodic_sweep for platforms, supervision "
                 "for regulators).")] = None,
        replace: Annotated[bool, typer.Option(
            help="Disable the party's current webhook and register this one.")] = False
        ) -> None:
    """Register a party's webhook and print its signing secret (shown only this once)."""
    from hub.auth.parties import get_party
    from hub.delivery.webhooks import DEFAULT_PURPOSE, WebhookError, add_webhook
    from hub.policy.compiled import Forbidden as PolicyForbidden
    from hub.policy.compiled import PartyIdentity, PolicyBook
    from hub.settings import get_settings

    settings = get_settings()
    with graph() as (driver, database):
        found = get_party(driver, party, database=database)
        chosen = purpose or DEFAULT_PURPOSE.get(found.type, "")
        try:
            PolicyBook.load(settings.access_policy).compile(
                PartyIdentity(found.id, found.type, tuple(found.jurisdictions),
                              found.platform_id, found.association_id), "alerts", chosen)
        except PolicyForbidden as exc:
            raise WebhookError(f"The party may not receive alerts: {exc.message}",
                               exc.suggestion) from None
        hook, secret = add_webhook(driver, party, url, purpose=chosen,
                                   production=settings.production, replace=replace,
                                   allow_hosts=settings.webhook_allow_hosts,
                                   database=database)
    emit({"id": hook.id, "party_id": hook.party_id, "url": hook.url, "purpose": hook.purpose,
          "secret": secret})
    typer.echo("Store the secret now: it is not shown again. Verify each delivery's "
               "X-Hub-Signature with it (docs/alerts.md).", err=True)


@webhook_app.command("list")
@friendly
def list_cmd(party: Annotated[str | None, typer.Option(help="Only this party.")] = None
             ) -> None:
    """Registered webhooks (without their secrets)."""
    from hub.delivery.webhooks import list_webhooks

    with graph() as (driver, database):
        emit([vars(w) for w in list_webhooks(driver, party_id=party, database=database)])


@webhook_app.command("disable")
@friendly
def disable(webhook_id: Annotated[str, typer.Argument(help="The webhook's id.")]) -> None:
    """Stop delivering to a webhook (its party's notifications stay in the outbox)."""
    from hub.delivery.webhooks import disable_webhook

    with graph() as (driver, database):
        disable_webhook(driver, webhook_id, database=database)
    typer.echo(f"disabled {webhook_id}", err=True)


@webhook_app.command("status")
@friendly
def status_cmd(party: Annotated[str | None, typer.Option(help="Only this party.")] = None
               ) -> None:
    """Pending, retrying, failed and delivered notifications per webhook."""
    from hub.delivery.webhooks import status

    with graph() as (driver, database):
        emit(status(driver, party_id=party, database=database))


@webhook_app.command("retry")
@friendly
def retry(party: Annotated[str, typer.Option("--party", help="The party's id.")]) -> None:
    """Re-queue a party's failed (given-up) notifications."""
    from hub.delivery.webhooks import retry_failed

    with graph() as (driver, database):
        count = retry_failed(driver, party, database=database)
    emit({"requeued": count})


@webhook_app.command("deliver")
@friendly
def deliver(once: Annotated[bool, typer.Option(
        "--once", help="One round, print what it did, exit.")] = False) -> None:
    """Run the delivery worker (until interrupted), or one round with --once."""
    summary = asyncio.run(_deliver(once))
    if summary is not None:
        emit(vars(summary))


async def _deliver(once: bool) -> object:
    from hub.audit import AuditLog
    from hub.delivery.worker import WebhookWorker
    from hub.graph.driver import async_driver, connection
    from hub.policy.compiled import PolicyBook
    from hub.settings import get_settings

    settings = get_settings()
    conn = connection(settings)
    async with async_driver(conn) as driver, await AuditLog.from_settings(settings) as audit:
        worker = WebhookWorker(settings, driver, conn.database,
                               PolicyBook.load(settings.access_policy), audit)
        try:
            if once:
                return await worker.deliver_once()
            await worker.run()
            return None
        finally:
            await worker.aclose()
