"""What every `civicmap` command shares: the group class, the engine, the data folders."""

from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy.engine import Engine

from mapping.areas.index import AreaIndexCache
from mapping.errors import CivicMapError
from mapping.reports import ingest
from mapping.settings import Settings
from mapping.storage import make_engine
from mapping.storage import migrate as migrations
from mapping.storage import reports as report_store

ROOT = Path(__file__).resolve().parents[2]
BOUNDARIES = ROOT / "data" / "boundaries"
SHARED_DATA = ROOT.parent / "shared" / "data"


class Group(click.Group):
    """Domain errors end the command with their message, not a traceback."""

    def invoke(self, ctx: click.Context):  # type: ignore[no-untyped-def]
        try:
            return super().invoke(ctx)
        except CivicMapError as exc:
            raise click.ClickException(exc.detail) from None


def open_engine(settings: Settings) -> Engine:
    """The database engine, with the schema brought up to date first."""
    engine = make_engine(settings.database_url, spatialite=settings.spatialite_library)
    migrations.upgrade(engine)
    index = AreaIndexCache(engine).current()
    ingest.republish_if_needed(engine, index, settings.public_h3_resolution)
    return engine


def count_reports(engine: Engine) -> int:
    with engine.connect() as conn:
        return report_store.count(conn)


def pairs(values: tuple[str, ...], option: str) -> dict[str, str]:
    """`NAME=VALUE` options as a dict; a value without `=` is a usage error."""
    found = {}
    for value in values:
        key, sep, rest = value.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{value!r}: write NAME=VALUE", param_hint=option)
        found[key] = rest
    return found
