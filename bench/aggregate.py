"""Aggregation benchmark: hexagon and area aggregates of a million stored reports, against the
pipeline a GIS analyst would write instead.

    .venv/bin/python bench/aggregate.py [--count N] [--repeat R] [--backend spatialite|postgis|both]
                                        [--keep] [--seed S] [--baseline-source gpkg|db]
                                        [--query hexes-r7 ...] [--max-cells N] [--profile]
                                        [--postgres-url URL] [--data-dir DIR]

What is stored. `--count` reports (1,000,000 by default), generated deterministically from
`--seed`: services near real Ghanaian health facilities (the shared facilities CSV) and around
Natural Earth's Ghanaian towns (spread by town size), litter surveys along the coastline, hotspots
around towns, and a uniform scatter over Ghana's regions; every kind with its measures, statuses,
sensitive flags, reporters and attributes like real submissions. Areas are the 16 regions of the
shared geoBoundaries ADM1 file, imported with the product's own reader (`read_boundaries`,
`save_areas`), and each report's `area_1` is decided by the product's `AreaIndex`, as at ingest.

How it is loaded (not measured: the bench measures aggregation). Rows are built in Python and
written without HTTP: PostgreSQL COPY ... FROM STDIN (text, the point as EWKT), SpatiaLite
SQLAlchemy Core executemany, 50,000 rows per transaction; all indexes of the migrations are in
place while loading, so the tables look like a grown production table. PostgreSQL then gets
VACUUM ANALYZE (what autovacuum would have done by the time anyone asks).

What is measured, per backend, each query the median of `--repeat` runs:

  product  GET /api/v1/aggregates/hexes?resolution=5|7|9 and /aggregates/areas?level=1 through the
           real app in-process (FastAPI TestClient): SQL GROUP BY, suppression, indicators,
           polygons and the orjson-encoded FeatureCollection, which is what a user receives.
           `core` is the same work without HTTP and JSON (`analysis.aggregate.hexes/areas` on a
           connection), to show what the web layer adds.
  baseline geopandas reads the same points (by default from a GeoPackage exported once from the
           same database: `--baseline-source db` reads them with read_postgis instead), then
           `h3.latlng_to_cell` per point, a pandas groupby by cell, kind and category with the same
           sums the product returns, and polygons from `h3.cell_to_boundary` in a GeoDataFrame;
           for areas, a geopandas sjoin of the points with the regions file, then the groupby.
           It applies the product's filters (public statuses; no sensitive reports finer than the
           public resolution) so both compute the same answer.

The product's answer is checked (not timed) so that a fast wrong answer cannot pass: areas
against the baseline's sjoin; hexagons against `h3.cell_to_parent` of each point's resolution-15
cell, which is the product's definition. Near a hexagon's edge that parent can differ from
`h3.latlng_to_cell(point, r)` (H3 children do not tile their parent exactly), so the analyst's
counts differ slightly; the line of each query says by how much. The product's default
`max_aggregate_cells` (100,000) refuses resolution 9 for all of Ghana with a 400, so the bench
raises it (`--max-cells`) as an operator would to measure that query at all.

Targets (issue 3): product at least 10x faster than the baseline, and resolution 7 under 1 s on
PostGIS. This is a measurement, not a test: missing a target exits 0. The load average is
printed with the table: other work on the machine slows both sides.

`--keep` caches the generated data for the next run: the SpatiaLite file and the GeoPackage
under /tmp, the PostgreSQL database `civicmap_bench_agg`; each is reused only when it holds
exactly what `--count` and `--seed` would generate. Without it everything is removed afterwards.
`--query` picks queries (repeatable); `--profile` runs each product query once more under
cProfile (aggregate and encoding, in this thread) and prints where the time goes.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import csv
import gc
import io
import json
import os
import pstats
import shutil
import statistics
import sys
import tempfile
import time
import uuid
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# Run as a script from anywhere: the packages live one folder up.
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import geopandas as gpd  # noqa: E402
import h3  # noqa: E402
import numpy as np  # noqa: E402
import orjson  # noqa: E402
import pandas as pd  # noqa: E402
import shapely  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from sqlalchemy.engine import Engine, make_url  # noqa: E402

from mapping import hexgrid  # noqa: E402
from mapping.analysis import aggregate  # noqa: E402
from mapping.areas.files import read_boundaries  # noqa: E402
from mapping.areas.index import AreaIndex  # noqa: E402
from mapping.settings import Settings  # noqa: E402
from mapping.storage import areas as area_store  # noqa: E402
from mapping.storage import make_engine, scratch, upgrade  # noqa: E402
from mapping.storage.reports import PUBLIC_STATUSES, ReportQuery  # noqa: E402
from mapping.storage.tables import reports  # noqa: E402
from mapping.taxonomy import (  # noqa: E402
    HOTSPOT_THEMES,
    LITTER_ITEMS,
    LITTER_SURVEYS,
    SERVICE_CATEGORIES,
)

DEFAULT_POSTGRES_URL = os.environ.get(
    "CIVICMAP_BENCH_POSTGRES_URL", "postgresql+psycopg://civicmap:civicmap@localhost/postgres"
)
DEFAULT_DATA_DIR = Path(os.environ.get("CIVICMAP_SHARED_DATA", REPO.parent / "shared" / "data"))
REGIONS_FILE = "geoboundaries_gha_adm1_simplified.geojson"
TOWNS_FILE = "ne_10m_populated_places_west_africa.geojson"
FACILITIES_FILE = "ghana_health_facilities.csv"
COAST_FILE = "ne_10m_coastline_ghana.geojson"
PG_DATABASE = "civicmap_bench_agg"
CACHE_DIR = Path(tempfile.gettempdir())
# Bumped whenever the generator changes, so that --keep never reuses data of an older recipe.
GENERATOR_VERSION = 1
CHUNK = 50_000

HEX_RESOLUTIONS = (5, 7, 9)
AREA_LEVEL = 1
TARGET_SPEEDUP = 10.0
TARGET_R7_POSTGIS_S = 1.0

# ---------------------------------------------------------------------------------------------
# Reports that look like a few years of campaigns in Ghana
# ---------------------------------------------------------------------------------------------

KINDS = ("service", "litter", "hotspot")
KIND_SHARES = (0.55, 0.15, 0.30)
STATUSES = ("pending", "verified", "duplicate", "rejected", "hidden")
# Moderation leaves most reports pending; rejected and hidden ones must not be counted.
STATUS_SHARES = (0.60, 0.35, 0.01, 0.02, 0.02)
SEXES = ("female", "male", "other", "undisclosed")
AGE_GROUPS = ("0-14", "15-24", "25-44", "45-64", "65+")
ASPECTS = ("access", "affordability", "quality", "equal_treatment", "courtesy", "timeliness")
CAMPAIGNS = ("accra-clinics-2025", "beach-watch-gh", "water-points-north", "flood-watch-2025")
DESCRIPTIONS = (
    "Long queue in the morning; staff were helpful once we were seen.",
    "The borehole works but the pump handle is loose.",
    "Drains blocked with plastic after the rains, water stands for days.",
    "Mostly sachet water bags and bottle caps along the high-tide line.",
    "Streetlight out near the junction, unsafe after dark.",
)
# Themes whose reports are often marked sensitive by the reporter.
SENSITIVE_THEMES = ("discrimination", "safety")
OBSERVED_FROM = datetime(2024, 1, 1, tzinfo=UTC).timestamp()
OBSERVED_SPAN_S = 2 * 365 * 24 * 3600


@dataclass(slots=True)
class Places:
    """The real geography the points are drawn around, all lon/lat."""

    regions: gpd.GeoDataFrame  # the ADM1 file as read by the product (code, name, geometry)
    towns: np.ndarray  # (n, 3): lon, lat, population
    facilities: np.ndarray  # (n, 2): lon, lat of health facilities inside Ghana
    coast: np.ndarray  # (n, 2): coastline vertices


def read_places(data_dir: Path) -> Places:
    regions = read_boundaries(data_dir / REGIONS_FILE, level=AREA_LEVEL).frame
    land = shapely.union_all(regions.geometry.values)
    shapely.prepare(land)
    towns = json.loads((data_dir / TOWNS_FILE).read_text())["features"]
    town_rows = [
        (*f["geometry"]["coordinates"][:2], float(f["properties"].get("POP_MAX") or 1))
        for f in towns
        if f["properties"].get("ADM0_A3") == "GHA"
    ]
    facilities = []
    with (data_dir / FACILITIES_FILE).open(newline="") as fh:
        for row in csv.DictReader(fh):
            # 24 rows have no coordinates; some others lie outside the country.
            with contextlib.suppress(ValueError):
                facilities.append((float(row["Longitude"]), float(row["Latitude"])))
    fac = np.array(facilities)
    fac = fac[shapely.contains_xy(land, fac[:, 0], fac[:, 1])]
    coast = shapely.get_coordinates(
        shapely.union_all(
            [shapely.geometry.shape(f["geometry"]) for f in _features(data_dir / COAST_FILE)]
        )
    )
    return Places(regions, np.array(town_rows), fac, coast)


def _features(path: Path) -> list[dict[str, Any]]:
    return json.loads(path.read_text())["features"]


@dataclass(slots=True)
class Dataset:
    """Every report as columns (numpy arrays), computed once; rows are built chunk by chunk."""

    lon: np.ndarray
    lat: np.ndarray
    kind: np.ndarray  # index into KINDS
    category: np.ndarray  # category code (object)
    status: np.ndarray  # index into STATUSES
    sensitive: np.ndarray
    observed: np.ndarray  # POSIX seconds
    delay: np.ndarray  # seconds from observation to receipt
    accuracy: np.ndarray
    campaign: np.ndarray  # index into CAMPAIGNS, -1 for none
    description: np.ndarray  # index into DESCRIPTIONS, -1 for none
    sex: np.ndarray  # index into SEXES, -1 when no reporter details were given
    age: np.ndarray
    disability: np.ndarray
    satisfaction: np.ndarray  # 0 when not rated
    service_status: np.ndarray
    aspects: np.ndarray  # (n, 2) scores for two aspects, 0 for none
    severity: np.ndarray  # 0 unless hotspot
    people: np.ndarray  # -1 when not given
    survey_length: np.ndarray  # nan unless litter
    item_codes: np.ndarray  # (n, 6) indexes into LITTER_CODES, litter rows only meaningful
    item_counts: np.ndarray  # (n, 6)
    ids: bytes  # 16 random bytes per report (report id)
    client_ids: bytes
    hashes: bytes  # 32 bytes per report: stands in for the content hash
    h3: list[int] = field(default_factory=list)
    area_1: list[str | None] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.lon)


PLASTIC_CODES = [i.code for i in LITTER_ITEMS if i.material == "plastic"]
OTHER_CODES = [i.code for i in LITTER_ITEMS if i.material != "plastic"]
LITTER_CODES = np.array(PLASTIC_CODES + OTHER_CODES, dtype=object)


def generate(count: int, seed: int, places: Places) -> Dataset:
    """`count` reports, the same ones for the same seed and shared files."""
    rng = np.random.default_rng(seed)
    kind = rng.choice(len(KINDS), size=count, p=KIND_SHARES)
    u = rng.random(count)
    service, litter, hotspot = kind == 0, kind == 1, kind == 2
    near_facility = service & (u < 0.5)
    near_town = (service & (u >= 0.5) & (u < 0.9)) | (hotspot & (u < 0.7))
    anywhere = ~(near_facility | near_town | litter)

    land = shapely.union_all(places.regions.geometry.values)
    shapely.prepare(land)
    fac, towns = places.facilities, places.towns
    weights = towns[:, 2] ** 0.8

    def near_facilities(n: int) -> tuple[np.ndarray, np.ndarray]:
        # Visits to a real facility: within a few hundred metres of it.
        pick = rng.integers(len(fac), size=n)
        return fac[pick, 0] + rng.normal(0, 0.004, n), fac[pick, 1] + rng.normal(0, 0.004, n)

    def near_towns(n: int) -> tuple[np.ndarray, np.ndarray]:
        # Towns draw reports by population; bigger towns sprawl further (Accra ~9 km, Yendi ~3).
        pick = rng.choice(len(towns), size=n, p=weights / weights.sum())
        sigma = 0.02 + 0.06 * np.sqrt(towns[pick, 2] / towns[:, 2].max())
        return (
            towns[pick, 0] + rng.normal(0, 1, n) * sigma,
            towns[pick, 1] + rng.normal(0, 1, n) * sigma,
        )

    def on_beaches(n: int) -> tuple[np.ndarray, np.ndarray]:
        # Beach surveys: at a coastline vertex, a little inland (Ghana's coast faces south).
        pick = rng.integers(len(places.coast), size=n)
        return (
            places.coast[pick, 0] + rng.normal(0, 0.003, n),
            places.coast[pick, 1] + np.abs(rng.normal(0, 0.003, n)),
        )

    def uniform(n: int) -> tuple[np.ndarray, np.ndarray]:
        x0, y0, x1, y1 = land.bounds
        return rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)

    lon, lat = np.empty(count), np.empty(count)
    for where, draw in (
        (near_facility, near_facilities),
        (near_town, near_towns),
        (litter, on_beaches),
        (anywhere, uniform),
    ):
        lon[where], lat[where] = _on_land(land, int(where.sum()), draw)
    # Six decimals, as a phone's GPS gives them.
    lon, lat = np.round(lon, 6), np.round(lat, 6)

    category = np.empty(count, dtype=object)
    services = [c.code for c in SERVICE_CATEGORIES]
    # The first eleven service categories are what mapping campaigns record; the rest are rarer.
    service_w = np.array([3.0 if i < 11 else 1.0 for i in range(len(services))])
    category[service] = rng.choice(services, size=service.sum(), p=service_w / service_w.sum())
    category[litter] = rng.choice(
        [c.code for c in LITTER_SURVEYS], size=litter.sum(), p=(0.6, 0.25, 0.15)
    )
    category[hotspot] = rng.choice([c.code for c in HOTSPOT_THEMES], size=hotspot.sum())

    sensitive = rng.random(count) < np.where(np.isin(category, SENSITIVE_THEMES), 0.5, 0.01)
    given = rng.random(count) < 0.6  # reporters who state sex, age group and disability
    satisfaction = np.where(
        service & (rng.random(count) < 0.9),
        rng.choice([1, 2, 3, 4], size=count, p=(0.12, 0.23, 0.45, 0.20)),
        0,
    )
    survey_length = np.where(
        category == "monitoring", 100.0, np.round(rng.uniform(5, 1000, count), 1)
    )
    # Six items per survey: four plastic codes and two others, distinct within a survey.
    # Only litter rows use them; drawing for every row would cost a 1M x 100 sort.
    n_litter = int(litter.sum())
    item_codes = np.zeros((count, 6), dtype=np.int64)
    item_codes[litter, :4] = rng.random((n_litter, len(PLASTIC_CODES))).argpartition(4)[:, :4]
    item_codes[litter, 4:] = (
        len(PLASTIC_CODES) + rng.random((n_litter, len(OTHER_CODES))).argpartition(2)[:, :2]
    )
    ds = Dataset(
        lon=lon,
        lat=lat,
        kind=kind,
        category=category,
        status=rng.choice(len(STATUSES), size=count, p=STATUS_SHARES),
        sensitive=sensitive,
        observed=OBSERVED_FROM + rng.integers(0, OBSERVED_SPAN_S, count),
        delay=rng.exponential(3600, count),
        # GPS accuracy: mostly metres, a tail past the 500 m low-accuracy flag.
        accuracy=np.round(rng.lognormal(np.log(15), 1.2, count), 1),
        campaign=np.where(rng.random(count) < 0.3, rng.integers(0, len(CAMPAIGNS), count), -1),
        description=np.where(
            rng.random(count) < 0.1, rng.integers(0, len(DESCRIPTIONS), count), -1
        ),
        sex=np.where(given, rng.integers(0, len(SEXES), count), -1),
        age=rng.integers(0, len(AGE_GROUPS), count),
        disability=rng.random(count) < 0.08,
        satisfaction=satisfaction,
        service_status=rng.choice(3, size=count, p=(0.8, 0.15, 0.05)),
        aspects=rng.integers(0, 5, (count, 2)),
        severity=np.where(hotspot, rng.integers(1, 6, count), 0),
        people=np.where(rng.random(count) < 0.8, rng.exponential(300, count).astype(int), -1),
        survey_length=np.where(litter, survey_length, np.nan),
        item_codes=item_codes,
        item_counts=rng.negative_binomial(1, 1 / 16, (count, 6)),
        ids=rng.bytes(16 * count),
        client_ids=rng.bytes(16 * count),
        hashes=rng.bytes(32 * count),
    )
    # As at ingest: the resolution-15 cell, and the region decided by the product's AreaIndex.
    ds.h3 = hexgrid.cells_at(lon.tolist(), lat.tolist())
    index = AreaIndex(
        [
            (c, AREA_LEVEL, g)
            for c, g in zip(places.regions.code, places.regions.geometry, strict=True)
        ]
    )
    ds.area_1 = index.assign(lon, lat)[AREA_LEVEL]
    return ds


def _on_land(
    land: shapely.Geometry, n: int, draw: Callable[[int], tuple[np.ndarray, np.ndarray]]
) -> tuple[np.ndarray, np.ndarray]:
    """`n` points from `draw` that lie in Ghana's regions: a coastal town's sprawl must not put
    reports in the sea, which would make them `outside_areas` and drop them from area counts."""
    xs: list[np.ndarray] = []
    ys: list[np.ndarray] = []
    have = 0
    while have < n:
        x, y = draw(2 * (n - have))
        inside = shapely.contains_xy(land, x, y)
        xs.append(x[inside])
        ys.append(y[inside])
        have += int(inside.sum())
    return np.concatenate(xs)[:n], np.concatenate(ys)[:n]


# The columns the rows below fill, in their order. `seq` is numbered by the table, and columns
# added by later migrations (e.g. `submitter`) stay NULL, as for reports stored before them.
COLUMNS = [
    "id",
    "client_id",
    "content_hash",
    "receipt_hash",
    "kind",
    "category",
    "observed_at",
    "received_at",
    "geom",
    "h3",
    "accuracy_m",
    "campaign",
    "description",
    "sensitive",
    "reporter_sex",
    "reporter_age_group",
    "reporter_disability",
    "attributes",
    "status",
    "status_note",
    "quality",
    "satisfaction",
    "severity",
    "people_affected",
    "survey_length_m",
    "litter_items",
    "litter_plastic",
    "area_0",
    "area_1",
    "area_2",
    "area_3",
    "area_4",
    "area_5",
]


def row_chunk(ds: Dataset, start: int, stop: int) -> list[tuple[Any, ...]]:
    """Rows start..stop as tuples in COLUMNS order, with plain Python values (JSON as objects)."""
    # Plain lists first: numpy scalars would leak into SQL (np.float64 in the EWKT) and are slow.
    part = slice(start, stop)
    kinds, sats, services = (
        ds.kind[part].tolist(),
        ds.satisfaction[part].tolist(),
        ds.service_status[part].tolist(),
    )
    aspects, codes, counts = (
        ds.aspects[part].tolist(),
        ds.item_codes[part].tolist(),
        ds.item_counts[part].tolist(),
    )
    severities, people_, lengths = (
        ds.severity[part].tolist(),
        ds.people[part].tolist(),
        ds.survey_length[part].tolist(),
    )
    lons, lats, accuracies = (
        ds.lon[part].tolist(),
        ds.lat[part].tolist(),
        ds.accuracy[part].tolist(),
    )
    observed_, delays = ds.observed[part].tolist(), ds.delay[part].tolist()
    campaigns, descriptions = ds.campaign[part].tolist(), ds.description[part].tolist()
    sexes, ages, disabled = (
        ds.sex[part].tolist(),
        ds.age[part].tolist(),
        ds.disability[part].tolist(),
    )
    sensitive, statuses = ds.sensitive[part].tolist(), ds.status[part].tolist()
    out = []
    for j, i in enumerate(range(start, stop)):
        kind, sat = KINDS[kinds[j]], sats[j]
        severity = people = length = items = plastic = None
        if kind == "service":
            attributes: dict[str, Any] = {
                "name": f"{ds.category[i].replace('_', ' ').title()} {i % 997}",
                "status": ("operational", "partly", "closed")[services[j]],
            }
            if sat:
                attributes["satisfaction"] = sat
            scores = {a: s for a, s in zip(ASPECTS[:2], aspects[j], strict=True) if s}
            if scores:
                attributes["aspects"] = scores
        elif kind == "litter":
            length = lengths[j]
            items_found = dict(zip(LITTER_CODES[codes[j]].tolist(), counts[j], strict=True))
            attributes = {"survey_length_m": length, "items": items_found}
            # The first four codes are the plastic ones (see generate).
            items, plastic = sum(counts[j]), sum(counts[j][:4])
        else:
            severity = severities[j]
            attributes = {"severity": severity}
            if people_[j] >= 0:
                people = attributes["people_affected"] = people_[j]
        quality = ["low_accuracy"] if accuracies[j] > 500 else []
        if ds.area_1[i] is None:
            quality.append("outside_areas")
        given = sexes[j] >= 0
        out.append(
            (
                uuid.UUID(bytes=ds.ids[16 * i : 16 * i + 16], version=4),
                uuid.UUID(bytes=ds.client_ids[16 * i : 16 * i + 16], version=4),
                ds.hashes[32 * i : 32 * i + 32].hex(),
                None,  # receipt_hash
                kind,
                ds.category[i],
                datetime.fromtimestamp(observed_[j], UTC),
                datetime.fromtimestamp(observed_[j] + delays[j], UTC),
                f"SRID=4326;POINT({lons[j]!r} {lats[j]!r})",
                ds.h3[i],
                accuracies[j],
                CAMPAIGNS[campaigns[j]] if campaigns[j] >= 0 else None,
                DESCRIPTIONS[descriptions[j]] if descriptions[j] >= 0 else None,
                sensitive[j],
                SEXES[sexes[j]] if given else None,
                AGE_GROUPS[ages[j]] if given else None,
                disabled[j] if given else None,
                attributes,
                STATUSES[statuses[j]],
                None,  # status_note
                quality,
                sat or None,
                severity,
                people,
                length,
                items,
                plastic,
                None,  # area_0: only the regions are imported
                ds.area_1[i],
                None,
                None,
                None,
                None,
            )
        )
    return out


# ---------------------------------------------------------------------------------------------
# Databases: create or reuse, load
# ---------------------------------------------------------------------------------------------


def _data_key(count: int, seed: int) -> str:
    return f"count={count} seed={seed} generator={GENERATOR_VERSION}"


def _stored_key(engine: Engine) -> str | None:
    """The data key recorded by a finished load, or None (no marker, or a half-done load)."""
    with engine.connect() as conn:
        try:
            key = conn.exec_driver_sql("SELECT value FROM bench_meta WHERE key = 'data'").scalar()
        except sa.exc.DBAPIError:
            return None
        stored = conn.scalar(sa.select(sa.func.count()).select_from(reports))
    count = int(key.split()[0].split("=")[1]) if key else -1
    return key if stored == count else None


@contextlib.contextmanager
def database(
    backend: str, *, count: int, seed: int, keep: bool, postgres_url: str
) -> Iterator[tuple[str, bool]]:
    """The URL of a database with CivicMap's schema, and whether it already holds the data."""
    key = _data_key(count, seed)
    if not keep:
        with scratch.temporary_store(backend, postgres_url, PG_DATABASE) as url:
            yield url, False
        return
    # Kept under a fixed name, so that the next run finds it; migrations added since it was
    # made must apply to it too.
    if backend == "spatialite":
        path = CACHE_DIR / f"civicmap_bench_agg_{count}_{seed}_v{GENERATOR_VERSION}.sqlite"
        url = f"sqlite:///{path}"
        ready = path.exists() and _probe(url, key)
        if not ready:
            _remove_sqlite(path)
    else:
        url = scratch.database_url(postgres_url, PG_DATABASE)
        ready = scratch.database_exists(postgres_url, PG_DATABASE) and _probe(url, key)
        if not ready:
            scratch.create_database(postgres_url, PG_DATABASE, replace=True)
    _upgrade(url)
    yield url, ready


def _probe(url: str, key: str) -> bool:
    engine = make_engine(url)
    try:
        return _stored_key(engine) == key
    finally:
        engine.dispose()


def _remove_sqlite(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _upgrade(url: str) -> None:
    engine = make_engine(url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()


def load(engine: Engine, ds: Dataset, places: Places, key: str) -> float:
    """Store the areas and every report; return the seconds the reports took."""
    with engine.begin() as conn:
        area_store.save_areas(conn, places.regions, source=REGIONS_FILE)
    started = time.perf_counter()
    if engine.dialect.name == "postgresql":
        _copy_postgres(engine, ds)
        # Outside a transaction: VACUUM cannot run in one.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE reports")
    else:
        _insert_sqlite(engine, ds)
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    seconds = time.perf_counter() - started
    # The marker goes last, so an interrupted load is never taken for a finished one.
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE IF NOT EXISTS bench_meta (key TEXT PRIMARY KEY, value TEXT)"
        )
        conn.exec_driver_sql("DELETE FROM bench_meta")
        conn.execute(sa.text("INSERT INTO bench_meta VALUES ('data', :v)"), {"v": key})
    return seconds


def _copy_postgres(engine: Engine, ds: Dataset) -> None:
    json_columns = [COLUMNS.index("attributes"), COLUMNS.index("quality")]
    statement = f"COPY reports ({', '.join(COLUMNS)}) FROM STDIN"
    for start in range(0, len(ds), CHUNK):
        rows = row_chunk(ds, start, min(start + CHUNK, len(ds)))
        with engine.begin() as conn:
            cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
            with cursor.copy(statement) as copy:
                for row in rows:
                    values = list(row)
                    for c in json_columns:
                        values[c] = orjson.dumps(values[c]).decode()
                    copy.write_row(values)
        _progress(start + len(rows), len(ds))


def _insert_sqlite(engine: Engine, ds: Dataset) -> None:
    statement = sa.insert(reports)
    for start in range(0, len(ds), CHUNK):
        rows = row_chunk(ds, start, min(start + CHUNK, len(ds)))
        with engine.begin() as conn:
            conn.execute(statement, [dict(zip(COLUMNS, r, strict=True)) for r in rows])
        _progress(start + len(rows), len(ds))


def _progress(done: int, total: int) -> None:
    if sys.stdout.isatty():
        print(f"\r  loaded {done:,} of {total:,}", end="" if done < total else "\n", flush=True)
    elif done == total or done % (10 * CHUNK) == 0:  # a log file gets a line now and then
        print(f"  loaded {done:,} of {total:,}", flush=True)


def export_geopackage(engine: Engine, path: Path) -> float:
    """Write the reports the analyst works from: one GeoPackage, read back from the database."""
    started = time.perf_counter()
    lon, lat = sa.func.ST_X(reports.c.geom), sa.func.ST_Y(reports.c.geom)
    query = sa.select(
        reports.c.kind,
        reports.c.category,
        reports.c.status,
        reports.c.sensitive,
        *(reports.c[n] for n in MEASURES),
        lon.label("lon"),
        lat.label("lat"),
    )
    with engine.connect() as conn:
        frame = pd.read_sql(query, conn)
    points = gpd.GeoDataFrame(
        frame.drop(columns=["lon", "lat"]),
        geometry=gpd.points_from_xy(frame.lon, frame.lat),
        crs=4326,
    )
    tmp = path.with_suffix(".partial.gpkg")
    tmp.unlink(missing_ok=True)
    points.to_file(tmp, driver="GPKG", layer="reports", engine="pyogrio")
    tmp.replace(path)  # only a complete file takes the cached name
    return time.perf_counter() - started


# ---------------------------------------------------------------------------------------------
# The analyst's pipeline
# ---------------------------------------------------------------------------------------------

MEASURES = (
    "satisfaction",
    "severity",
    "people_affected",
    "survey_length_m",
    "litter_items",
    "litter_plastic",
)
PUBLIC_SQL = ", ".join(f"'{s}'" for s in PUBLIC_STATUSES)


@dataclass(slots=True)
class Baseline:
    """How the analyst gets the points: a GeoPackage exported once, or the database itself."""

    source: str  # "gpkg" or "db"
    gpkg: Path | None
    engine: Engine
    regions_file: Path

    def points(self, *, include_sensitive: bool) -> gpd.GeoDataFrame:
        where = f"status IN ({PUBLIC_SQL})" + ("" if include_sensitive else " AND NOT sensitive")
        columns = ["kind", "category", *MEASURES]
        if self.source == "gpkg":
            return gpd.read_file(
                self.gpkg, layer="reports", columns=columns, where=where, engine="pyogrio"
            )
        # read_postgis takes WKB; SpatiaLite stores its own blob format, so ask for WKB there.
        geom = "ST_AsBinary(geom)" if self.engine.dialect.name == "sqlite" else "geom"
        sql = f"SELECT {', '.join(columns)}, {geom} AS geom FROM reports WHERE {where}"
        with self.engine.connect() as conn:
            return gpd.read_postgis(sql, conn, geom_col="geom", crs=4326)


def _sums(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """The product's per-group sums (count, ratings, satisfied, litter, hotspot) with pandas."""
    frame = frame.assign(satisfied=(frame["satisfaction"] >= 3).astype(int))
    return frame.groupby(keys, sort=False).agg(
        reports=("kind", "size"),
        rated=("satisfaction", "count"),
        satisfied=("satisfied", "sum"),
        satisfaction_sum=("satisfaction", "sum"),
        items=("litter_items", "sum"),
        plastic=("litter_plastic", "sum"),
        surveyed_m=("survey_length_m", "sum"),
        severity_sum=("severity", "sum"),
        people_affected=("people_affected", "sum"),
    )


def baseline_hexes(
    base: Baseline, resolution: int, public_resolution: int, stages: dict[str, float]
) -> dict[str, int]:
    """Hexagon counts the geopandas way; returns {cell: reports} for the check."""
    t0 = time.perf_counter()
    points = base.points(include_sensitive=resolution <= public_resolution)
    t1 = time.perf_counter()
    to_cell = h3.latlng_to_cell
    xs, ys = points.geometry.x.tolist(), points.geometry.y.tolist()
    points["cell"] = [to_cell(y, x, resolution) for x, y in zip(xs, ys, strict=True)]
    t2 = time.perf_counter()
    by_category = _sums(points, ["cell", "kind", "category"])
    totals = by_category.groupby(level="cell").sum()
    t3 = time.perf_counter()
    polygons = [
        shapely.Polygon([(lng, lat) for lat, lng in h3.cell_to_boundary(c)]) for c in totals.index
    ]
    hexes = gpd.GeoDataFrame(totals, geometry=polygons, crs=4326)
    t4 = time.perf_counter()
    for name, seconds in (("read", t1 - t0), ("h3", t2 - t1), ("groupby", t3 - t2)):
        stages[name] = seconds
    stages["polygons"] = t4 - t3
    return dict(zip(hexes.index, hexes["reports"].astype(int), strict=True))


def baseline_areas(base: Baseline, stages: dict[str, float]) -> dict[str, int]:
    """Area counts the geopandas way: sjoin of points with the regions file, then groupby."""
    t0 = time.perf_counter()
    points = base.points(include_sensitive=True)
    regions = gpd.read_file(base.regions_file, columns=["shapeISO", "shapeName"], engine="pyogrio")
    t1 = time.perf_counter()
    joined = gpd.sjoin(points, regions, predicate="within", how="inner")
    t2 = time.perf_counter()
    by_category = _sums(joined, ["shapeISO", "kind", "category"])
    totals = by_category.groupby(level="shapeISO").sum()
    t3 = time.perf_counter()
    out = regions.merge(totals, left_on="shapeISO", right_index=True, how="left")
    t4 = time.perf_counter()
    stages.update(read=t1 - t0, sjoin=t2 - t1, groupby=t3 - t2, polygons=t4 - t3)
    return {c: int(n) for c, n in zip(out.shapeISO, out["reports"].fillna(0), strict=True)}


# ---------------------------------------------------------------------------------------------
# The product
# ---------------------------------------------------------------------------------------------


def _settings(url: str, max_cells: int) -> Settings:
    # _env_file=None: a developer's .env must not change what is measured.
    return Settings(  # type: ignore[call-arg]
        database_url=url, max_aggregate_cells=max_cells, _env_file=None
    )


@dataclass(slots=True)
class Query:
    label: str
    path: str
    resolution: int | None = None  # hexes at this resolution, else areas at AREA_LEVEL

    def core(self, engine: Engine, settings: Settings) -> list[dict[str, Any]]:
        with engine.connect() as conn:
            if self.resolution is None:
                features, _ = aggregate.areas(
                    conn, ReportQuery(), level=AREA_LEVEL, threshold=settings.suppression_threshold
                )
            else:
                features, _ = aggregate.hexes(
                    conn,
                    ReportQuery(),
                    resolution=self.resolution,
                    threshold=settings.suppression_threshold,
                    public_resolution=settings.public_h3_resolution,
                    max_cells=settings.max_aggregate_cells,
                )
        return features


QUERIES = {
    **{
        f"hexes-r{r}": Query(f"hexes r{r}", f"/api/v1/aggregates/hexes?resolution={r}", r)
        for r in HEX_RESOLUTIONS
    },
    f"areas-{AREA_LEVEL}": Query(
        f"areas level {AREA_LEVEL}", f"/api/v1/aggregates/areas?level={AREA_LEVEL}"
    ),
}


def reference_counts(base: Baseline, query: Query, public_resolution: int) -> dict[str, int]:
    """What the product must answer, computed from the same points with h3 itself (not timed).

    The product's hexagon at resolution r is the `h3.cell_to_parent` of the point's resolution-15
    cell. H3 children do not tile their parent exactly, so near a hexagon's edge this can be the
    neighbour of `h3.latlng_to_cell(point, r)`, which the analyst uses; the check therefore
    compares against the parent definition, and the summary says how many reports the two
    assign differently.
    """
    resolution = query.resolution
    assert resolution is not None
    points = base.points(include_sensitive=resolution <= public_resolution)
    to_cell, to_parent = h3.latlng_to_cell, h3.cell_to_parent
    xs, ys = points.geometry.x.tolist(), points.geometry.y.tolist()
    cells = [to_parent(to_cell(y, x, 15), resolution) for x, y in zip(xs, ys, strict=True)]
    return pd.Series(cells).value_counts().to_dict()  # type: ignore[no-any-return]


def check(
    query: Query,
    features: Sequence[dict[str, Any]],
    expected: dict[str, int],
    analyst: dict[str, int],
) -> str:
    """Compare the product's answer with the reference; return a one-line summary.

    Exits when they differ: then the figures would mean nothing.
    """
    key = "code" if query.resolution is None else "h3"
    got = {f["properties"][key]: f["properties"]["reports"] for f in features}
    shown = {k: v for k, v in got.items() if v is not None}
    if query.resolution is not None and set(got) != set(expected):
        raise SystemExit(
            f"{query.label}: {len(got)} cells from the product, {len(expected)} from h3"
        )
    wrong = {k: (v, expected.get(k, 0)) for k, v in shown.items() if v != expected.get(k, 0)}
    if wrong:
        sample = dict(list(wrong.items())[:5])
        raise SystemExit(f"{query.label}: counts differ (product, reference): {sample}")
    summary = f"{len(got):,} features, {len(got) - len(shown):,} suppressed, counts match"
    if query.resolution is not None:
        total = sum(expected.values())
        moved = sum(abs(n - analyst.get(c, 0)) for c, n in expected.items()) / 2
        summary += f"; {moved / total:.2%} of reports in another cell by latlng_to_cell"
    return summary


def median_time(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Median seconds of `repeat` calls and the last call's result."""
    times = []
    result = None
    for _ in range(repeat):
        # Collect garbage between runs, not inside one: a million-row frame leaves much behind.
        gc.collect()
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


@dataclass(slots=True)
class Result:
    backend: str
    query: str
    http: float
    core: float
    baseline: float
    bytes: int
    stages: dict[str, float]
    summary: str

    @property
    def speedup(self) -> float:
        return self.baseline / self.http


def run_backend(backend: str, args: argparse.Namespace, places: Places) -> list[Result]:
    print(f"\n== {backend}")
    key = _data_key(args.count, args.seed)
    with database(
        backend, count=args.count, seed=args.seed, keep=args.keep, postgres_url=args.postgres_url
    ) as (url, ready):
        engine = make_engine(url)
        try:
            if ready:
                print(f"  reusing {make_url(url).database} ({key})")
            else:
                started = time.perf_counter()
                ds = generate(args.count, args.seed, places)
                print(f"  generated {len(ds):,} reports in {time.perf_counter() - started:.1f} s")
                how = "COPY" if backend == "postgis" else "Core executemany"
                seconds = load(engine, ds, places, key)
                print(f"  stored them with {how} in {seconds:.1f} s ({len(ds) / seconds:,.0f}/s)")
                del ds
            with _baseline(engine, backend, args) as base:
                return _measure(backend, url, engine, base, args)
        finally:
            engine.dispose()


@contextlib.contextmanager
def _baseline(engine: Engine, backend: str, args: argparse.Namespace) -> Iterator[Baseline]:
    regions = args.data_dir / REGIONS_FILE
    if args.baseline_source == "db":
        yield Baseline("db", None, engine, regions)
        return
    name = f"civicmap_bench_agg_{backend}_{args.count}_{args.seed}_v{GENERATOR_VERSION}.gpkg"
    folder = CACHE_DIR if args.keep else Path(tempfile.mkdtemp(prefix="civicmap_bench_agg_"))
    path = folder / name
    try:
        if not path.exists():
            print(
                f"  exported the points to a GeoPackage in {export_geopackage(engine, path):.1f} s"
            )
        yield Baseline("gpkg", path, engine, regions)
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


def _measure(
    backend: str, url: str, engine: Engine, base: Baseline, args: argparse.Namespace
) -> list[Result]:
    with warnings.catch_warnings():
        # Starlette nags about httpx inside its TestClient; it changes nothing measured here.
        warnings.filterwarnings("ignore", message=".*httpx.*")
        from fastapi.testclient import TestClient

    from api.app import create_app

    settings = _settings(url, args.max_cells)
    app = create_app(settings)
    results = []
    with TestClient(app) as client:
        for query in (QUERIES[name] for name in args.query):
            result = _measure_query(backend, query, client, app.state.engine, settings, base, args)
            results.append(result)
            print(
                f"  {query.label:<14} http {result.http:7.3f} s  core {result.core:7.3f} s  "
                f"baseline {result.baseline:7.3f} s  x{result.speedup:5.1f}  ({result.summary})"
            )
            if args.profile:
                profile(query, app.state.engine, settings)
    return results


def _measure_query(
    backend: str,
    query: Query,
    client: Any,
    engine: Engine,
    settings: Settings,
    base: Baseline,
    args: argparse.Namespace,
) -> Result:
    def http() -> bytes:
        answer = client.get(query.path)
        if answer.status_code != 200:
            raise SystemExit(f"{query.path}: HTTP {answer.status_code}: {answer.text[:300]}")
        return answer.content  # type: ignore[no-any-return]

    stages: list[dict[str, float]] = []

    def baseline() -> dict[str, int]:
        stages.append({})
        if query.resolution is None:
            return baseline_areas(base, stages[-1])
        return baseline_hexes(base, query.resolution, settings.public_h3_resolution, stages[-1])

    http_s, body = median_time(http, args.repeat)
    core_s, _ = median_time(lambda: query.core(engine, settings), args.repeat)
    base_s, expected = median_time(baseline, args.repeat)
    features = orjson.loads(body)["features"]
    if query.resolution is None:
        # sjoin with the same polygons is the same point-in-polygon rule as the product's.
        summary = check(query, features, expected, expected)
    else:
        reference = reference_counts(base, query, settings.public_h3_resolution)
        summary = check(query, features, reference, expected)
    median_stages = {k: statistics.median(s[k] for s in stages) for k in stages[0]}
    return Result(backend, query.label, http_s, core_s, base_s, len(body), median_stages, summary)


def profile(query: Query, engine: Engine, settings: Settings) -> None:
    """One more product run under cProfile, in this thread: the aggregate and its encoding."""
    profiler = cProfile.Profile()
    profiler.enable()
    features = query.core(engine, settings)
    orjson.dumps({"type": "FeatureCollection", "features": features})
    profiler.disable()
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(25)
    print(f"\n  --- cProfile of {query.label} (core + orjson encoding), by cumulative time")
    print("\n".join("    " + line for line in text.getvalue().splitlines()[4:]))


def print_table(results: Sequence[Result], args: argparse.Namespace) -> None:
    # Other work on the machine slows both sides; the load says how far to trust the seconds.
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"\n{args.count:,} reports, median of {args.repeat} runs; baseline reads "
        f"{'a GeoPackage export' if args.baseline_source == 'gpkg' else 'the database'}; "
        f"{os.cpu_count()} CPUs, load average {load} at the end (started at {args.load_at_start})"
    )
    header = (
        f"{'backend':<11} {'query':<14} {'product s':>10} {'baseline s':>11} {'speed-up':>9}"
        f" {'core s':>8} {'answer MB':>10}  targets"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        missed = []
        if r.speedup < TARGET_SPEEDUP:
            missed.append(f"<{TARGET_SPEEDUP:.0f}x")
        if r.backend == "postgis" and r.query == "hexes r7" and r.http >= TARGET_R7_POSTGIS_S:
            missed.append(f">= {TARGET_R7_POSTGIS_S:.0f} s")
        print(
            f"{r.backend:<11} {r.query:<14} {r.http:>10.3f} {r.baseline:>11.3f} "
            f"{r.speedup:>8.1f}x {r.core:>8.3f} {r.bytes / 1e6:>10.1f}  "
            f"{'missed ' + ', '.join(missed) if missed else 'met'}"
        )
    print("\nbaseline stages (median s):")
    for r in results:
        parts = "  ".join(f"{k} {v:.3f}" for k, v in r.stages.items())
        print(f"  {r.backend:<11} {r.query:<14} {parts}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Hexagon and area aggregates of stored reports against the geopandas "
        "pipeline an analyst would write; see the module docstring."
    )
    parser.add_argument("--count", type=int, default=1_000_000, help="reports to store")
    parser.add_argument("--repeat", type=int, default=5, help="runs per query (median)")
    parser.add_argument("--backend", choices=("spatialite", "postgis", "both"), default="both")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--keep", action="store_true", help="reuse and keep the generated databases"
    )
    parser.add_argument(
        "--baseline-source",
        choices=("gpkg", "db"),
        default="gpkg",
        help="where the analyst reads the points: a GeoPackage export, or read_postgis",
    )
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL, help="a superuser role")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument(
        "--max-cells",
        type=int,
        default=1_000_000,
        help="the product's max_aggregate_cells; its default (100,000) refuses resolution 9 for "
        "all of Ghana with a 400, so the bench raises it as an operator would",
    )
    parser.add_argument(
        "--query",
        action="append",
        choices=list(QUERIES),
        help="measure only this query (repeatable); all by default",
    )
    parser.add_argument("--profile", action="store_true", help="cProfile each product query")
    args = parser.parse_args(argv)
    args.query = args.query or list(QUERIES)
    args.load_at_start = ", ".join(f"{x:.1f}" for x in os.getloadavg())

    backends = ["spatialite", "postgis"] if args.backend == "both" else [args.backend]
    if "postgis" in backends and (problem := scratch.problem_reaching(args.postgres_url)):
        print(f"PostgreSQL is not reachable ({problem}); measuring SpatiaLite only.")
        backends.remove("postgis")
    if not backends:
        return 1
    places = read_places(args.data_dir)
    results = []
    for backend in backends:
        results.extend(run_backend(backend, args, places))
    print_table(results, args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
