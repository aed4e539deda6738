"""`civicmap demo`: areas, a demo campaign, synthetic reports and visits, real facilities."""

from __future__ import annotations

from pathlib import Path

import click

from mapping.areas.index import AreaIndexCache
from mapping.cli.areas import import_areas
from mapping.cli.group import BOUNDARIES, SHARED_DATA, open_engine
from mapping.cli.reports import run_import
from mapping.errors import Conflict
from mapping.imports import demo as demo_data
from mapping.imports.sources import GHANA_HEALTH_FACILITIES
from mapping.reports import effort, ingest
from mapping.settings import Settings
from mapping.storage import areas as area_store
from mapping.storage import campaigns as campaign_store


@click.command()
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
    import_areas(settings, boundaries, 1, None, None, None)
    engine = open_engine(settings)
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
    index = AreaIndexCache(engine).current()
    policies = settings.policies()
    limits = policies.ingest
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
    stored = 0
    for visit in visits:
        try:
            recorded = effort.record_visit(engine, visit, limits=policies.effort, areas=index)
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
        run_import(settings, facilities, demo_data.GHANA_FACILITIES, source=GHANA_HEALTH_FACILITIES)


def _first_existing(*paths: Path) -> Path | None:
    return next((p for p in paths if p.exists()), None)
