"""The `civicmap` command line. It never needs the web app to manage data."""

from __future__ import annotations

import sys

import click

from mapping.settings import Settings
from mapping.storage import make_engine
from mapping.storage import migrate as migrations


@click.group()
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
    engine = make_engine(settings.database_url)
    migrations.upgrade(engine)
    click.echo(f"schema at {migrations.current_revision(engine)}")


@main.command()
@click.option("--host", default=None, help="Address to listen on (CIVICMAP_HOST).")
@click.option("--port", default=None, type=int, help="Port to listen on (CIVICMAP_PORT).")
@click.option("--workers", default=1, show_default=True, help="Worker processes.")
@click.pass_obj
def serve(settings: Settings, host: str | None, port: int | None, workers: int) -> None:
    """Serve the API and pages; an empty database is set up first."""
    import uvicorn

    engine = make_engine(settings.database_url)
    revision = migrations.current_revision(engine)
    if revision is None:
        click.echo("empty database: creating the schema")
        migrations.upgrade(engine)
    elif revision != migrations.head_revision():
        click.echo(f"the schema is at {revision}: run `civicmap db upgrade` first", err=True)
        sys.exit(1)
    engine.dispose()
    uvicorn.run(
        "api.app:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        proxy_headers=True,
    )
