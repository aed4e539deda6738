"""Planner map benchmark: time until /map has drawn its first data layer, and the bytes sent.

    .venv/bin/python bench/map.py [--count N] [--baseline-count N] [--repeat R]
                                  [--backend spatialite|postgis|both] [--postgres-url URL]

For each backend it builds two fresh databases with Ghana's regions (from the shared data when
there) and bench/synthetic.py's reports over Ghana's box, clustered around its towns: the big
one (`--count`, default 1,000,000) and a baseline (`--baseline-count`, default 1,000). Reports
go in fast and bare (`synthetic.stored_rows`: 3,000 template reports through the product's row
builder, then copied with new ids, points, H3 cells and areas placed by the product's
AreaIndex), loaded by `common.load_rows` in chunks of 20,000, one transaction per chunk
(SpatiaLite: Core executemany, its spatial index built at the end; PostGIS: COPY). The batch
API would take far longer for a million rows and is measured by bench/ingest.py.

Each database is served by the real app under uvicorn on 127.0.0.1 and opened `--repeat` times
in headless Chromium (Debian's, through Playwright) at 1280x800, each time in a fresh browser
context (empty cache), after one unmeasured warm-up. Background tiles point at a closed local
port and are aborted, so no time or byte is the tile server's. It reports medians of

  first layer   navigation start to the first data layer painted (CivicMap.planner.timings)
  all layers    ... to every layer shown on opening painted (hexagons and service points)
  bytes         response bytes on the wire until then (Playwright's request sizes), all of them
                and those of the API alone

and the ratios big/baseline, measured in the same run so the figures hold whatever the machine.
It prints `ok` or `MISSED` against the aims: the first layer within 1 s at the big count and at
most 1.2 times the small database's, and the hexagon layer at most 40 bytes per drawn hexagon
on the wire (headers included), beside the GeoJSON answer of the same hexagons, gzipped as the
server sends it. A measurement, not a test: it exits 0 whatever the figures.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import statistics
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Run as a script from anywhere: the packages live one folder up.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
import uvicorn

from api.app import create_app
from bench import common, synthetic
from mapping.storage import scratch, upgrade

CHUNK = 20_000
TEMPLATES = 3_000
TILES = "http://127.0.0.1:9/tiles/"
CHROMIUM = os.environ.get("CIVICMAP_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# ---------------------------------------------------------------------------------------------
# Storing the reports
# ---------------------------------------------------------------------------------------------


def fill(url: str, count: int, seed: int) -> float:
    """Schema, areas, and `count` reports; the seconds the reports took to store."""
    with common.engine_at(url) as engine:
        upgrade(engine)
        if (regions := common.read_regions()) is not None:
            common.save_regions(engine, regions)
        index = common.area_index(engine)
        rows = synthetic.stored_rows(
            count,
            seed=seed,
            places=synthetic.ghana(),
            index=index,
            templates=TEMPLATES,
            chunk=CHUNK,
        )
        started = time.perf_counter()
        common.load_rows(engine, rows, defer_spatial_index=True)
        return time.perf_counter() - started


@contextlib.contextmanager
def database(backend: str, count: int, args: argparse.Namespace) -> Iterator[str]:
    """A database for `count` reports: kept ones (`--keep`) are found again by their count;
    others are scratch, dropped afterwards."""
    if not args.keep:
        with common.scratch_store(backend, args.postgres_url, "civicmap_bench_map") as url:
            yield url
    elif backend == "spatialite":
        args.keep.mkdir(parents=True, exist_ok=True)
        yield f"sqlite:///{args.keep.resolve()}/civicmap-map-{count}.sqlite"
    else:
        name = f"civicmap_bench_map_{count}"
        if not scratch.database_exists(args.postgres_url, name):
            scratch.create_database(args.postgres_url, name)
        yield scratch.database_url(args.postgres_url, name)


# ---------------------------------------------------------------------------------------------
# Serving and measuring
# ---------------------------------------------------------------------------------------------


@contextlib.contextmanager
def serve(url: str) -> Iterator[str]:
    """The whole app under uvicorn on a free port of 127.0.0.1."""
    app = create_app(common.settings(url, tile_url=TILES + "{z}/{x}/{y}.png"))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
        app.state.engine.dispose()


@dataclass
class Visit:
    first_s: float
    all_s: float
    bytes_all: int
    bytes_api: int
    features: dict[str, int]
    # The hexagon layer's own answer on the wire, and the same hexagons as GeoJSON (gzipped
    # as the server sends them), for bytes per drawn hexagon.
    bytes_hexes: int
    bytes_hexes_geojson: int


def visit(browser: Any, base: str) -> Visit:
    """Open /map once in a fresh context; times from navigation start, bytes on the wire."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.route(TILES + "**", lambda route: route.abort())
    page = context.new_page()
    finished: list[Any] = []
    page.on("requestfinished", lambda request: finished.append(request))
    page.goto(base + "/map")
    page.wait_for_function(
        "window.CivicMap && CivicMap.planner.timings.firstDrawn !== null", timeout=300_000
    )
    settled = "['drawn', 'error'].includes(CivicMap.planner.state(k).status)"
    page.wait_for_function(f"['hexes', 'service'].every(k => {settled})", timeout=300_000)
    states = page.evaluate("['hexes', 'service'].map(k => CivicMap.planner.state(k))")
    problems = [s["note"] for s in states if s["status"] == "error"]
    if problems:
        raise SystemExit(f"a layer failed, so the figures would mean nothing: {problems}")
    page.wait_for_load_state("networkidle")
    timings = page.evaluate("CivicMap.planner.timings")
    counts = page.evaluate("['hexes','service'].map(k => CivicMap.planner.state(k).count)")
    sizes = [(r.url, r.sizes()) for r in finished]
    context.close()
    wire = [(u, s["responseBodySize"] + s["responseHeadersSize"]) for u, s in sizes]
    # The hexagon layer's request: the compact cells, or the GeoJSON hexagons of no one kind
    # (the service bubbles ask for hexagons of kind=service).
    layer = [(u, n) for u, n in wire if "/aggregates/cells?" in u]
    layer += [(u, n) for u, n in wire if "/aggregates/hexes?" in u and "kind=" not in u]
    hexes_url, hexes_bytes = layer[0]
    geojson = httpx.get(hexes_url.replace("/aggregates/cells?", "/aggregates/hexes?"), timeout=600)
    return Visit(
        first_s=timings["firstDrawn"] / 1000,
        all_s=max(timings["drawn"].values()) / 1000,
        bytes_all=sum(n for _, n in wire),
        bytes_api=sum(n for u, n in wire if "/api/" in u),
        features=dict(zip(["hexes", "service"], counts, strict=True)),
        bytes_hexes=hexes_bytes,
        bytes_hexes_geojson=geojson.num_bytes_downloaded + len(str(geojson.headers)),
    )


def measure(browser: Any, url: str, repeat: int) -> list[Visit]:
    with serve(url) as base:
        visit(browser, base)  # warm-up: the server's first queries, Python's first imports
        return [visit(browser, base) for _ in range(repeat)]


@dataclass
class Figures:
    backend: str
    count: int
    insert_s: float
    visits: list[Visit]

    def median(self, name: str) -> float:
        return statistics.median(getattr(v, name) for v in self.visits)


def run_backend(
    browser: Any, backend: str, counts: Sequence[int], args: argparse.Namespace
) -> list[Figures]:
    out = []
    for count in counts:
        with database(backend, count, args) as url:
            insert_s = float("nan")
            stored = common.report_count(url)
            if stored == count:
                print(f"{backend}: {count:,} reports kept from an earlier run", flush=True)
            else:
                if stored:
                    raise SystemExit(f"{url} holds other reports; remove it or use another --keep")
                print(f"{backend}: storing {count:,} reports...", flush=True)
                insert_s = fill(url, count, args.seed)
                print(f"{backend}: {count:,} reports in {insert_s:.0f} s", flush=True)
            if not args.fill_only:
                out.append(Figures(backend, count, insert_s, measure(browser, url, args.repeat)))
    return out


def print_table(results: Sequence[Figures], repeat: int) -> None:
    print(f"\n/map in headless Chromium, 1280x800, median of {repeat} cold-cache visits\n")
    head = f"{'backend':<11}{'reports':>11}{'first layer':>13}{'all layers':>12}"
    print(head + f"{'bytes':>12}{'API bytes':>12}{'hexes':>7}{'service':>9}")
    for f in results:
        v = f.visits[0].features
        print(
            f"{f.backend:<11}{f.count:>11,}{f.median('first_s'):>12.2f}s{f.median('all_s'):>11.2f}s"
            f"{f.median('bytes_all'):>12,.0f}{f.median('bytes_api'):>12,.0f}"
            f"{v['hexes']:>7}{v['service']:>9}"
        )
    print("\nratios, big / baseline (same backend, same run):")
    by_backend: dict[str, list[Figures]] = {}
    for f in results:
        by_backend.setdefault(f.backend, []).append(f)
    for backend, (base, big) in (
        (b, sorted(fs, key=lambda f: f.count)) for b, fs in by_backend.items()
    ):
        ratios = {n: big.median(n) / base.median(n) for n in ("first_s", "all_s", "bytes_api")}
        print(
            f"  {backend}: first layer x{ratios['first_s']:.2f}, all layers x{ratios['all_s']:.2f},"
            f" API bytes x{ratios['bytes_api']:.2f}"
        )
        hexes = max(big.visits[0].features["hexes"], 1)
        per_cell = big.median("bytes_hexes") / hexes
        per_feature = big.median("bytes_hexes_geojson") / hexes
        first = big.median("first_s")
        print(f"    targets at {big.count:,} reports:")
        print(f"      first layer {first:.2f} s, aim < 1 s: {_verdict(first < 1)}")
        ratio = ratios["first_s"]
        print(
            f"      first layer x{ratio:.2f} the small one's, aim <= 1.2: {_verdict(ratio <= 1.2)}"
        )
        print(
            f"      hexagon layer {per_cell:.1f} bytes per drawn hexagon on the wire"
            f" (GeoJSON of the same: {per_feature:.0f}), aim <= 40: {_verdict(per_cell <= 40)}"
        )


def _verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--baseline-count", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=5)
    common.add_backend_options(parser, default="spatialite", seed=11)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument(
        "--keep",
        type=Path,
        help="keep the databases (SpatiaLite files in this folder, PostGIS databases "
        "civicmap_bench_map_COUNT) and reuse them when run again",
    )
    parser.add_argument(
        "--fill-only", action="store_true", help="store the reports, measure nothing"
    )
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    backends = common.chosen_backends(args)
    results: list[Figures] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for backend in backends:
            results += run_backend(browser, backend, [args.baseline_count, args.count], args)
        browser.close()
    if results:
        print_table(results, args.repeat)
    if args.json:
        args.json.write_text(
            json.dumps(
                [f.__dict__ | {"visits": [v.__dict__ for v in f.visits]} for f in results],
                indent=1,
                default=str,
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
