"""Aggregation benchmark: hexagon and area aggregates of a million stored reports, against the
pipeline a GIS analyst would write instead.

    .venv/bin/python bench/aggregate.py [--count N] [--repeat R] [--backend spatialite|postgis|both]
                                        [--keep] [--seed S] [--baseline-source gpkg|db]
                                        [--query hexes-r7 ...] [--max-cells N] [--profile]
                                        [--postgres-url URL] [--data-dir DIR]

What is stored. `--count` reports (1,000,000 by default) from bench/synthetic.py, the same for
the same `--seed`: services near real Ghanaian health facilities (the shared facilities CSV) and
around Natural Earth's Ghanaian towns (spread by town size), litter surveys along the coastline,
hotspots around towns, and a uniform scatter over Ghana's regions; every kind with its measures,
sensitive flags, reporters and attributes like real submissions, and moderation's statuses (4%
rejected or hidden). 5,000 template reports go through the product's row builder
(`validate_feature`, `to_row`); the rest are copies of them at new points, with only `geom`, `h3`
and the areas recomputed by the product's functions (see bench/synthetic.py). Areas are the 16
regions of the shared geoBoundaries ADM1 file, imported with the product's own reader
(`read_boundaries`, `save_areas`), and each report's `area_1` is decided by the product's
`AreaIndex`, as at ingest.

How it is loaded (not measured: the bench measures aggregation), by `common.load_rows`, without
HTTP: PostgreSQL COPY ... FROM STDIN (text, the point as EWKT), SpatiaLite SQLAlchemy Core
executemany, 50,000 rows per transaction; all indexes of the migrations are in place while
loading, so the tables look like a grown production table. PostgreSQL then gets VACUUM ANALYZE
(what autovacuum would have done by the time anyone asks).

What is measured, per backend, each query the median of `--repeat` runs:

  product  GET /api/v1/aggregates/hexes?resolution=5|7|9 and /aggregates/areas?level=1 through the
           real app in-process (FastAPI TestClient): SQL GROUP BY, suppression, indicators,
           polygons and the orjson-encoded FeatureCollection, which is what a user receives.
           `core` is the same work without HTTP and JSON (`analysis.aggregate.hexes/areas` on a
           connection), to show what the web layer adds.
  baseline geopandas (bench/analyst.py) reads the same points (by default from a GeoPackage
           exported once from the same database: `--baseline-source db` reads them with
           read_postgis instead), then `h3.latlng_to_cell` per point, a pandas groupby by cell,
           kind and category with the same sums the product returns, and polygons from
           `h3.cell_to_boundary` in a GeoDataFrame; for areas, a geopandas sjoin of the points
           with the regions file, then the groupby.
           It applies the product's filters (public statuses; no sensitive reports finer than the
           public resolution) so both compute the same answer.

The product's answer is checked (not timed) so that a fast wrong answer cannot pass: areas
against the baseline's sjoin; hexagons against `h3.cell_to_parent` of each point's resolution-15
cell, which is the product's definition. Near a hexagon's edge that parent can differ from
`h3.latlng_to_cell(point, r)` (H3 children do not tile their parent exactly), so the analyst's
counts differ slightly; the line of each query says by how much. The product's default
`max_aggregate_cells` (100,000) refuses resolution 9 for all of Ghana with a 400, so the bench
raises it (`--max-cells`) as an operator would to measure that query at all.

Each `--count` (100,000 and 1,000,000 by default) is stored and measured in turn, in the same
run, so the cost curve shows. Targets (issue 14), at the largest count, each printed with `ok` or
`MISSED` and its figure: resolution 5 under 0.3 s and 7 under 0.5 s on PostGIS, 0.5 s and 1 s on
SpatiaLite; every query at least 20x faster than the baseline; a fixed-size answer (resolution
5, areas level 1) at most 1.5x its time at the smallest count. This is a measurement, not a
test: missing a target exits 0. The load average is printed with the table: other work on the
machine slows both sides.

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
import io
import os
import pstats
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Run as a script from anywhere: the packages live one folder up.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import orjson
import shapely
import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

from bench import analyst, common, synthetic
from bench.analyst import Baseline
from mapping.analysis import aggregate
from mapping.analysis import cells as cells_of
from mapping.areas.index import AreaIndex
from mapping.settings import Settings
from mapping.storage import make_engine, scratch, upgrade
from mapping.storage.reports import ReportQuery
from mapping.storage.tables import reports

PG_DATABASE = "civicmap_bench_agg"
CACHE_DIR = Path(tempfile.gettempdir())
# Bumped whenever the generator changes, so that --keep never reuses data of an older recipe.
GENERATOR_VERSION = 2
CHUNK = 50_000
TEMPLATES = 5_000

HEX_RESOLUTIONS = (5, 7, 9)
AREA_LEVEL = 1
# Issue 14's targets at the largest count: seconds per backend and query, the speed-up over the
# baseline, and how much slower a fixed-size answer may be than at the smallest count.
TARGET_SECONDS = {
    ("postgis", "hexes r5"): 0.3,
    ("postgis", "hexes r7"): 0.5,
    ("spatialite", "hexes r5"): 0.5,
    ("spatialite", "hexes r7"): 1.0,
}
TARGET_SPEEDUP = 20.0  # for the whole-country hexagons and areas
SPEEDUP_TARGETED = ("hexes r5", "hexes r7", f"areas level {AREA_LEVEL}")
FIXED_SIZE = ("hexes r5", f"areas level {AREA_LEVEL}")
TARGET_GROWTH = 1.5
KIND_WEIGHTS = (55, 15, 30)  # service, litter, hotspot
# Moderation leaves most reports pending; rejected and hidden ones must not be counted.
STATUSES = {"pending": 0.60, "verified": 0.35, "duplicate": 0.01, "rejected": 0.02, "hidden": 0.02}

# ---------------------------------------------------------------------------------------------
# Databases: create or reuse, load
# ---------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Ghana:
    """The regions as the product reads them, and the places reports are drawn around."""

    regions: Any  # GeoDataFrame: code, name, geometry
    places: synthetic.Places

    @classmethod
    def read(cls, data_dir: Path) -> Ghana:
        regions = common.read_regions(data_dir)
        if regions is None:
            raise SystemExit(f"no {common.REGIONS_FILE} in {data_dir}")
        land = shapely.union_all(regions.geometry.values)
        return cls(regions, synthetic.ghana_shared(data_dir, land))

    def index(self) -> AreaIndex:
        pairs = zip(self.regions.code, self.regions.geometry, strict=True)
        return AreaIndex([(code, AREA_LEVEL, geom) for code, geom in pairs])


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
        with common.scratch_store(backend, postgres_url, PG_DATABASE) as url:
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
        name = f"{PG_DATABASE}_{count}"
        url = scratch.database_url(postgres_url, name)
        ready = scratch.database_exists(postgres_url, name) and _probe(url, key)
        if not ready:
            scratch.create_database(postgres_url, name, replace=True)
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


def load(engine: Engine, ghana: Ghana, *, count: int, seed: int, key: str) -> float:
    """Store the areas and every report; return the seconds the reports took."""
    common.save_regions(engine, ghana.regions)
    rows = synthetic.stored_rows(
        count,
        seed=seed,
        places=ghana.places,
        index=ghana.index(),
        templates=TEMPLATES,
        chunk=CHUNK,
        statuses=STATUSES,
        kind_weights=KIND_WEIGHTS,
    )
    started = time.perf_counter()
    common.load_rows(engine, rows, progress=True)
    seconds = time.perf_counter() - started
    # The marker goes last, so an interrupted load is never taken for a finished one.
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE IF NOT EXISTS bench_meta (key TEXT PRIMARY KEY, value TEXT)"
        )
        conn.exec_driver_sql("DELETE FROM bench_meta")
        conn.execute(sa.text("INSERT INTO bench_meta VALUES ('data', :v)"), {"v": key})
    return seconds


# ---------------------------------------------------------------------------------------------
# The product
# ---------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Query:
    label: str
    path: str
    resolution: int | None = None  # hexes at this resolution, else areas at AREA_LEVEL
    compact: bool = False  # the map's compact cells (ids and counts) instead of GeoJSON

    def core(self, engine: Engine, settings: Settings) -> list[dict[str, Any]]:
        with engine.connect() as conn:
            if self.compact:
                assert self.resolution is not None
                cells, _, _ = cells_of.counts(
                    conn,
                    ReportQuery(),
                    resolution=self.resolution,
                    public_resolution=settings.public_h3_resolution,
                    max_cells=settings.max_aggregate_cells,
                )
                return compact_features(cells)
            if self.resolution is None:
                features, _, _ = aggregate.areas(
                    conn, ReportQuery(), level=AREA_LEVEL, threshold=settings.suppression_threshold
                )
            else:
                features, _, _ = aggregate.hexes(
                    conn,
                    ReportQuery(),
                    resolution=self.resolution,
                    threshold=settings.suppression_threshold,
                    public_resolution=settings.public_h3_resolution,
                    max_cells=settings.max_aggregate_cells,
                )
        return features


def compact_features(cells: Sequence[Sequence[Any]]) -> list[dict[str, Any]]:
    """The compact answer's `[cell, reports]` pairs as the features the checks read."""
    return [{"properties": {"h3": cell, "reports": n}} for cell, n in cells]


QUERIES = {
    **{
        f"hexes-r{r}": Query(f"hexes r{r}", f"/api/v1/aggregates/hexes?resolution={r}", r)
        for r in HEX_RESOLUTIONS
    },
    # What the map asks for: ids and counts, drawn by the browser (not a target of its own).
    **{
        f"cells-r{r}": Query(f"cells r{r}", f"/api/v1/aggregates/cells?resolution={r}", r, True)
        for r in (5, 7)
    },
    f"areas-{AREA_LEVEL}": Query(
        f"areas level {AREA_LEVEL}", f"/api/v1/aggregates/areas?level={AREA_LEVEL}"
    ),
}


@dataclass(slots=True)
class Result:
    backend: str
    count: int
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


def run_backend(backend: str, args: argparse.Namespace, ghana: Ghana) -> list[Result]:
    print(f"\n== {backend}, {args.count:,} reports")
    key = _data_key(args.count, args.seed)
    with database(
        backend, count=args.count, seed=args.seed, keep=args.keep, postgres_url=args.postgres_url
    ) as (url, ready):
        engine = make_engine(url)
        try:
            if ready:
                print(f"  reusing {make_url(url).database} ({key})")
            else:
                how = "COPY" if backend == "postgis" else "Core executemany"
                seconds = load(engine, ghana, count=args.count, seed=args.seed, key=key)
                print(
                    f"  generated and stored {args.count:,} reports with {how} in {seconds:.1f} s "
                    f"({args.count / seconds:,.0f}/s)"
                )
            with _baseline(engine, backend, args) as base:
                return _measure(backend, url, engine, base, args)
        finally:
            engine.dispose()


@contextlib.contextmanager
def _baseline(engine: Engine, backend: str, args: argparse.Namespace) -> Iterator[Baseline]:
    regions = args.data_dir / common.REGIONS_FILE
    if args.baseline_source == "db":
        yield Baseline("db", None, engine, regions)
        return
    name = f"civicmap_bench_agg_{backend}_{args.count}_{args.seed}_v{GENERATOR_VERSION}.gpkg"
    folder = CACHE_DIR if args.keep else Path(tempfile.mkdtemp(prefix="civicmap_bench_agg_"))
    path = folder / name
    try:
        if not path.exists():
            seconds = analyst.export_geopackage(engine, path)
            print(f"  exported the points to a GeoPackage in {seconds:.1f} s")
        yield Baseline("gpkg", path, engine, regions)
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


def _measure(
    backend: str, url: str, engine: Engine, base: Baseline, args: argparse.Namespace
) -> list[Result]:
    from api.app import create_app

    settings = common.settings(url, max_aggregate_cells=args.max_cells)
    TestClient = common.test_client()
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
            return analyst.baseline_areas(base, stages[-1])
        return analyst.baseline_hexes(
            base, query.resolution, settings.public_h3_resolution, stages[-1]
        )

    http_s, body = common.median_time(http, args.repeat)
    core_s, _ = common.median_time(lambda: query.core(engine, settings), args.repeat)
    base_s, expected = common.median_time(baseline, args.repeat)
    answer = orjson.loads(body)
    features = compact_features(answer["cells"]) if query.compact else answer["features"]
    if query.resolution is None:
        # sjoin with the same polygons is the same point-in-polygon rule as the product's.
        summary = analyst.check(query.label, None, features, expected, expected)
    else:
        reference = analyst.reference_counts(base, query.resolution, settings.public_h3_resolution)
        summary = analyst.check(query.label, query.resolution, features, reference, expected)
    median_stages = {k: statistics.median(s[k] for s in stages) for k in stages[0]}
    return Result(
        backend, args.count, query.label, http_s, core_s, base_s, len(body), median_stages, summary
    )


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
    load = common.load_average()
    print(
        f"\nmedian of {args.repeat} runs; baseline reads "
        f"{'a GeoPackage export' if args.baseline_source == 'gpkg' else 'the database'}; "
        f"{os.cpu_count()} CPUs, load average {load} at the end (started at {args.load_at_start})"
    )
    header = (
        f"{'backend':<11} {'reports':>9} {'query':<14} {'product s':>10} {'baseline s':>11}"
        f" {'speed-up':>9} {'core s':>8} {'answer MB':>10}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        print(
            f"{r.backend:<11} {r.count:>9,} {r.query:<14} {r.http:>10.3f} {r.baseline:>11.3f} "
            f"{r.speedup:>8.1f}x {r.core:>8.3f} {r.bytes / 1e6:>10.1f}"
        )
    print("\ntargets (issue 14), at the largest count:")
    for line in target_lines(results):
        print("  " + line)
    print("\nbaseline stages (median s):")
    for r in results:
        parts = "  ".join(f"{k} {v:.3f}" for k, v in r.stages.items())
        print(f"  {r.backend:<11} {r.count:>9,} {r.query:<14} {parts}")


def target_lines(results: Sequence[Result]) -> list[str]:
    """Each target of issue 14 with `ok` or `MISSED` and the figure measured against it."""
    largest = max(r.count for r in results)
    smallest = min(r.count for r in results)
    at = {(r.backend, r.count, r.query): r for r in results}
    lines = []
    for r in (r for r in results if r.count == largest):
        limit = TARGET_SECONDS.get((r.backend, r.query))
        if limit is not None:
            verdict = "ok" if r.http < limit else "MISSED"
            lines.append(f"{verdict:<6} {r.backend} {r.query} under {limit} s: {r.http:.3f} s")
        verdict = "ok" if r.speedup >= TARGET_SPEEDUP else "MISSED"
        if r.query in SPEEDUP_TARGETED:
            lines.append(
                f"{verdict:<6} {r.backend} {r.query} at least {TARGET_SPEEDUP:.0f}x the baseline: "
                f"x{r.speedup:.1f}"
            )
        small = at.get((r.backend, smallest, r.query))
        if r.query in FIXED_SIZE and small is not None and smallest < largest:
            growth = r.http / small.http
            verdict = "ok" if growth <= TARGET_GROWTH else "MISSED"
            lines.append(
                f"{verdict:<6} {r.backend} {r.query} at {largest:,} at most {TARGET_GROWTH}x "
                f"its time at {smallest:,}: x{growth:.2f} ({small.http:.3f} s -> {r.http:.3f} s)"
            )
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Hexagon and area aggregates of stored reports against the geopandas "
        "pipeline an analyst would write; see the module docstring."
    )
    parser.add_argument(
        "--count",
        type=int,
        nargs="+",
        default=[100_000, 1_000_000],
        help="reports to store; each count is measured in turn, in the same run",
    )
    parser.add_argument("--repeat", type=int, default=5, help="runs per query (median)")
    common.add_backend_options(parser, default="both", seed=7)
    parser.add_argument(
        "--keep", action="store_true", help="reuse and keep the generated databases"
    )
    parser.add_argument(
        "--baseline-source",
        choices=("gpkg", "db"),
        default="gpkg",
        help="where the analyst reads the points: a GeoPackage export, or read_postgis",
    )
    parser.add_argument(
        "--data-dir", type=Path, default=common.SHARED_DATA, help="env CIVICMAP_SHARED_DATA"
    )
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
    args.load_at_start = common.load_average()

    backends = common.chosen_backends(args)
    if not backends:
        return 1
    ghana = Ghana.read(args.data_dir)
    results = []
    for backend in backends:
        for count in args.count:
            results.extend(
                run_backend(backend, argparse.Namespace(**{**vars(args), "count": count}), ghana)
            )
    print_table(results, args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
