"""`civicmap areas`: import boundary files, download them from geoBoundaries, assign reports."""

from __future__ import annotations

import sys
from pathlib import Path

import click
import geopandas as gpd
from sqlalchemy.engine import Connection

from mapping.areas.download import download
from mapping.areas.files import parents_by_location, read_boundaries
from mapping.areas.index import AreaIndexCache
from mapping.cli.group import BOUNDARIES, Group, count_reports, open_engine
from mapping.reports import effort, ingest
from mapping.settings import Settings
from mapping.storage import areas as area_store


@click.group(cls=Group)
def areas() -> None:
    """Administrative areas: import, download, assign reports to them."""


def import_areas(
    settings: Settings,
    path: Path,
    level: int,
    code: str | None,
    name: str | None,
    parent: str | None,
) -> None:
    found = read_boundaries(
        path, level=level, code_field=code, name_field=name, parent_field=parent
    )
    engine = open_engine(settings)
    with engine.begin() as conn:
        if parent is None:
            _parents_by_location(conn, found.frame, level)
        stored = area_store.save_areas(conn, found.frame, source=path.name)
    if found.reprojected_from:
        click.echo(f"reprojected from {found.reprojected_from} to WGS84")
    click.echo(f"{found.repaired} invalid polygons repaired")
    click.echo(f"{stored} areas of level {level} stored from {path.name}")
    if count_reports(engine):
        click.echo("reports already stored keep their old areas: run `civicmap areas assign`")


def _parents_by_location(conn: Connection, frame: gpd.GeoDataFrame, level: int) -> None:
    """Give areas without a parent field the stored area of the next coarser level that holds
    most of each: names and codes of different boundary sets seldom match, places do."""
    rows = area_store.index_rows(conn)
    coarser = [lv for _, lv, _ in rows if lv < level]
    if not coarser:
        return
    up = max(coarser)
    parents, orphans = parents_by_location(frame, [(c, g) for c, lv, g in rows if lv == up])
    frame["parent"] = parents.to_numpy()
    click.echo(
        f"parents found by location: {parents.notna().sum()} areas in "
        f"{parents.nunique()} level-{up} areas"
    )
    if orphans:
        click.echo(f"  {len(orphans)} meet no level-{up} area: {', '.join(orphans[:20])}")


@areas.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--level", type=click.IntRange(0, 5), required=True, help="Administrative level.")
@click.option("--code-field", help="Field with the area code (geoBoundaries: shapeISO/shapeID).")
@click.option("--name-field", help="Field with the area name (geoBoundaries: shapeName).")
@click.option(
    "--parent-field",
    help="Field with the code of the area one level up (else: found by where areas lie).",
)
@click.pass_obj
def areas_import(
    settings: Settings,
    path: Path,
    level: int,
    code_field: str | None,
    name_field: str | None,
    parent_field: str | None,
) -> None:
    """Import boundaries from GeoJSON, GeoPackage or Shapefile (any CRS)."""
    import_areas(settings, path, level, code_field, name_field, parent_field)


@areas.command("download")
@click.argument("iso3")
@click.option("--level", type=click.IntRange(0, 5), required=True, help="ADM level.")
@click.option("--simplified", is_flag=True, help="The simplified outlines (smaller file).")
@click.option(
    "--import/--no-import",
    "then_import",
    default=True,
    show_default=True,
    help="Import the file once downloaded.",
)
@click.option(
    "--folder",
    type=click.Path(file_okay=False, path_type=Path),
    default=BOUNDARIES,
    show_default=True,
)
@click.pass_obj
def areas_download(
    settings: Settings, iso3: str, level: int, simplified: bool, then_import: bool, folder: Path
) -> None:
    """Download a country's boundaries from geoBoundaries (gbOpen, CC BY 4.0)."""
    got = download(
        iso3, level, api_url=settings.geoboundaries_url, folder=folder, simplified=simplified
    )
    click.echo(f"saved {got.path} ({got.license or 'licence not stated'}; {got.source or ''})")
    if then_import:
        import_areas(settings, got.path, level, None, None, None)


@areas.command("assign")
@click.option("--batch-size", default=5000, show_default=True)
@click.pass_obj
def areas_assign(settings: Settings, batch_size: int) -> None:
    """Decide again which areas hold every stored report (after an import)."""
    engine = open_engine(settings)
    index = AreaIndexCache(engine).current()
    total = count_reports(engine)
    with click.progressbar(length=total, label="assigning reports", file=sys.stderr) as bar:
        done = ingest.reassign_areas(
            engine,
            index,
            public_resolution=settings.public_h3_resolution,
            batch_size=batch_size,
            progress=bar.update,
        )
    click.echo(f"{done} reports assigned to areas of levels {index.levels}")
    visits = effort.reassign_areas(engine, index)
    click.echo(f"{visits} effort visits assigned to areas")
