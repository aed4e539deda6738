"""Ingest benchmark: the batch HTTP path against a bare insert of the same rows.

    .venv/bin/python bench/ingest.py [--count N] [--repeat R] [--backend spatialite|postgis|both]
                                     [--seed S] [--postgres-url URL] [--profile]

For each backend, on a fresh schema every time, it measures

  full  POST /api/v1/reports/batch, FeatureCollections of 5,000 features, through the real app
        in-process (TestClient): body reading, JSON parsing, validation, H3, quality flags,
        idempotency bookkeeping, the insert and the JSON answer;
  bare  the same rows, computed beforehand with `reports.to_row`, inserted with SQLAlchemy
        Core executemany in chunks of 5,000, one transaction per chunk, the point as EWKT.

`bare` is the floor the storage itself sets on this machine, measured in the same run, so the
ratio full/bare says how much the application adds whatever the hardware. Figures are medians of
`--repeat` repetitions. The targets (from the issue): full >= 40% of bare on both backends, and
full >= 5,000 reports/s on PostGIS. This is a measurement, not a test: it exits 0 when a target is
missed, and only fails when the service answers wrongly (then the figures would mean nothing).

`--profile` adds one more full-path run per backend under cProfile, with the app driven on the
main thread so that the profile sees the work the server does in its thread pool.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import gc
import io
import os
import pstats
import random
import statistics
import sys
import time
import uuid
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

# Run as a script from anywhere: the packages live one folder up.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from mapping.reports import ingest
from mapping.reports.rows import Limits, client_id_for, to_row, validate_feature
from mapping.settings import Settings
from mapping.storage import make_engine
from mapping.storage.scratch import problem_reaching, temporary_store
from mapping.storage.tables import reports
from mapping.taxonomy import (
    HOTSPOT_THEMES,
    LITTER_ITEMS,
    LITTER_SURVEYS,
    SERVICE_CATEGORIES,
)

BATCH = 5000  # the API's default batch limit, and the chunk of the bare insert
BATCH_PATH = "/api/v1/reports/batch"
TARGET_RATIO = 0.40
TARGET_POSTGIS_RATE = 5000.0
DEFAULT_POSTGRES_URL = os.environ.get(
    "CIVICMAP_BENCH_POSTGRES_URL", "postgresql+psycopg://civicmap:civicmap@localhost/postgres"
)

# ---------------------------------------------------------------------------------------------
# Reports that look like a real campaign in Ghana
# ---------------------------------------------------------------------------------------------

GHANA = (-3.2, 4.7, 1.2, 11.1)  # lon/lat box
# (lon, lat, weight): where people live, so most reports cluster as they would in the field.
TOWNS = [
    (-0.187, 5.604, 8),  # Accra
    (-1.624, 6.688, 5),  # Kumasi
    (-0.839, 9.404, 3),  # Tamale
    (-1.755, 4.899, 2),  # Sekondi-Takoradi
    (-1.246, 5.106, 2),  # Cape Coast
    (0.017, 5.669, 2),  # Tema
    (-2.329, 7.339, 1),  # Sunyani
    (0.471, 6.601, 1),  # Ho
    (-0.259, 6.094, 1),  # Koforidua
    (-0.851, 10.786, 1),  # Bolgatanga
    (-2.501, 10.060, 1),  # Wa
]
# Litter surveys are done on beaches: a few coastal stretches.
BEACHES = [
    (-0.187, 5.540),
    (-1.246, 5.100),
    (-1.755, 4.890),
    (0.017, 5.640),
    (0.990, 5.910),
    (-2.200, 4.880),
    (-0.600, 5.330),
]
CAMPAIGNS = [
    "accra-clinics-2025",
    "beach-watch-gh",
    "water-points-north",
    "ashanti-schools",
    "flood-watch-2025",
]
DESCRIPTIONS = [
    "Long queue in the morning; staff were helpful once we were seen.",
    "The borehole works but the pump handle is loose.",
    "Drains blocked with plastic after the rains, water stands for days.",
    "Toilet block closed since last month, people use the bush behind the market.",
    "Mostly sachet water bags and bottle caps along the high-tide line.",
    "Nurses asked for money before treating my child.",
    "Streetlight out near the junction, unsafe after dark.",
    "New classroom block opened, but there are not enough desks.",
]
SERVICE_NAMES = [
    "Polyclinic",
    "CHPS compound",
    "Basic School",
    "Borehole",
    "District Assembly",
    "Lorry station",
    "Central Market",
    "Police Post",
    "Community Pharmacy",
]
ASPECTS = ["access", "affordability", "quality", "equal_treatment", "courtesy", "timeliness"]
SEXES = ["female", "male", "other", "undisclosed"]
AGE_GROUPS = ["0-14", "15-24", "25-44", "45-64", "65+"]
LITTER_CODES = [item.code for item in LITTER_ITEMS]
OBSERVED_FROM = datetime(2024, 1, 1, tzinfo=UTC)
OBSERVED_SPAN_S = 2 * 365 * 24 * 3600


def _clamp(value: float, low: float, high: float) -> float:
    return min(max(value, low), high)


def _point(rng: random.Random, kind: str) -> list[float]:
    """A point in the Ghana box: on a beach for litter, else mostly near towns, some anywhere."""
    x0, y0, x1, y1 = GHANA
    if kind == "litter":
        lon, lat = rng.choice(BEACHES)
        lon, lat = lon + rng.gauss(0, 0.05), lat + rng.gauss(0, 0.01)
    elif rng.random() < 0.7:
        lon, lat, _ = rng.choices(TOWNS, weights=[w for *_, w in TOWNS])[0]
        lon, lat = lon + rng.gauss(0, 0.08), lat + rng.gauss(0, 0.08)
    else:
        lon, lat = rng.uniform(x0, x1), rng.uniform(y0, y1)
    # Six decimals, as a phone's GPS gives them (about 0.1 m).
    return [round(_clamp(lon, x0, x1), 6), round(_clamp(lat, y0, y1), 6)]


def _attributes(rng: random.Random, kind: str, category: str) -> dict[str, Any]:
    if kind == "service":
        attributes: dict[str, Any] = {
            "name": f"{rng.choice(SERVICE_NAMES)} {rng.randint(1, 400)}",
            "status": rng.choices(["operational", "partly", "closed"], weights=[7, 2, 1])[0],
        }
        if rng.random() < 0.9:
            attributes["satisfaction"] = rng.randint(1, 4)
        aspects = rng.sample(ASPECTS, rng.randint(0, 4))
        if aspects:
            attributes["aspects"] = {a: rng.randint(1, 4) for a in aspects}
        return attributes
    if kind == "litter":
        codes = rng.sample(LITTER_CODES, rng.randint(3, 15))
        return {
            # OSPAR monitoring surveys a 100 m stretch; clean-ups and sightings vary.
            "survey_length_m": 100 if category == "monitoring" else round(rng.uniform(5, 1000), 1),
            "items": {code: int(rng.expovariate(1 / 25)) for code in codes},
        }
    attributes = {"severity": rng.randint(1, 5)}
    if rng.random() < 0.8:
        attributes["people_affected"] = int(rng.expovariate(1 / 300))
    return attributes


def make_features(count: int, seed: int) -> list[dict[str, Any]]:
    """`count` valid report Features, the same ones for the same seed."""
    rng = random.Random(seed)
    categories = {
        "service": [c.code for c in SERVICE_CATEGORIES],
        "litter": [c.code for c in LITTER_SURVEYS],
        "hotspot": [c.code for c in HOTSPOT_THEMES],
    }
    features = []
    for _ in range(count):
        kind = rng.choices(["service", "litter", "hotspot"], weights=[5, 2, 3])[0]
        category = rng.choice(categories[kind])
        observed = OBSERVED_FROM + timedelta(seconds=rng.randrange(OBSERVED_SPAN_S))
        props: dict[str, Any] = {
            "kind": kind,
            "category": category,
            "observed_at": observed.isoformat(),
            # Drawn from the seeded generator (not uuid4) so that a run can be repeated exactly.
            "client_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "attributes": _attributes(rng, kind, category),
        }
        if rng.random() < 0.85:
            # Mostly a few metres, with a tail past the low-accuracy flag (500 m).
            props["accuracy_m"] = round(_clamp(rng.lognormvariate(2.5, 1.2), 1, 10_000), 1)
        if rng.random() < 0.3:
            props["campaign"] = rng.choice(CAMPAIGNS)
        if rng.random() < 0.5:
            props["description"] = rng.choice(DESCRIPTIONS)
        if rng.random() < (0.3 if category in ("discrimination", "safety") else 0.03):
            props["sensitive"] = True
        if rng.random() < 0.7:
            props["reporter"] = {
                "sex": rng.choice(SEXES),
                "age_group": rng.choice(AGE_GROUPS),
                "disability": rng.random() < 0.1,
            }
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": _point(rng, kind)},
                "properties": props,
            }
        )
    return features


def precompute_rows(features: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows the real path would store, for the bare insert (computed outside any timing)."""
    limits, now = Limits(), datetime.now(UTC)
    rows = []
    for number, feature in enumerate(features):
        try:
            report = validate_feature(feature, limits=limits, now=now)
        except ingest.InvalidInput as exc:  # the generator is wrong, not the service
            raise SystemExit(f"generated feature {number} is invalid: {exc.errors}") from None
        client_id = client_id_for(report, None)
        row = to_row(report, client_id=client_id, received_at=now, limits=limits)
        if "submitter" in row:
            # The real path stores the sender's pseudonym (32 hex digits); the same here, so
            # that both sides write the same bytes.
            row["submitter"] = "0" * 32
        rows.append(row)
    return rows


# ---------------------------------------------------------------------------------------------
# Fresh databases
# ---------------------------------------------------------------------------------------------


def fresh_database(backend: str, postgres_url: str) -> contextlib.AbstractContextManager[str]:
    """A new, empty database with CivicMap's schema; removed afterwards.

    A new database per measurement (not a truncated table) so that every run starts from the same
    state: no dead tuples, no grown indexes, no WAL of the previous run to checkpoint.
    """
    return temporary_store(backend, postgres_url, "civicmap_bench")


def _stored(url: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.scalar(sa.select(sa.func.count()).select_from(reports)) or 0)
    finally:
        engine.dispose()


# ---------------------------------------------------------------------------------------------
# The two measurements
# ---------------------------------------------------------------------------------------------


def _settings(url: str) -> Settings:
    # _env_file=None: a developer's .env must not change what is measured.
    return Settings(database_url=url, _env_file=None)  # type: ignore[call-arg]


def volunteer_key(url: str) -> dict[str, str]:
    """The header of a new volunteer key in this database: batches need a key (API.md, Roles)."""
    from mapping import keys

    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            _, key = keys.create_key(conn, name="ingest bench", role="volunteer")
    finally:
        engine.dispose()
    return {"authorization": f"Bearer {key}"}


def _check_answers(answers: Sequence[tuple[int, bytes]], sizes: Sequence[int]) -> None:
    for number, ((status, content), size) in enumerate(zip(answers, sizes, strict=True)):
        if status != 200:
            raise SystemExit(f"batch {number}: HTTP {status}: {content[:500]!r}")
        created = orjson.loads(content)["created"]
        if created != size:
            raise SystemExit(f"batch {number}: {created} of {size} reports created")


def measure_full(url: str, bodies: Sequence[bytes], sizes: Sequence[int]) -> float:
    """Seconds to POST every batch body through the app, from the first byte to the last answer."""
    with warnings.catch_warnings():
        # Starlette nags about httpx inside its TestClient; it changes nothing measured here.
        warnings.filterwarnings("ignore", message=".*httpx.*")
        from fastapi.testclient import TestClient

    from api.app import create_app

    app = create_app(_settings(url))
    headers = {"content-type": "application/json", **volunteer_key(url)}
    try:
        with TestClient(app) as client:
            # Not timed: the first request opens the pool (and loads SpatiaLite); an empty batch
            # does that without storing anything.
            warm = client.post(
                BATCH_PATH, content=b'{"type":"FeatureCollection","features":[]}', headers=headers
            )
            if warm.status_code != 200:
                raise SystemExit(f"warm-up batch: HTTP {warm.status_code}: {warm.text[:500]}")
            answers = []
            start = time.perf_counter()
            for body in bodies:
                response = client.post(BATCH_PATH, content=body, headers=headers)
                # Only keep the bytes: decoding the answer is the client's work, not the server's.
                answers.append((response.status_code, response.content))
            elapsed = time.perf_counter() - start
    finally:
        app.state.engine.dispose()
    _check_answers(answers, sizes)
    return elapsed


def measure_bare(url: str, rows: Sequence[dict[str, Any]]) -> float:
    """Seconds to insert the precomputed rows: executemany per chunk, one transaction each.

    The `geom` column is GeoAlchemy2's Geometry, which binds the EWKT string through
    ST_GeomFromEWKT on both backends, as the real path does; the engine is the service's own
    (WAL and synchronous=FULL on SpatiaLite), so durability costs the same on both sides.
    """
    engine = make_engine(url)
    statement = sa.insert(reports)
    try:
        with engine.connect():  # not timed: opening the first connection
            pass
        start = time.perf_counter()
        for first in range(0, len(rows), BATCH):
            with engine.begin() as conn:
                conn.execute(statement, rows[first : first + BATCH])
        elapsed = time.perf_counter() - start
    finally:
        engine.dispose()
    return elapsed


@dataclass
class Result:
    backend: str
    full: list[float]  # reports/s per repetition
    bare: list[float]

    @property
    def full_rate(self) -> float:
        return statistics.median(self.full)

    @property
    def bare_rate(self) -> float:
        return statistics.median(self.bare)

    @property
    def ratio(self) -> float:
        # Paired by repetition, so that a slow moment of the machine hits both sides alike.
        return statistics.median(f / b for f, b in zip(self.full, self.bare, strict=True))


def run_backend(
    backend: str,
    *,
    bodies: Sequence[bytes],
    sizes: Sequence[int],
    rows: Sequence[dict[str, Any]],
    repeat: int,
    postgres_url: str,
) -> Result:
    count = len(rows)
    result = Result(backend, [], [])
    for rep in range(repeat):
        # Alternate which side goes first, so that neither always inherits the other's
        # leftovers (dirty pages being written back, a PostgreSQL checkpoint).
        order = ("full", "bare") if rep % 2 == 0 else ("bare", "full")
        for side in order:
            with fresh_database(backend, postgres_url) as url:
                if side == "full":
                    seconds = measure_full(url, bodies, sizes)
                else:
                    seconds = measure_bare(url, rows)
                stored = _stored(url)
            if stored != count:
                raise SystemExit(f"{backend} {side}: {stored} rows stored, expected {count}")
            (result.full if side == "full" else result.bare).append(count / seconds)
            print(
                f"  {backend:<10} rep {rep + 1}/{repeat} {side:<4} {count / seconds:>9,.0f}/s "
                f"({seconds:.2f} s)",
                file=sys.stderr,
                flush=True,
            )
    return result


# ---------------------------------------------------------------------------------------------
# Profiling the full path
# ---------------------------------------------------------------------------------------------


def profile_full(url: str, bodies: Sequence[bytes], *, top: int, out: Path | None) -> None:
    """One full-path run under cProfile, with every part of the request on this thread.

    cProfile sees only the thread it was started on, while the app runs the batch in a worker
    thread (run_in_threadpool) and TestClient runs the app on yet another. So here the app is
    driven by httpx's ASGITransport on this thread's event loop, and anyio's to_thread.run_sync
    is replaced, for this run only, by a direct call. The work is the same; only the hand-overs
    between threads are left out.
    """
    import anyio.to_thread
    import httpx

    from api.app import create_app

    async def inline(func, *args, **_kwargs):  # type: ignore[no-untyped-def]
        return func(*args)

    app = create_app(_settings(url))
    headers = {"content-type": "application/json", **volunteer_key(url)}

    async def post_all() -> list[int]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            await client.post(
                BATCH_PATH, content=b'{"type":"FeatureCollection","features":[]}', headers=headers
            )
            profiler.enable()
            statuses = [
                (await client.post(BATCH_PATH, content=b, headers=headers)).status_code
                for b in bodies
            ]
            profiler.disable()
            return statuses

    profiler = cProfile.Profile()
    original = anyio.to_thread.run_sync
    anyio.to_thread.run_sync = inline  # type: ignore[assignment]
    try:
        start = time.perf_counter()
        statuses = asyncio.run(post_all())
        elapsed = time.perf_counter() - start
    finally:
        anyio.to_thread.run_sync = original  # type: ignore[assignment]
        app.state.engine.dispose()
    if any(s != 200 for s in statuses):
        raise SystemExit(f"profiled run: statuses {sorted(set(statuses))}")
    if out is not None:
        profiler.dump_stats(out)
    stats = pstats.Stats(profiler)
    total = stats.total_tt  # type: ignore[attr-defined]
    print(
        f"\nprofile of the full path ({sum(1 for _ in bodies)} batches, {elapsed:.1f} s with "
        f"cProfile's overhead; profiled time {total:.1f} s)"
    )
    for key in ("tottime", "cumulative"):
        buffer = io.StringIO()
        pstats.Stats(profiler, stream=buffer).sort_stats(key).print_stats(top)
        lines = buffer.getvalue().splitlines()
        begin = next(i for i, line in enumerate(lines) if line.lstrip().startswith("ncalls"))
        print(f"-- top {top} by {key} --")
        print("\n".join(lines[begin:]).rstrip())


# ---------------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=100_000, help="reports (default 100000)")
    parser.add_argument("--repeat", type=int, default=3, help="repetitions; medians are shown")
    parser.add_argument("--backend", choices=["spatialite", "postgis", "both"], default="both")
    parser.add_argument("--seed", type=int, default=20250601, help="seed of the generated reports")
    parser.add_argument(
        "--postgres-url",
        default=DEFAULT_POSTGRES_URL,
        help="a role that may CREATE DATABASE (scratch databases are dropped)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="after measuring, profile one full-path run per backend",
    )
    parser.add_argument("--profile-top", type=int, default=30, help="functions listed")
    parser.add_argument(
        "--profile-out",
        type=Path,
        help="also save the profile (BACKEND is added to the name) for pstats",
    )
    args = parser.parse_args(argv)
    if args.count < 1 or args.repeat < 1:
        parser.error("--count and --repeat must be at least 1")

    backends = ["spatialite", "postgis"] if args.backend == "both" else [args.backend]
    if "postgis" in backends and (problem := problem_reaching(args.postgres_url)):
        print(
            f"PostGIS skipped: cannot connect to {make_url(args.postgres_url)!r}: {problem}",
            file=sys.stderr,
        )
        backends.remove("postgis")

    started = time.perf_counter()
    features = make_features(args.count, args.seed)
    rows = precompute_rows(features)
    # Serialised once, outside the timing: the client's encoding is not the server's work.
    bodies = [
        orjson.dumps({"type": "FeatureCollection", "features": features[i : i + BATCH]})
        for i in range(0, len(features), BATCH)
    ]
    sizes = [len(features[i : i + BATCH]) for i in range(0, len(features), BATCH)]
    del features
    # The rows and bodies stay alive all run. Freezing them keeps the collector from walking
    # them again and again during the timed parts, a cost a server would not have.
    gc.collect()
    gc.freeze()
    mib = sum(map(len, bodies)) / 2**20
    print(
        f"generated {args.count:,} reports ({mib:.0f} MiB of JSON in {len(bodies)} batches) "
        f"in {time.perf_counter() - started:.1f} s",
        file=sys.stderr,
    )

    results = [
        run_backend(
            b,
            bodies=bodies,
            sizes=sizes,
            rows=rows,
            repeat=args.repeat,
            postgres_url=args.postgres_url,
        )
        for b in backends
    ]
    print_table(results, count=args.count, repeat=args.repeat, seed=args.seed)

    if args.profile:
        for backend in backends:
            with fresh_database(backend, args.postgres_url) as url:
                out = None
                if args.profile_out:
                    out = args.profile_out.with_name(
                        f"{args.profile_out.stem}-{backend}{args.profile_out.suffix or '.pstats'}"
                    )
                print(f"\n== {backend} ==")
                profile_full(url, bodies, top=args.profile_top, out=out)
    return 0


def print_table(results: Sequence[Result], *, count: int, repeat: int, seed: int) -> None:
    print(f"\ningest: {count:,} reports, batches of {BATCH:,}, median of {repeat} (seed {seed})")
    header = f"{'backend':<11}{'full path/s':>12}{'bare insert/s':>15}{'full/bare':>11}  targets"
    print(header)
    print("-" * (len(header) + 38))
    for r in results:
        checks = [f"full/bare >= {TARGET_RATIO:.0%}: {_verdict(r.ratio >= TARGET_RATIO)}"]
        if r.backend == "postgis":
            checks.append(
                f"full >= {TARGET_POSTGIS_RATE:,.0f}/s: "
                f"{_verdict(r.full_rate >= TARGET_POSTGIS_RATE)}"
            )
        print(
            f"{r.backend:<11}{r.full_rate:>12,.0f}{r.bare_rate:>15,.0f}{r.ratio:>11.1%}  "
            + "; ".join(checks)
        )


def _verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


if __name__ == "__main__":
    sys.exit(main())
