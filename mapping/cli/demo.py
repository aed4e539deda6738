"""`civicmap demo`: regions and districts, a demo campaign, synthetic reports and visits, the
real facility register with synthetic citizen checks of it, a real population grid, and a
market price survey (an XLSForm) with synthetic responses."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import click

from mapping.analysis.coverage.facilities import FacilityColumns, read_facilities
from mapping.analysis.coverage.tiers import TierColumns, match_tiers, read_tiers
from mapping.areas.index import AreaIndexCache
from mapping.cli.areas import import_areas
from mapping.cli.coverage import RakeTo, import_population
from mapping.cli.group import BOUNDARIES, SHARED_DATA, open_engine
from mapping.errors import Conflict
from mapping.imports import demo as demo_data
from mapping.imports import demo_survey
from mapping.imports.sources import GHANA_HEALTH_FACILITIES, WORLDPOP_2020
from mapping.keys import Principal
from mapping.reports import effort, ingest, moderation
from mapping.reports.forms import catalogue
from mapping.reports.forms.responses import submit_response
from mapping.reports.moderation import ModerationChange
from mapping.settings import Settings
from mapping.storage import areas as area_store
from mapping.storage import campaigns as campaign_store
from mapping.storage import facilities as facility_store
from mapping.storage import population as population_store
from mapping.storage import sources as source_store
from mapping.storage.reports import EXACT


@click.command()
@click.option(
    "--boundaries",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Level-1 boundaries (default: Ghana's regions from the shared data).",
)
@click.option(
    "--facilities",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Ghana health facilities CSV to import as the facility register "
    "(default: the shared data's, when present).",
)
@click.option("--count", default=3000, show_default=True, help="Synthetic reports to make.")
@click.option("--seed", default=7, show_default=True)
@click.pass_obj
def demo(
    settings: Settings, boundaries: Path | None, facilities: Path | None, count: int, seed: int
) -> None:
    """Fill the database with demo data: areas, a demo campaign, synthetic reports, the real
    health facility register and population grid of Ghana."""
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
    _districts(settings)
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
        outlines = [g for _, level, g in area_store.index_rows(conn) if level == 1]
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
        _register(settings, facilities, seed=seed, count=max(count // 10, 1))
    _population(settings)
    _market_survey(settings, seed=seed, count=max(count // 15, 1))


def _market_survey(settings: Settings, *, seed: int, count: int) -> None:
    """The demo's questionnaire, a market price survey, with synthetic responses."""
    engine = open_engine(settings)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        campaign_store.save_campaign(
            conn,
            slug=demo_survey.CAMPAIGN,
            title=demo_survey.TITLE,
            kind="service",
            categories=["market"],
            description="Prices of staple foods in markets, asked with an XLSForm that ODK "
            "Collect can answer too. The responses are synthetic: real markets, made-up prices.",
            demo=True,
        )
        upload = catalogue.upload_form(
            conn,
            demo_survey.workbook(),
            campaign=demo_survey.CAMPAIGN,
            kind="survey",
            actor="demo",
            now=now,
        )
    made = demo_survey.synthetic_responses(count=count, seed=seed, until=now.date())
    stored = 0
    for instance_id, answers in made:
        saved = submit_response(
            engine,
            upload.form,
            answers,
            source="json",
            instance_id=instance_id,
            submitter=None,
            public_resolution=settings.public_h3_resolution,
        )
        stored += saved.outcome == "created"
    click.echo(f"{stored} synthetic market price responses stored (form {demo_survey.FORM_ID!r})")


def _districts(settings: Settings) -> None:
    """OCHA's districts as level 2, each under the region that holds most of it."""
    path = SHARED_DATA / "ghana_adm2_ocha_cod_2021.geojson"
    if path.exists():
        import_areas(settings, path, 2, "ADM2_PCODE", "ADM2_EN", None)


def _register(settings: Settings, path: Path, *, seed: int, count: int) -> None:
    """The official list as the register (never as citizen reports), and synthetic citizen
    visits to some of its facilities, a few of them verified, so its check has evidence."""
    click.echo(f"importing the health facility register from {path.name}")
    found = read_facilities(path, FacilityColumns())
    tiers = SHARED_DATA / "ghana_health_facility_tiers.csv"
    if tiers.exists():
        found.rows["tier"] = match_tiers(
            found.rows, read_tiers(tiers, TierColumns()), TierColumns()
        ).tiers
    engine = open_engine(settings)
    index = AreaIndexCache(engine).current()
    with engine.begin() as conn:
        stored = facility_store.replace_list(
            conn, found.rows, source=GHANA_HEALTH_FACILITIES.id, areas=index
        )
        source_store.upsert(conn, GHANA_HEALTH_FACILITIES)
    click.echo(f"{stored} register facilities stored, {len(found.refused)} rows refused")
    register = list(zip(found.rows["name"], found.rows["lon"], found.rows["lat"], strict=True))
    visits = demo_data.synthetic_register_checks(register, count=count, seed=seed)
    outcome = ingest.submit_batch(
        engine,
        {"type": "FeatureCollection", "features": visits},
        limits=settings.policies().ingest,
        areas=index,
    )
    verifier = Principal(name="demo")
    verified = 0
    for result in outcome.results[::2]:  # every other visit, as a moderator might have
        if result.get("outcome") == "created":
            moderation.moderate(
                engine,
                uuid.UUID(str(result["id"])),
                ModerationChange(status="verified", note=f"{demo_data.LABEL}verified"),
                actor=verifier,
                placement=EXACT,
            )
            verified += 1
    click.echo(f"{outcome.created} synthetic visits to register facilities, {verified} verified")


def _population(settings: Settings) -> None:
    """WorldPop's 2020 grid, raked to the 2021 census of the regions."""
    grid = SHARED_DATA / "gha_ppp_2020_1km_Aggregated_UNadj.tif"
    census = SHARED_DATA / "ghana_census2021_regions.csv"
    if not grid.exists():
        return
    engine = open_engine(settings)
    with engine.begin() as conn:
        layer = population_store.current_layer(conn)
        if layer is not None and layer.source == WORLDPOP_2020.id:
            click.echo(f"population layer {layer.source!r} already imported")
            return
        source_store.upsert(conn, WORLDPOP_2020)
    click.echo(f"importing population from {grid.name}")
    import_population(
        settings,
        grid,
        source=WORLDPOP_2020.id,
        title="WorldPop 2020 (1 km, UN-adjusted), raked to the 2021 census",
        year=2021,
        rake=RakeTo(census, 1, "region", "population_2021", "Ghana Statistical Service, 2021 PHC")
        if census.exists()
        else None,
    )


def _first_existing(*paths: Path) -> Path | None:
    return next((p for p in paths if p.exists()), None)
