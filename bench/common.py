"""What the benchmarks share: options, scratch databases, the settings and client of the app, the
loader of report rows, timing, and where the shared data lives.

Reports themselves come from bench/synthetic.py; this module only stores and measures.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import statistics
import sys
import time
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

from mapping.settings import Settings
from mapping.storage import areas as area_store
from mapping.storage import dialect, make_engine, scratch, tallies
from mapping.storage.tables import reports

REPO = Path(__file__).resolve().parent.parent
# The shared data (boundaries, towns, facilities, coastline), beside the repository.
SHARED_DATA = Path(os.environ.get("CIVICMAP_SHARED_DATA", REPO.parent / "shared" / "data"))
REGIONS_FILE = "geoboundaries_gha_adm1_simplified.geojson"
DEFAULT_POSTGRES_URL = os.environ.get(
    "CIVICMAP_BENCH_POSTGRES_URL", "postgresql+psycopg://civicmap:civicmap@localhost/postgres"
)
BACKENDS = ("spatialite", "postgis")
BATCH_PATH = "/api/v1/reports/batch"
T = TypeVar("T")

# ---------------------------------------------------------------------------------------------
# Options and databases
# ---------------------------------------------------------------------------------------------


def add_backend_options(
    parser: argparse.ArgumentParser, *, default: str = "both", seed: int | None = None
) -> None:
    """--backend spatialite|postgis|both and --postgres-url; --seed too when a default is given."""
    parser.add_argument("--backend", choices=[*BACKENDS, "both"], default=default)
    parser.add_argument(
        "--postgres-url",
        default=DEFAULT_POSTGRES_URL,
        help="a role that may CREATE DATABASE (env CIVICMAP_BENCH_POSTGRES_URL; scratch "
        "databases are dropped)",
    )
    if seed is not None:
        parser.add_argument("--seed", type=int, default=seed, help="seed of the synthetic reports")


def chosen_backends(args: argparse.Namespace) -> list[str]:
    """The backends of --backend, without PostGIS (and a note on stderr) when unreachable."""
    backends = list(BACKENDS) if args.backend == "both" else [args.backend]
    if "postgis" in backends and (problem := scratch.problem_reaching(args.postgres_url)):
        where = make_url(args.postgres_url).render_as_string(hide_password=True)
        print(f"PostGIS skipped: cannot connect to {where}: {problem}", file=sys.stderr)
        backends.remove("postgis")
    return backends


def scratch_store(
    backend: str, postgres_url: str, prefix: str = "civicmap_bench"
) -> contextlib.AbstractContextManager[str]:
    """The URL of a new database with CivicMap's schema, removed afterwards: a SpatiaLite file
    in a temporary folder, or a PostgreSQL database `prefix_<hex>` made through `postgres_url`.

    A new database per measurement (not a truncated table), so every run starts from the same
    state: no dead tuples, no grown indexes, no WAL of the previous run to checkpoint.
    """
    return scratch.temporary_store(backend, postgres_url, prefix)


def settings(url: str, **overrides: Any) -> Settings:
    """The app's settings for `url`; _env_file=None so that a developer's .env changes nothing."""
    return Settings(database_url=url, _env_file=None, **overrides)  # type: ignore[call-arg]


def test_client() -> Any:
    """FastAPI's TestClient class, imported without Starlette's warning about httpx."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*httpx.*")
        from fastapi.testclient import TestClient
    return TestClient


def report_count(url: str) -> int | None:
    """Reports stored at `url`, or None when there is no schema (or no database)."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.scalar(sa.select(sa.func.count()).select_from(reports)) or 0)
    except sa.exc.SQLAlchemyError:
        return None
    finally:
        engine.dispose()


def read_regions(data_dir: Path = SHARED_DATA) -> Any:
    """Ghana's 16 regions (level 1) read by the product's reader, as a GeoDataFrame (code, name,
    geometry); None when the shared file is missing."""
    from mapping.areas.files import read_boundaries

    path = data_dir / REGIONS_FILE
    return read_boundaries(path, level=1).frame if path.exists() else None


def save_regions(engine: Engine, regions: Any) -> None:
    """Store `regions` (from `read_regions`) as the product's areas."""
    with engine.begin() as conn:
        area_store.save_areas(conn, regions, source=REGIONS_FILE)


def area_index(engine: Engine) -> Any:
    """The product's AreaIndex of the stored areas (empty when there are none)."""
    from mapping.areas.index import AreaIndex

    with engine.connect() as conn:
        return AreaIndex(area_store.index_rows(conn))


# ---------------------------------------------------------------------------------------------
# Loading rows
# ---------------------------------------------------------------------------------------------


def insert_chunk(engine: Engine, rows: Sequence[dict[str, Any]]) -> None:
    """One transaction: SQLAlchemy Core executemany of `rows` into reports, the point as EWKT
    (GeoAlchemy2 binds it through ST_GeomFromEWKT on both backends, as the real path does)."""
    with engine.begin() as conn:
        conn.execute(sa.insert(reports), list(rows))


def load_rows(
    engine: Engine,
    chunks: Iterable[Sequence[dict[str, Any]]],
    *,
    defer_spatial_index: bool = False,
    progress: bool = False,
) -> int:
    """Store every chunk of rows, one transaction each; the number stored.

    PostgreSQL gets COPY ... FROM STDIN (text, the point as EWKT) then VACUUM ANALYZE, what
    autovacuum would have done by the time anyone asks; SpatiaLite gets `insert_chunk`, then a
    WAL checkpoint and ANALYZE. `defer_spatial_index` builds SpatiaLite's spatial index once at
    the end rather than row by row (about twice as fast; the index is the same). The tallies
    are made once at the end too (`tallies.rebuild`, what their triggers would have made row
    by row), as an operator's bulk load would: their triggers are off meanwhile.
    """
    postgres = engine.dialect.name == "postgresql"
    sqlite_index = defer_spatial_index and not postgres
    if sqlite_index:
        with engine.begin() as conn:
            conn.exec_driver_sql("SELECT DisableSpatialIndex('reports', 'geom')")
            conn.exec_driver_sql("DROP TABLE IF EXISTS idx_reports_geom")
    with engine.begin() as conn:
        tallies.drop_triggers(conn)
    done = 0
    for rows in chunks:
        if postgres:
            copy_chunk(engine, rows)
        else:
            insert_chunk(engine, rows)
        done += len(rows)
        if progress:
            _progress(done)
    with engine.begin() as conn:
        tallies.create_triggers(conn)
        tallies.rebuild(conn)
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        if postgres:
            for table in ("reports", "hex_tallies", "area_tallies"):
                conn.exec_driver_sql(f"VACUUM ANALYZE {table}")
        else:
            if sqlite_index:
                conn.exec_driver_sql("SELECT CreateSpatialIndex('reports', 'geom')")
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.exec_driver_sql("ANALYZE")
    if progress and done:
        print(f"  loaded {done:,}", file=sys.stderr, flush=True)
    return done


_JSON_COLUMNS = ("attributes", "quality")


def copy_chunk(engine: Engine, rows: Sequence[dict[str, Any]]) -> None:
    """PostgreSQL, one transaction: COPY ... FROM STDIN (text) of `rows` into reports, the
    point as EWKT and JSON columns as JSON text."""
    if not rows:
        return
    columns = list(rows[0])
    statement = f"COPY reports ({', '.join(columns)}) FROM STDIN"
    with engine.begin() as conn:
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        dialect.copy_rows(cursor, statement, rows, columns, _JSON_COLUMNS)


def _progress(done: int) -> None:
    if sys.stderr.isatty():
        print(f"\r  loaded {done:,}", end="", file=sys.stderr, flush=True)
    elif done % 500_000 == 0:  # a log file gets a line now and then
        print(f"  loaded {done:,}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# Timing
# ---------------------------------------------------------------------------------------------


def median_time(fn: Callable[[], T], repeat: int, label: str | None = None) -> tuple[float, T]:
    """Median seconds of `repeat` calls of `fn`, and the last call's result.

    Garbage is collected between calls, not inside one. With a `label` each call's time goes to
    stderr, so the spread can be seen.
    """
    if repeat < 1:
        raise ValueError(f"repeat must be at least 1, not {repeat}")
    times = []
    for i in range(repeat):
        gc.collect()
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
        if label:
            print(f"  {label} run {i + 1}/{repeat}: {times[-1]:.3f} s", file=sys.stderr)
    return statistics.median(times), result


def paired_ratio(these: Sequence[float], baseline: Sequence[float]) -> float:
    """The median of the ratios of each repetition (measured back to back), so that a slow
    moment of the machine hits both sides alike."""
    return statistics.median(a / b for a, b in zip(these, baseline, strict=True))


def ratio(these: Sequence[float], baseline: Sequence[float]) -> float:
    """Median over median, for sides not measured in pairs."""
    return statistics.median(these) / statistics.median(baseline)


def load_average() -> str:
    return ", ".join(f"{x:.1f}" for x in os.getloadavg())


@contextlib.contextmanager
def engine_at(url: str) -> Iterator[Engine]:
    """The product's engine for `url`, disposed afterwards."""
    engine = make_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()
