"""How much memory and time a download of many reports takes, at two sizes, to show that memory
stays flat as the output grows (the figure that matters) and how long it takes.

    .venv/bin/python bench/export.py                       # 100,000 reports, both backends
    .venv/bin/python bench/export.py --count 20000 --backend spatialite --formats csv gpkg

bench/synthetic.py's reports over Ghana (`stored_rows`: template reports through the product's
row builder, copied at new points) are loaded straight into a scratch database by
`common.load_rows`, then each format is
written twice in a fresh child process, once for a tenth of the reports and once for all, by
the same code the API streams from (mapping.export.reports.ReportPages through
mapping.export.export_chunks), the bytes counted and dropped. Each child reports its peak
resident memory during the export (VmHWM, reset before it) and the time taken; the baseline
is the child that writes a tenth.
Exits 0 whatever the figures; 1 only when an export writes nothing (then they mean nothing).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

# Run as a script from anywhere: the packages live one folder up.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import common, synthetic

FORMATS = ("csv", "gpkg", "geojson", "kml")


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _reset_peak() -> int:
    """Reset the process's peak resident memory (Linux) and return the current one, in KiB,
    so that the peak measured after is the export's, not the imports' before it."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")
    return _status_kib("VmRSS")


def child(url: str, fmt: str, through: int) -> None:
    """Write one download and print its figures as JSON (run in a fresh process)."""
    from mapping.disclosure.publish import View
    from mapping.export import Download, export_chunks
    from mapping.export.reports import ReportPages
    from mapping.storage import make_engine
    from mapping.storage.reports import ReportQuery

    engine = make_engine(url)
    with engine.connect():
        pass  # load SpatiaLite and the libraries first: they are not the export's memory
    before = _reset_peak()
    meta = {"generated_at": "bench", "filters": {}, "license": "bench", "method": "bench"}
    pages = ReportPages(engine, ReportQuery(), View(), through)
    started = time.perf_counter()
    size = sum(len(chunk) for chunk in export_chunks(fmt, Download(pages, "reports", meta)))
    elapsed = time.perf_counter() - started
    peak = _status_kib("VmHWM")
    print(json.dumps({"bytes": size, "seconds": elapsed, "rss_kib": peak, "rss_start_kib": before}))


def measure(url: str, fmt: str, through: int) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", url, fmt, str(through)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def run(backend: str, args: argparse.Namespace) -> bool:
    from mapping.storage.report_pages import download_bound
    from mapping.storage.reports import ReportQuery

    count, ok = args.count, True
    with common.scratch_store(backend, args.postgres_url) as url:
        with common.engine_at(url) as engine:
            started = time.perf_counter()
            rows = synthetic.stored_rows(count, seed=args.seed, places=synthetic.ghana())
            common.load_rows(engine, rows)
            print(f"{backend}: {count} reports inserted in {time.perf_counter() - started:.1f} s")
            with engine.connect() as conn:
                tenth, _ = download_bound(conn, ReportQuery(), count // 10)
                everything, _ = download_bound(conn, ReportQuery(), None)
        print(
            f"{'format':<8} {'reports':>8} {'MiB out':>8} {'s':>7} {'peak RSS MiB':>13} "
            f"{'growth MiB':>11}"
        )
        for fmt in args.formats:
            small = measure(url, fmt, tenth)
            large = measure(url, fmt, everything)
            for n, m in ((count // 10, small), (count, large)):
                growth = (m["rss_kib"] - m["rss_start_kib"]) / 1024
                print(
                    f"{fmt:<8} {n:>8} {m['bytes'] / 2**20:>8.1f} {m['seconds']:>7.1f} "
                    f"{m['rss_kib'] / 1024:>13.1f} {growth:>11.1f}"
                )
                ok = ok and m["bytes"] > 0
            ratio = (large["rss_kib"] - large["rss_start_kib"] + 1) / (
                small["rss_kib"] - small["rss_start_kib"] + 1
            )
            print(f"{fmt:<8} growth of memory from {count // 10} to {count}: x{ratio:.2f}")
    return ok


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3], int(sys.argv[4]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    common.add_backend_options(parser, default="both", seed=1)
    parser.add_argument("--formats", nargs="+", choices=FORMATS, default=list(FORMATS))
    args = parser.parse_args()
    ok = True
    for backend in common.chosen_backends(args):
        ok = run(backend, args) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
