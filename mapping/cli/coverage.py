"""`civicmap facilities` and `civicmap population`: the layers coverage analysis weighs."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import click

from mapping.analysis.census import read_margins
from mapping.analysis.coverage.facilities import (
    FacilityColumns,
    FacilityList,
    read_facilities,
    slug,
)
from mapping.analysis.coverage.tiers import TierColumns, match_tiers, read_tiers
from mapping.analysis.population import (
    DEFAULT_SPREAD_RESOLUTION,
    RASTER_SUBDIVISION,
    read_population,
    read_raster,
)
from mapping.analysis.rake import rake as rake_grid
from mapping.areas.index import AreaIndexCache
from mapping.cli.group import Group, open_engine, pairs
from mapping.errors import InvalidInput
from mapping.imports.sources import KNOWN, source_from
from mapping.settings import Settings
from mapping.storage import facilities as facility_store
from mapping.storage import population as population_store
from mapping.storage import sources as source_store
from mapping.storage.population import Layer
from mapping.storage.sources import Source

SHOWN = 20  # refused rows and shared coordinates printed; --report has them all


@click.group(cls=Group)
def facilities() -> None:
    """Official service facility lists, kept apart from citizen reports."""


@facilities.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--source", help="Name of the list (default: the file's name); replaces it.")
@click.option("--name-column", default="FacilityName", show_default=True)
@click.option("--type-column", default="Type", show_default=True, help="'' for none.")
@click.option("--ownership-column", default="Ownership", show_default=True, help="'' for none.")
@click.option("--lon", "lon_column", help="Longitude column (found by name if not given).")
@click.option("--lat", "lat_column", help="Latitude column (found by name if not given).")
@click.option("--code-column", help="Column with the list's own facility ids.")
@click.option("--category", default="health_facility", show_default=True)
@click.option("--category-column", help="Column with each row's category.")
@click.option("--category-value", multiple=True, help="FILE_VALUE=CODE for --category-column.")
@click.option(
    "--type-alias",
    multiple=True,
    help="FILE_VALUE=TYPE, e.g. CPHS=CHPS (Ghana's typos are known already).",
)
@click.option("--status-column", help="Column with the register's status of each facility.")
@click.option(
    "--status-value",
    multiple=True,
    help="FILE_VALUE=STATUS (operational, partly, closed) for --status-column.",
)
@click.option(
    "--tiers",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A CSV of Region, Facility Name, Tier giving facilities their tier (matched by name "
    "within the region of the list's own Region column).",
)
@click.option("--source-title", help="Title of the list's source.")
@click.option("--license", "license_", help="SPDX licence id; 'not stated' where none is.")
@click.option("--credit", help="The credit the source's terms require.")
@click.option("--source-url", help="Where the list is published.")
@click.option(
    "--report",
    "out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write every refused row and every shared position to this CSV.",
)
@click.pass_obj
def facilities_import(
    settings: Settings,
    path: Path,
    source: str | None,
    name_column: str,
    type_column: str,
    ownership_column: str,
    lon_column: str | None,
    lat_column: str | None,
    code_column: str | None,
    category: str,
    category_column: str | None,
    category_value: tuple[str, ...],
    type_alias: tuple[str, ...],
    status_column: str | None,
    status_value: tuple[str, ...],
    tiers: Path | None,
    out: Path | None,
    **about: str | None,
) -> None:
    """Import a facility list from CSV; defaults fit Ghana's health facility list. The list's
    source is recorded with its licence and credit (a known list's, e.g.
    `ghana-health-facilities`, unless told otherwise; else "licence not stated")."""
    defaults = FacilityColumns()
    columns = FacilityColumns(
        name=name_column,
        type=type_column or None,
        ownership=ownership_column or None,
        lon=lon_column,
        lat=lat_column,
        code=code_column,
        category=category,
        category_column=category_column,
        category_values=pairs(category_value, "--category-value"),
        type_aliases={
            **defaults.type_aliases,
            **{k.lower(): v for k, v in pairs(type_alias, "--type-alias").items()},
        },
        status=status_column,
        status_values=pairs(status_value, "--status-value"),
    )
    found = read_facilities(path, columns)
    if tiers is not None:
        matched = match_tiers(found.rows, read_tiers(tiers, TierColumns()), TierColumns())
        found.rows["tier"] = matched.tiers
        click.echo(
            f"tiers: {matched.matched} facilities given one by {matched.listed} rows of "
            f"{tiers.name}; {len(matched.unmatched)} rows match no facility"
        )
    name = source or slug(path.stem)
    engine = open_engine(settings)
    index = AreaIndexCache(engine).current()
    origin = _origin(name, **about)
    with engine.begin() as conn:
        stored = facility_store.replace_list(conn, found.rows, source=name, areas=index)
        source_store.upsert(conn, origin)
    _print_facilities(found, stored, name)
    click.echo(f"source: {origin.title} ({origin.license or 'licence not stated'})")
    if out is not None:
        _write_report(found, out)


def _origin(
    name: str,
    *,
    source_title: str | None,
    license_: str | None,
    credit: str | None,
    source_url: str | None,
) -> Source:
    base = KNOWN.get(name) or Source(name[:64], name[:200])
    given = source_from(base, title=source_title, license=license_, credit=credit, url=source_url)
    return given or base


def _print_facilities(found: FacilityList, stored: int, name: str) -> None:
    click.echo(
        f"{found.read} rows: {stored} facilities stored as list {name!r}, "
        f"{len(found.refused)} refused"
    )
    for row, reason in found.refused[:SHOWN]:
        click.echo(f"  row {row}: {reason}")
    if len(found.refused) > SHOWN:
        click.echo(f"  ... and {len(found.refused) - SHOWN} more")
    for column, renames in found.renamed.items():
        for (raw, normal), n in sorted(renames.items()):
            click.echo(f"{column} {raw!r} read as {normal!r} ({n} rows)")
    shared = found.shared_coordinates
    rows = sum(len(r) for _, _, r in shared)
    click.echo(f"{rows} rows share their position with another ({len(shared)} positions); kept")
    for lon, lat, numbers in shared[:SHOWN]:
        click.echo(f"  {lon}, {lat}: rows {', '.join(map(str, numbers))}")
    if len(shared) > SHOWN:
        click.echo(f"  ... and {len(shared) - SHOWN} more positions")


def _write_report(found: FacilityList, out: Path) -> None:
    with out.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["row", "outcome", "detail"])
        writer.writerows((row, "refused", reason) for row, reason in found.refused)
        for lon, lat, numbers in found.shared_coordinates:
            writer.writerows((n, "shared_position", f"{lon}, {lat}") for n in numbers)
    click.echo(f"row report written to {out}")


@click.group(cls=Group)
def population() -> None:
    """Population counts, the demand coverage analysis weighs hexagons by."""


RASTER_SUFFIXES = (".tif", ".tiff", ".vrt", ".img", ".asc")


@dataclass(frozen=True, slots=True)
class RakeTo:
    """Census margins to rake a grid to: a CSV of counts per area of `level`."""

    path: Path
    level: int
    area_column: str
    count_column: str
    source: str


@population.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--field", help="Points and areas: the field with the population, e.g. POP_MAX.")
@click.option("--source", help="Name of the layer (default: the file's name); replaces it.")
@click.option("--title", help="What the layer is, as answers name it (default: its name).")
@click.option("--year", type=click.IntRange(1800, 2200), help="The year it counts people in.")
@click.option(
    "--resolution",
    type=click.IntRange(0, 15),
    default=DEFAULT_SPREAD_RESOLUTION,
    show_default=True,
    help="H3 resolution that a raster's pixels and areas' counts are placed at.",
)
@click.option("--rake-to", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--rake-level", type=click.IntRange(0, 5), default=1, show_default=True)
@click.option("--rake-area-column", default="region", show_default=True)
@click.option("--rake-count-column", default="population_2021", show_default=True)
@click.option("--rake-source", default="census", show_default=True, help="The margins' credit.")
@click.pass_obj
def population_import(
    settings: Settings,
    path: Path,
    field: str | None,
    source: str | None,
    title: str | None,
    year: int | None,
    resolution: int,
    rake_to: Path | None,
    rake_level: int,
    rake_area_column: str,
    rake_count_column: str,
    rake_source: str,
) -> None:
    """Import a population grid (GeoTIFF or another raster, any CRS), or points or areas with
    a population field (GeoJSON, GeoPackage, Shapefile). With --rake-to, scale the layer so each
    area's cells sum to its census count (a CSV with an area code or name column)."""
    rake = (
        RakeTo(rake_to, rake_level, rake_area_column, rake_count_column, rake_source)
        if rake_to
        else None
    )
    import_population(
        settings,
        path,
        field=field,
        source=source,
        title=title,
        year=year,
        resolution=resolution,
        rake=rake,
    )


def import_population(
    settings: Settings,
    path: Path,
    *,
    field: str | None = None,
    source: str | None = None,
    title: str | None = None,
    year: int | None = None,
    resolution: int = DEFAULT_SPREAD_RESOLUTION,
    rake: RakeTo | None = None,
) -> None:
    raster = path.suffix.lower() in RASTER_SUFFIXES
    if raster:
        found = read_raster(path, resolution=resolution)
        method = (
            f"a {found.pixels:,}-pixel grid summed into resolution-{resolution} H3 cells "
            f"(each pixel split over {RASTER_SUBDIVISION} by {RASTER_SUBDIVISION} sub-pixels, "
            "each in the cell holding its centre)"
        )
    elif field is None:
        raise click.UsageError("--field is needed for points and areas (or give a raster).")
    else:
        found = read_population(path, field=field, resolution=resolution)
        method = (
            f"{found.points} points in their cell and {found.areas} areas spread evenly over "
            f"their resolution-{resolution} cells"
        )
    if found.frame.empty:
        raise InvalidInput(f"{path.name} places no one: every pixel or feature was skipped.")
    name = source or slug(path.stem)
    engine = open_engine(settings)
    frame, raked = found.frame, None
    if rake is not None:
        index = AreaIndexCache(engine).current()
        with engine.connect() as conn:
            margins, _ = read_margins(
                conn,
                rake.path,
                level=rake.level,
                area_column=rake.area_column,
                groups={"total": rake.count_column},
            )
        done = rake_grid(
            frame, index, level=rake.level, margins={c: g["total"] for c, g in margins.items()}
        )
        frame, raked = done.frame, done.record(level=rake.level, margins_source=rake.source)
        method += f"; raked to {rake.source} counts of the level-{rake.level} areas"
    layer = Layer(
        name, title or name, year, method, float(frame["population"].sum()), found.total, raked
    )
    with engine.begin() as conn:
        stored = population_store.replace_source(conn, frame, source=name, layer=layer)
    if raster:
        click.echo(f"{found.pixels:,} pixels with people, population {found.total:,.0f}")
    else:
        click.echo(f"{found.points} points and {found.areas} areas, population {found.total:,.0f}")
    for index_, reason in found.skipped[:SHOWN]:
        click.echo(f"  feature {index_} skipped: {reason}")
    if raked is not None:
        click.echo(f"raked to {rake.source if rake else ''}: population {layer.total:,.0f}")
        for code, factor in raked["factors"].items():
            click.echo(f"  {code}: times {factor:.3f}")
        if raked["outside_cells"]:
            click.echo(
                f"  {raked['outside_cells']} cells in no area with a count keep their "
                f"{raked['outside']:,.0f} people"
            )
    click.echo(f"placed in {stored} H3 cells as layer {name!r}; coverage now weighs people")
