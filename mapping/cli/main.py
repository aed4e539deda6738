"""The `civicmap` command group of the domain. `api.cli` adds `serve` to it."""

from __future__ import annotations

import click

from mapping.cli.areas import areas
from mapping.cli.census import census
from mapping.cli.coverage import facilities, population
from mapping.cli.demo import demo
from mapping.cli.group import Group
from mapping.cli.keys import keys
from mapping.cli.releases import release
from mapping.cli.reports import reports
from mapping.settings import Settings
from mapping.storage import make_engine, tallies
from mapping.storage import migrate as migrations


@click.group(cls=Group)
@click.version_option(package_name="civicmap")
@click.pass_context
def main(ctx: click.Context) -> None:
    """CivicMap: participatory mapping of public services, beach litter and hotspots."""
    ctx.obj = Settings()


@main.group()
def db() -> None:
    """The database schema."""


@db.command("upgrade")
@click.pass_obj
def db_upgrade(settings: Settings) -> None:
    """Create or bring the schema up to date."""
    engine = make_engine(settings.database_url, spatialite=settings.spatialite_library)
    migrations.upgrade(engine)
    click.echo(f"schema at {migrations.current_revision(engine)}")


@main.group("tallies")
def tallies_group() -> None:
    """The tallies that hexagon and area answers read."""


@tallies_group.command("rebuild")
@click.pass_obj
def tallies_rebuild(settings: Settings) -> None:
    """Recompute every tally from the stored reports (the database keeps them as reports
    change; this is for after a repair by hand)."""
    engine = make_engine(settings.database_url, spatialite=settings.spatialite_library)
    migrations.upgrade(engine)
    with engine.begin() as conn:
        counts = tallies.rebuild(conn)
    click.echo(", ".join(f"{table}: {n} rows" for table, n in counts.items()))


for command in (areas, reports, demo, keys, facilities, population, release, census):
    main.add_command(command)
