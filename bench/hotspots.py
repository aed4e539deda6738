"""Hotspot benchmark: Gi* p by 999 conditional permutations against the normal approximation,
on the demo data, through the app in-process.

    .venv/bin/python bench/hotspots.py [--repeat 3] [--backend spatialite]

Set-up (not measured): a scratch database filled by `civicmap demo` (3,000 reports in
Ghana's regions). Measured, per kind and (resolution, k): the median time of
GET /api/v1/hotspots with `permutations=0&fdr=false` (the baseline: one normal p per
hexagon) and with the defaults (999 permutations, Benjamini-Hochberg), their paired ratio, and
how many hexagons each calls hot at 99%, hot at any level and cold. A measurement, not a test.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import add_backend_options, chosen_backends, load_average, scratch_store

CASES = [("litter", 6, 1), ("litter", 7, 2), ("hotspot", 7, 2), ("service", 7, 2)]
VARIANTS = {
    "normal": {"permutations": 0, "fdr": "false"},
    "perm999": {"fdr": "false"},
    "perm999+BH": {},
}


def _classes(summary: dict) -> str:  # type: ignore[type-arg]
    c = summary["classes"]
    hot = sum(v for k, v in c.items() if k.startswith("hot"))
    cold = sum(v for k, v in c.items() if k.startswith("cold"))
    return f"{c['hot-99']:>5} {hot:>5} {cold:>5}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    add_backend_options(parser, default="spatialite")
    args = parser.parse_args()
    print(f"load average {load_average()}")
    for backend in chosen_backends(args):
        with scratch_store(backend, args.postgres_url) as url:
            civicmap = Path(sys.executable).with_name("civicmap")
            env = {**os.environ, "CIVICMAP_DATABASE_URL": url}
            subprocess.run([str(civicmap), "demo"], env=env, check=True, capture_output=True)
            os.environ["CIVICMAP_DATABASE_URL"] = url
            from common import settings, test_client

            from api.app import create_app

            client = test_client()(create_app(settings(url)))
            print(f"\n{backend}: hot-99 / hot any / cold, median seconds; ratio to normal")
            for kind, res, k in CASES:
                base = {"kind": kind, "resolution": res, "k": k}
                times: dict[str, list[float]] = {v: [] for v in VARIANTS}
                bodies = {}
                for _ in range(args.repeat):
                    for name, extra in VARIANTS.items():
                        started = time.perf_counter()
                        answer = client.get("/api/v1/hotspots", params={**base, **extra})
                        times[name].append(time.perf_counter() - started)
                        bodies[name] = answer.json()
                hexes = bodies["normal"]["summary"]["hexes"]
                print(f"  {kind} r{res} k={k} ({hexes:,} hexagons)")
                for name in VARIANTS:
                    pairs = zip(times[name], times["normal"], strict=True)
                    ratios = sorted(a / b for a, b in pairs)
                    median = sorted(times[name])[len(times[name]) // 2]
                    print(
                        f"    {name:<11} {_classes(bodies[name]['summary'])}"
                        f"  {median:.3f} s  x{ratios[len(ratios) // 2]:.2f}"
                    )


if __name__ == "__main__":
    main()
