"""The `civicmap` command line. It never needs the web app to manage data."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from sqlalchemy.engine import Engine

from mapping import cli_coverage, cli_import, effort, ingest
from mapping import demo as demo_data
from mapping.areas import read_boundaries
from mapping.boundaries import download
from mapping.cli_group import Group
from mapping.cli_import import run_import
from mapping.errors import Conflict
from mapping.keys import ROLES, create_key
from mapping.settings import Settings
from mapping.storage import areas as area_store
from mapping.storage import campaigns as campaign_store
from mapping.storage import make_engine
from mapping.storage import migrate as migrations
from mapping.storage import reports as report_store
from mapping.storage import trust as trust_store

ROOT = Path(__file__).resolve().parents[1]
BOUNDARIES = ROOT / "data" / "boundaries"
SHARED_DATA = ROOT.parent / "shared" / "data"


def _engine(settings: Settings) -> Engine:
    """The database engine, with the schema brought up to date first."""
    engine = make_engine(settings.database_url)
    migrations.upgrade(engine)
    return engine


def _limits(settings: Settings) -> ingest.Limits:
    return ingest.limits_from(settings)


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


@main.group(cls=Group)
def areas() -> None:
    """Administrative areas: import, download, assign reports to them."""


def _import_areas(
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
    engine = _engine(settings)
    with engine.begin() as conn:
        stored = area_store.save_areas(conn, found.frame, source=path.name)
    if found.reprojected_from:
        click.echo(f"reprojected from {found.reprojected_from} to WGS84")
    click.echo(f"{found.repaired} invalid polygons repaired")
    click.echo(f"{stored} areas of level {level} stored from {path.name}")
    if _count(engine):
        click.echo("reports already stored keep their old areas: run `civicmap areas assign`")


@areas.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--level", type=click.IntRange(0, 5), required=True, help="Administrative level.")
@click.option("--code-field", help="Field with the area code (geoBoundaries: shapeISO/shapeID).")
@click.option("--name-field", help="Field with the area name (geoBoundaries: shapeName).")
@click.option("--parent-field", help="Field with the code of the area one level up.")
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
    _import_areas(settings, path, level, code_field, name_field, parent_field)


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
        _import_areas(settings, got.path, level, None, None, None)


@areas.command("assign")
@click.option("--batch-size", default=5000, show_default=True)
@click.pass_obj
def areas_assign(settings: Settings, batch_size: int) -> None:
    """Decide again which areas hold every stored report (after an import)."""
    engine = _engine(settings)
    index = area_store.AreaIndexCache(engine).current()
    total = _count(engine)
    with click.progressbar(length=total, label="assigning reports", file=sys.stderr) as bar:
        done = ingest.reassign_areas(engine, index, batch_size=batch_size, progress=bar.update)
    click.echo(f"{done} reports assigned to areas of levels {index.levels}")
    visits = effort.reassign_areas(engine, index)
    click.echo(f"{visits} effort visits assigned to areas")


@main.group(cls=Group)
def reports() -> None:
    """Reports: bulk import."""


# `reports import` lives in its own module (every format, presets, column mappings).
reports.add_command(cli_import.reports_import)


@main.command()
@click.option(
    "--boundaries",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Level-1 boundaries (default: Ghana's regions from the shared data).",
)
@click.option(
    "--facilities",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Ghana health facilities CSV to import as real service points "
    "(default: the shared data's, when present).",
)
@click.option("--count", default=3000, show_default=True, help="Synthetic reports to make.")
@click.option("--seed", default=7, show_default=True)
@click.pass_obj
def demo(
    settings: Settings, boundaries: Path | None, facilities: Path | None, count: int, seed: int
) -> None:
    """Fill the database with demo data: areas, a demo campaign, synthetic and real reports."""
    boundaries = boundaries or _first_existing(
        BOUNDARIES / "geoBoundaries-GHA-ADM1.geojson",
        SHARED_DATA / "geoboundaries_gha_adm1_simplified.geojson",
    )
    if boundaries is None:
        raise click.ClickException(
            "no boundaries found: give --boundaries FILE or run `civicmap areas download GHA "
            "--level 1`"
        )
    _import_areas(settings, boundaries, 1, None, None, None)
    engine = _engine(settings)
    with engine.begin() as conn:
        campaign_store.save_campaign(
            conn,
            slug=demo_data.DEMO_CAMPAIGN,
            title=demo_data.DEMO_TITLE,
            kind="service",
            description="Synthetic reports made by `civicmap demo` to show what CivicMap does. "
            "They describe no real place, service or person.",
            demo=True,
        )
        outlines = [g for _, _, g in area_store.index_rows(conn)]
    places = SHARED_DATA / "ne_10m_populated_places_west_africa.geojson"
    coast = SHARED_DATA / "ne_10m_coastline_ghana.geojson"
    features = demo_data.synthetic_reports(
        outlines,
        count=count,
        seed=seed,
        towns=demo_data.read_towns(places) if places.exists() else (),
        coast=demo_data.read_coast(coast) if coast.exists() else None,
    )
    index = area_store.AreaIndexCache(engine).current()
    limits = _limits(settings)
    created = 0
    for start in range(0, len(features), limits.max_batch_features):
        batch = {
            "type": "FeatureCollection",
            "features": features[start : start + limits.max_batch_features],
        }
        created += ingest.submit_batch(engine, batch, limits=limits, areas=index).created
    click.echo(f"{created} synthetic demo reports stored (campaign {demo_data.DEMO_CAMPAIGN!r})")
    visits = demo_data.synthetic_visits(
        outlines,
        count=max(count // 10, 1),
        seed=seed,
        towns=demo_data.read_towns(places) if places.exists() else (),
        coast=demo_data.read_coast(coast) if coast.exists() else None,
    )
    effort_limits = effort.EffortLimits(
        resolution=settings.effort_h3_resolution, max_track_m=settings.max_effort_track_km * 1000
    )
    stored = 0
    for visit in visits:
        try:
            recorded = effort.record_visit(engine, visit, limits=effort_limits, areas=index)
        except Conflict:
            continue  # an earlier demo run stored it, with times relative to that day
        stored += recorded.outcome == "created"
    click.echo(f"{stored} synthetic observer visits stored")
    facilities = facilities or _first_existing(SHARED_DATA / "ghana_health_facilities.csv")
    if facilities is not None:
        click.echo(f"importing real health facilities from {facilities.name}")
        # Its rows name this campaign; stored, they are not flagged `unknown_campaign`.
        with engine.begin() as conn:
            campaign_store.save_campaign(
                conn,
                slug=demo_data.GHANA_FACILITIES.campaign,
                title="Ghana health facility list (2016)",
                kind="service",
                categories=["health_facility"],
                description="The Ghana Open Data Initiative's list of health facilities.",
            )
        run_import(settings, facilities, demo_data.GHANA_FACILITIES)


def _first_existing(*paths: Path) -> Path | None:
    return next((p for p in paths if p.exists()), None)


def _count(engine: Engine) -> int:
    with engine.connect() as conn:
        return report_store.count(conn)


@main.group(cls=Group)
def keys() -> None:
    """API keys: each carries one role (volunteer, moderator, planner, admin)."""


@keys.command("create")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--name", required=True, help="Who holds the key, e.g. 'Accra moderators'.")
@click.pass_obj
def keys_create(settings: Settings, role: str, name: str) -> None:
    """Make a key and print it, this once: only its hash is stored."""
    engine = _engine(settings)
    with engine.begin() as conn:
        key_id, key = create_key(conn, name=name, role=role)
    click.echo(key)
    click.echo(f"id {key_id}, role {role}: keep the key now, it cannot be shown again", err=True)


@keys.command("list")
@click.pass_obj
def keys_list(settings: Settings) -> None:
    """The keys, without their secret part."""
    engine = _engine(settings)
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
    engine = _engine(settings)
    with engine.begin() as conn:
        done = trust_store.revoke_key(conn, prefix_or_id=key.removesuffix("..."))
    if not done:
        raise click.ClickException(f"no active key {key!r}; see `civicmap keys list`")
    click.echo(f"revoked {done} key")


# Official facility lists and population (coverage analysis) live in their own module.
main.add_command(cli_coverage.facilities)
main.add_command(cli_coverage.population)
