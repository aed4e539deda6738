"""`civicmap release`: frozen, citable snapshots of the indicators."""

from __future__ import annotations

import click

from mapping.cli.group import Group, open_engine
from mapping.releases.snapshot import create_release, list_releases
from mapping.settings import Settings


@click.group(cls=Group)
def release() -> None:
    """Releases: dated snapshots of the indicator tables, never changed once made."""


@release.command("create")
@click.option("--level", type=click.IntRange(0, 5), required=True, help="Area level.")
@click.option("--title", required=True, help="What the release is, e.g. '16.6.2 Q1 2026'.")
@click.option(
    "--first", "first", metavar="YYYY-MM", help="First month (default: the first report's)."
)
@click.option("--last", metavar="YYYY-MM", help="Last month (default: last whole month).")
@click.option("--replaces", metavar="ID", help="The release this one corrects.")
@click.pass_obj
def release_create(
    settings: Settings,
    level: int,
    title: str,
    first: str | None,
    last: str | None,
    replaces: str | None,
) -> None:
    """Freeze the indicators of one area level and print the new release's id."""
    engine = open_engine(settings)
    with engine.begin() as conn:
        document = create_release(
            conn,
            level=level,
            title=title,
            first=first,
            last=last,
            threshold=settings.suppression_threshold,
            license=settings.data_license,
            replaces=replaces,
            wg_domains=settings.washington_group_domains,
        )
    click.echo(document["id"])
    period = document["period"]
    click.echo(
        f"level {level}, {period['since']} to {period['until']} (exclusive), "
        f"{document['data_version']['reports']} reports; GET /api/v1/releases/{document['id']}",
        err=True,
    )


@release.command("list")
@click.pass_obj
def release_list(settings: Settings) -> None:
    """The releases, newest first."""
    engine = open_engine(settings)
    with engine.connect() as conn:
        rows = list_releases(conn)
    for r in rows:
        note = f"  replaced by {r['replaced_by']}" if r["replaced_by"] else ""
        click.echo(f"{r['id']}  {r['created_at']}  {r['title']}{note}")
