"""The `civicmap` entry point: the domain's commands, and `serve`, which starts the web app.

`serve` lives here, above the domain, so that nothing in `mapping` names the web layer.
"""

from __future__ import annotations

import sys

import click

from mapping.areas.index import AreaIndexCache
from mapping.cli.main import main
from mapping.reports import ingest
from mapping.settings import Settings
from mapping.storage import make_engine
from mapping.storage import migrate as migrations


@main.command()
@click.option("--host", default=None, help="Address to listen on (CIVICMAP_HOST).")
@click.option("--port", default=None, type=int, help="Port to listen on (CIVICMAP_PORT).")
@click.option("--workers", default=1, show_default=True, help="Worker processes.")
@click.pass_obj
def serve(settings: Settings, host: str | None, port: int | None, workers: int) -> None:
    """Serve the API and pages; an empty database is set up first."""
    import uvicorn

    engine = make_engine(settings.database_url, spatialite=settings.spatialite_library)
    revision = migrations.current_revision(engine)
    if revision is None:
        click.echo("empty database: creating the schema")
        migrations.upgrade(engine)
    elif revision != migrations.head_revision():
        click.echo(f"the schema is at {revision}: run `civicmap db upgrade` first", err=True)
        sys.exit(1)
    if ingest.republish_if_needed(
        engine, AreaIndexCache(engine).current(), settings.public_h3_resolution
    ):
        click.echo(
            f"reports placed for the public at H3 resolution {settings.public_h3_resolution}"
        )
    engine.dispose()
    uvicorn.run(
        "api.app:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        # X-Forwarded-For only from the proxies named; without any, nobody may set the address
        # that quotas count (uvicorn would otherwise believe any local client).
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=",".join(settings.trusted_proxies) or None,
    )


__all__ = ["main"]
