"""Ingest benchmark: the batch HTTP path against a bare insert (and on PostGIS a bare COPY) of the
same rows.

    .venv/bin/python bench/ingest.py [--count N] [--repeat R] [--backend spatialite|postgis|both]
                                     [--seed S] [--postgres-url URL] [--survey] [--profile]

For each backend, on a fresh schema every time, it measures

  full  POST /api/v1/reports/batch, FeatureCollections of 5,000 features, through the real app
        in-process (TestClient): body reading, JSON parsing, validation, H3, quality flags,
        idempotency bookkeeping, the insert and the JSON answer;
  bare  the same rows, computed beforehand by the product's row builder (bench/synthetic.py:
        `validate_feature` and `to_row`), inserted with SQLAlchemy Core executemany in chunks
        of 5,000, one transaction per chunk, the point as EWKT (bench/common.py);
  copy  PostGIS only: the same rows with COPY ... FROM STDIN (text), one transaction per chunk
        of 5,000 (bench/common.py `copy_chunk`), the fastest way PostgreSQL takes rows in.

The reports are bench/synthetic.py's over Ghana's box (clustered around its main towns, litter
on a few beaches), the same for the same `--seed`. With `--survey` they are all clinic ratings
observed at one time, as a survey import sends them: the worst case of the duplicate check.

`bare` is the floor the storage itself sets on this machine, measured in the same run, so the
ratio full/bare says how much the application adds whatever the hardware; `copy` likewise.
Figures are medians of `--repeat` repetitions. The targets: full >= 40% of bare on both backends,
and on PostGIS full >= 5,000 reports/s and full >= 60% of copy. This is a measurement, not a
test: it exits 0 when a target is missed, and only fails when the service answers wrongly (then
the figures would mean nothing).

`--profile` adds one more full-path run per backend under cProfile, with the app driven on the
main thread so that the profile sees the work the server does in its thread pool.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import io
import pstats
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

# Run as a script from anywhere: the packages live one folder up.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import orjson
from sqlalchemy.engine import Engine

from bench import common, survey, synthetic
from bench.ingest_results import BATCH, Result, print_table

EMPTY_BATCH = b'{"type":"FeatureCollection","features":[]}'

# ---------------------------------------------------------------------------------------------
# The two measurements
# ---------------------------------------------------------------------------------------------


def volunteer_key(url: str) -> dict[str, str]:
    """The header of a new volunteer key in this database: batches need a key (API.md, Roles)."""
    from mapping import keys

    with common.engine_at(url) as engine, engine.begin() as conn:
        _, key = keys.create_key(conn, name="ingest bench", role="volunteer")
    return {"authorization": f"Bearer {key}"}


def _check_answers(answers: Sequence[tuple[int, bytes]], sizes: Sequence[int]) -> None:
    for number, ((status, content), size) in enumerate(zip(answers, sizes, strict=True)):
        if status != 200:
            raise SystemExit(f"batch {number}: HTTP {status}: {content[:500]!r}")
        created = orjson.loads(content)["created"]
        if created != size:
            raise SystemExit(f"batch {number}: {created} of {size} reports created")


def measure_full(
    url: str, bodies: Sequence[bytes], sizes: Sequence[int], *, probe: bool = False
) -> tuple[float, list[float], list[float]]:
    """Seconds to POST every batch body through the app, from the first byte to the last answer;
    with `probe`, also the seconds each of a moderator's PATCHes sent meanwhile took (they
    change one report stored beforehand), and how long each write transaction held its locks
    (the commit itself not included)."""
    from api.app import create_app

    TestClient = common.test_client()
    app = create_app(common.settings(url))
    headers = {"content-type": "application/json", **volunteer_key(url)}
    waits: list[float] = []
    holds: list[float] = []
    try:
        with TestClient(app) as client:
            # Not timed: the first request opens the pool (and loads SpatiaLite); an empty batch
            # does that without storing anything.
            warm = client.post(common.BATCH_PATH, content=EMPTY_BATCH, headers=headers)
            if warm.status_code != 200:
                raise SystemExit(f"warm-up batch: HTTP {warm.status_code}: {warm.text[:500]}")
            stop = threading.Event()
            failed: list[str] = []
            moderator = None
            if probe:
                survey.time_write_locks(app.state.engine, holds)
                patch = survey.patch_one(app, url, client, headers)
                moderator = threading.Thread(
                    target=survey.time_patches, args=(patch, stop, waits, failed)
                )
                moderator.start()
            answers = []
            start = time.perf_counter()
            for body in bodies:
                response = client.post(common.BATCH_PATH, content=body, headers=headers)
                # Only keep the bytes: decoding the answer is the client's work, not the server's.
                answers.append((response.status_code, response.content))
            elapsed = time.perf_counter() - start
            stop.set()
            if moderator is not None:
                moderator.join()
                if failed:
                    raise SystemExit(failed[0])
    finally:
        app.state.engine.dispose()
    _check_answers(answers, sizes)
    return elapsed, waits, holds


def measure_bare(url: str, rows: Sequence[dict[str, Any]]) -> float:
    """Seconds to insert the precomputed rows: `common.insert_chunk` (Core executemany, one
    transaction each) per chunk of BATCH.

    The engine is the service's own (WAL and synchronous=FULL on SpatiaLite), so durability
    costs the same on both sides.
    """
    return _timed_chunks(url, rows, common.insert_chunk)


def measure_copy(url: str, rows: Sequence[dict[str, Any]]) -> float:
    """Seconds to COPY the precomputed rows into PostgreSQL, one transaction per chunk of
    BATCH (`common.copy_chunk`)."""
    return _timed_chunks(url, rows, common.copy_chunk)


def _timed_chunks(
    url: str,
    rows: Sequence[dict[str, Any]],
    insert: Callable[[Engine, Sequence[dict[str, Any]]], None],
) -> float:
    with common.engine_at(url) as engine:
        with engine.connect():  # not timed: opening the first connection
            pass
        start = time.perf_counter()
        for first in range(0, len(rows), BATCH):
            insert(engine, rows[first : first + BATCH])
        return time.perf_counter() - start


def run_backend(
    backend: str,
    *,
    bodies: Sequence[bytes],
    sizes: Sequence[int],
    rows: Sequence[dict[str, Any]],
    repeat: int,
    postgres_url: str,
    probe: bool = False,
) -> Result:
    count = len(rows)
    result = Result(backend, [], [])
    for rep in range(repeat):
        # Alternate which side goes first, so that neither always inherits the other's
        # leftovers (dirty pages being written back, a PostgreSQL checkpoint).
        sides = ["full", "bare", *(["copy"] if backend == "postgis" else [])]
        order = sides[rep % len(sides) :] + sides[: rep % len(sides)]
        for side in order:
            with common.scratch_store(backend, postgres_url) as url:
                extra = 0
                if side == "full":
                    seconds, waits, holds = measure_full(url, bodies, sizes, probe=probe)
                    result.seconds.append(seconds)
                    result.waits += waits
                    result.holds += holds
                    extra = 1 if probe else 0  # the report the moderator changes
                elif side == "bare":
                    seconds = measure_bare(url, rows)
                else:
                    seconds = measure_copy(url, rows)
                stored = common.report_count(url)
            if stored != count + extra:
                raise SystemExit(f"{backend} {side}: {stored} rows stored, expected {count}")
            getattr(result, side).append(count / seconds)
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

    app = create_app(common.settings(url))
    headers = {"content-type": "application/json", **volunteer_key(url)}

    async def post_all() -> list[int]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            await client.post(common.BATCH_PATH, content=EMPTY_BATCH, headers=headers)
            profiler.enable()
            statuses = [
                (await client.post(common.BATCH_PATH, content=b, headers=headers)).status_code
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
    common.add_backend_options(parser, default="both", seed=20250601)
    parser.add_argument(
        "--profile",
        action="store_true",
        help="after measuring, profile one full-path run per backend",
    )
    parser.add_argument(
        "--survey",
        action="store_true",
        help="every report a clinic rating of one time, as a survey import sends them",
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

    backends = common.chosen_backends(args)

    started = time.perf_counter()
    features = synthetic.features(args.count, seed=args.seed, places=synthetic.ghana())
    if args.survey:
        features = [survey.as_survey(f) for f in features]
    # The rows the real path would store, for the bare insert; the real path stores the
    # sender's pseudonym (32 hex digits), so the same here, and both sides write the same bytes.
    rows = synthetic.to_rows(features, submitter="0" * 32)
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
            probe=args.survey,
        )
        for b in backends
    ]
    print_table(results, count=args.count, repeat=args.repeat, seed=args.seed)

    if args.profile:
        for backend in backends:
            with common.scratch_store(backend, args.postgres_url) as url:
                out = None
                if args.profile_out:
                    out = args.profile_out.with_name(
                        f"{args.profile_out.stem}-{backend}{args.profile_out.suffix or '.pstats'}"
                    )
                print(f"\n== {backend} ==")
                profile_full(url, bodies, top=args.profile_top, out=out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
