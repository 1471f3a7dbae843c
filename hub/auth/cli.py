"""``hub party|agreement|client|keys ...``: administering the trust layer.

Each command is a thin shell over the Python API in :mod:`hub.auth.parties`,
:mod:`hub.auth.clients` and :mod:`hub.auth.keys`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, ParamSpec, TypeVar

import neo4j
import typer

from hub.auth import clients, parties
from hub.auth.errors import InvalidInput
from hub.auth.keys import KeyStore
from hub.console import friendly
from hub.settings import get_settings

P = ParamSpec("P")
R = TypeVar("R")

party_app = typer.Typer(help="Parties: regulators, platforms, associations, the public.",
                        no_args_is_help=True)
agreement_app = typer.Typer(help="Cooperation agreements a platform's access rests on.",
                            no_args_is_help=True)
client_app = typer.Typer(help="OAuth clients of parties.", no_args_is_help=True)
keys_app = typer.Typer(help="The token signing keys.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Mount the sub-commands on the ``hub`` command."""
    app.add_typer(party_app, name="party")
    app.add_typer(agreement_app, name="agreement")
    app.add_typer(client_app, name="client")
    app.add_typer(keys_app, name="keys")


def _say(message: str) -> None:
    from hub.console import say

    say(message)


@contextmanager
def _graph() -> Iterator[tuple[neo4j.Driver, str]]:
    from hub.graph.driver import connection, sync_driver

    conn = connection(get_settings())
    with sync_driver(conn) as driver:
        yield driver, conn.database


def _date(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{option} {value!r} is not a date.", "Use YYYY-MM-DD.") from None


# -- parties -----------------------------------------------------------------------------
@party_app.command("add")
@friendly
def party_add(
    party_id: Annotated[str, typer.Option("--id", help="The party's id.")],
    party_type: Annotated[str, typer.Option("--type",
                                            help="regulator|platform|association|public")],
    name: Annotated[str, typer.Option("--name", help="Display name.")],
    jurisdiction: Annotated[list[str] | None, typer.Option(
        "--jurisdiction", help="6-digit division code (regulators; repeatable).")] = None,
    platform_id: Annotated[str | None, typer.Option(help="The :Platform id (platforms).")] = None,
    association_id: Annotated[str | None, typer.Option(
        help="The :Association id (associations).")] = None,
) -> None:
    """Add a party."""
    with _graph() as (driver, database):
        party = parties.create_party(driver, party_id=party_id, party_type=party_type,
                                     name=name, jurisdictions=jurisdiction or (),
                                     platform_id=platform_id, association_id=association_id,
                                     database=database)
    _say(f"party {party.id} ({party.type}) added.")
    if party.type == "platform":
        _say("hint: a platform needs a cooperation agreement: `hub agreement add --party "
             f"{party.id} --from YYYY-MM-DD --to YYYY-MM-DD`.")


@party_app.command("list")
@friendly
def party_list() -> None:
    """List parties."""
    with _graph() as (driver, database):
        found = parties.list_parties(driver, database=database)
    for p in found:
        extra = (",".join(p.jurisdictions) or p.platform_id or p.association_id or "-")
        state = "disabled" if p.disabled else "active"
        typer.echo(f"{p.id}\t{p.type}\t{state}\t{extra}\t{p.name}")
    _say(f"{len(found)} part{'y' if len(found) == 1 else 'ies'}.")


@party_app.command("disable")
@friendly
def party_disable(party_id: Annotated[str, typer.Argument(help="The party's id.")]) -> None:
    """Disable a party: no new tokens; its live tokens are refused (within 5 s)."""
    with _graph() as (driver, database):
        parties.set_party_disabled(driver, party_id, True, database=database)
    _say(f"party {party_id} disabled.")


@party_app.command("enable")
@friendly
def party_enable(party_id: Annotated[str, typer.Argument(help="The party's id.")]) -> None:
    """Enable a disabled party again."""
    with _graph() as (driver, database):
        parties.set_party_disabled(driver, party_id, False, database=database)
    _say(f"party {party_id} enabled.")


# -- agreements --------------------------------------------------------------------------
@agreement_app.command("add")
@friendly
def agreement_add(
    party: Annotated[str, typer.Option("--party", help="The party's id.")],
    valid_from: Annotated[str, typer.Option("--from", help="First valid day, YYYY-MM-DD.")],
    valid_to: Annotated[str, typer.Option("--to", help="Last valid day, YYYY-MM-DD.")],
    agreement_id: Annotated[str | None, typer.Option("--id", help="Agreement id.")] = None,
    signed_on: Annotated[str | None, typer.Option("--signed-on", help="YYYY-MM-DD.")] = None,
) -> None:
    """Record a cooperation agreement (validity inclusive of both days)."""
    with _graph() as (driver, database):
        agreement = parties.create_agreement(
            driver, party_id=party, valid_from=_date(valid_from, "--from"),
            valid_to=_date(valid_to, "--to"),
            signed_on=_date(signed_on, "--signed-on") if signed_on else None,
            agreement_id=agreement_id, database=database)
    typer.echo(agreement.id)
    _say(f"agreement {agreement.id} of {party}: {agreement.valid_from} .. {agreement.valid_to}.")


@agreement_app.command("list")
@friendly
def agreement_list(party: Annotated[str | None, typer.Option(help="Only this party.")] = None,
                   ) -> None:
    """List cooperation agreements."""
    with _graph() as (driver, database):
        found = parties.list_agreements(driver, party, database=database)
    today = parties.today_in(get_settings().agreement_timezone)
    for a in found:
        state = "in force" if a.in_force(today) else "not in force"
        typer.echo(f"{a.id}\t{a.party_id}\t{a.valid_from}\t{a.valid_to}\t{state}")
    _say(f"{len(found)} agreement(s).")


# -- clients -----------------------------------------------------------------------------
@client_app.command("create")
@friendly
def client_create(
    party: Annotated[str, typer.Option("--party", help="The party's id.")],
    scope: Annotated[list[str] | None, typer.Option(
        "--scope", help="Allowed scope (repeatable); default: the party type's defaults.")] = None,
    jwks: Annotated[Path | None, typer.Option(
        help="A public JWK Set file: the client authenticates with private_key_jwt.")] = None,
) -> None:
    """Create a client. Its secret is printed once, here, and never stored."""
    jwks_text = None
    if jwks is not None:
        try:
            jwks_text = jwks.read_text(encoding="utf-8")
        except OSError as exc:
            raise InvalidInput(f"Cannot read {jwks}: {exc.strerror}.") from None
    with _graph() as (driver, database):
        client_id, secret = clients.create_client(driver, party, scope, jwks=jwks_text,
                                                  database=database)
        created = clients.get_client(driver, client_id, database=database)
    typer.echo(f"client_id: {client_id}")
    if secret is not None:
        typer.echo(f"client_secret: {secret}")
        _say("Store the secret now: it is shown only this once (only a hash is kept).")
    else:
        _say("This client authenticates with private_key_jwt (no secret).")
    _say(f"scopes: {' '.join(sorted(created.scopes))}")


@client_app.command("list")
@friendly
def client_list(party: Annotated[str | None, typer.Option(help="Only this party.")] = None,
                ) -> None:
    """List clients (never their secrets)."""
    with _graph() as (driver, database):
        found = clients.list_clients(driver, party, database=database)
    for c in found:
        state = "disabled" if c.disabled else "active"
        typer.echo(f"{c.client_id}\t{c.party_id}\t{c.auth_method}\t{state}\t"
                   f"{' '.join(sorted(c.scopes))}")
    _say(f"{len(found)} client(s).")


@client_app.command("disable")
@friendly
def client_disable(client_id: Annotated[str, typer.Argument(help="The client id.")]) -> None:
    """Disable a client: no new tokens; its live tokens are refused (within 5 s)."""
    with _graph() as (driver, database):
        clients.set_client_disabled(driver, client_id, True, database=database)
    _say(f"client {client_id} disabled.")


# -- keys --------------------------------------------------------------------------------
@keys_app.command("rotate")
@friendly
def keys_rotate(alg: Annotated[str | None, typer.Option(
        help="ES256, RS256 or PS256 (default HUB_KEY_ALG).")] = None) -> None:
    """Generate a new signing key; older keys stay published until retired."""
    key = KeyStore.from_settings(get_settings()).rotate(alg)
    typer.echo(key.kid)
    _say(f"new signing key {key.kid} ({key.alg}) in {key.path.parent}.")


@keys_app.command("list")
@friendly
def keys_list() -> None:
    """List the published keys, newest (signing) first."""
    store = KeyStore.from_settings(get_settings())
    for index, key in enumerate(store.published()):
        role = "signing" if index == 0 else "published"
        typer.echo(f"{key.kid}\t{key.alg}\t{key.created_at.isoformat(timespec='seconds')}\t"
                   f"{role}")


@keys_app.command("retire")
@friendly
def keys_retire(kid: Annotated[str | None, typer.Argument(
        help="Key to retire; default: every key superseded for longer than the token TTL.")]
        = None) -> None:
    """Retire (delete) old keys: tokens they signed stop validating."""
    settings = get_settings()
    store = KeyStore.from_settings(settings)
    if kid:
        targets = [kid]
    else:
        grace = timedelta(seconds=settings.token_ttl + settings.token_leeway)
        targets = [k.kid for k in store.superseded(grace)]
    for target in targets:
        store.retire(target)
        _say(f"retired {target}.")
    if not targets:
        _say("nothing to retire.")
