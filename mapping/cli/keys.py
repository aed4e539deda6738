"""`civicmap keys`: API keys, each with one role; only their hashes are stored."""

from __future__ import annotations

import click

from mapping.cli.group import Group, open_engine
from mapping.keys import ROLES, create_key
from mapping.settings import Settings
from mapping.storage import trust as trust_store


@click.group(cls=Group)
def keys() -> None:
    """API keys: each carries one role (volunteer, moderator, planner, admin)."""


@keys.command("create")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--name", required=True, help="Who holds the key, e.g. 'Accra moderators'.")
@click.pass_obj
def keys_create(settings: Settings, role: str, name: str) -> None:
    """Make a key and print it, this once: only its hash is stored."""
    engine = open_engine(settings)
    with engine.begin() as conn:
        key_id, key = create_key(conn, name=name, role=role)
    click.echo(key)
    click.echo(f"id {key_id}, role {role}: keep the key now, it cannot be shown again", err=True)


@keys.command("list")
@click.pass_obj
def keys_list(settings: Settings) -> None:
    """The keys, without their secret part."""
    engine = open_engine(settings)
    with engine.connect() as conn:
        rows = trust_store.list_keys(conn)
    for r in rows:
        state = f"revoked {r['revoked_at']:%Y-%m-%d}" if r["revoked_at"] else "active"
        click.echo(f"{r['prefix']}...  {r['id']}  {r['role']:<9}  {state:<18}  {r['name']}")


@keys.command("revoke")
@click.argument("key")
@click.pass_obj
def keys_revoke(settings: Settings, key: str) -> None:
    """Revoke a key, named by its id or the prefix `keys list` shows."""
    engine = open_engine(settings)
    with engine.begin() as conn:
        done = trust_store.revoke_key(conn, prefix_or_id=key.removesuffix("..."))
    if not done:
        raise click.ClickException(f"no active key {key!r}; see `civicmap keys list`")
    click.echo(f"revoked {done} key")
