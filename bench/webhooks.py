"""Webhook benchmark: report submission latency with and without webhooks to deliver.

    .venv/bin/python bench/webhooks.py [--posts N] [--rounds R] [--hooks H]
                                       [--backend spatialite|postgis|both] [--postgres-url URL]

For each backend, on a fresh database, the real app runs in-process (TestClient). Rounds
alternate between three cases, each POSTing reports to /api/v1/reports one at a time:

  none      no webhooks, no delivery worker;
  outbox    H webhooks matching every report, no worker: what submission itself pays (a read
            of the webhooks and H outbox rows in its transaction);
  webhooks  the same H webhooks with the app's delivery worker polling every 0.1 s, whose
            receiver (127.0.0.1) takes 0.5 s to answer and fails every other time, so the worker
            is busy sending and retrying throughout (in the same process, as in production).

and print the median, 95th percentile and worst single-report submission time of each. The
promise measured: submission only adds a row per webhook to the outbox in its own transaction,
never an HTTP call, so `webhooks` is within noise of `none` and far below the receiver's 0.5 s.
A measurement, not a test: it exits 0 whatever the figures.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fastapi.testclient import TestClient

from api.app import create_app
from mapping.keys import create_key
from mapping.settings import Settings
from mapping.storage import make_engine
from mapping.storage.scratch import problem_reaching, temporary_store

RECEIVER_DELAY_S = 0.5
START = datetime(2024, 1, 1, tzinfo=UTC)
DEFAULT_PG = "postgresql+psycopg://civicmap:civicmap@localhost/postgres"


class SlowReceiver(BaseHTTPRequestHandler):
    calls = 0

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        time.sleep(RECEIVER_DELAY_S)
        SlowReceiver.calls += 1
        self.send_response(500 if SlowReceiver.calls % 2 else 204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def report(i: int) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [-0.2 + (i % 997) * 1e-4, 5.55]},
        "properties": {
            "kind": "litter",
            "category": "monitoring",
            # An hour apart, so that the duplicate check (same place, within a day) stays small.
            "observed_at": (START + timedelta(hours=i % 15_000)).isoformat(),
            "client_id": str(uuid.uuid4()),
            "attributes": {"survey_length_m": 100, "items": {"G1": 3}},
        },
    }


def timed_posts(client: TestClient, n: int, start: int) -> list[float]:
    times = []
    for i in range(start, start + n):
        began = time.perf_counter()
        response = client.post("/api/v1/reports", json=report(i))
        times.append(time.perf_counter() - began)
        if response.status_code != 201:
            raise SystemExit(f"submission failed: {response.status_code} {response.text}")
    return times


def run(url: str, *, posts: int, rounds: int, hooks: int, receiver: str) -> dict[str, list[float]]:
    engine = make_engine(url)
    with engine.begin() as conn:
        _, key = create_key(conn, name="bench admin", role="admin")
    admin = {"Authorization": f"Bearer {key}"}

    def app(worker_interval: float) -> Any:
        return create_app(
            Settings(  # type: ignore[call-arg]
                database_url=url,
                anonymous_writes_per_minute=1_000_000,
                webhook_worker_interval_s=worker_interval,
                webhook_backoff_base_s=0.2,
                webhook_timeout_s=5,
                _env_file=None,
            )
        )

    quiet, busy = app(0), app(0.1)
    found: dict[str, list[float]] = {"none": [], "outbox": [], "webhooks": []}
    sent = 0
    with TestClient(quiet) as client:
        timed_posts(client, 20, 10**6)  # warm-up: connections, caches
        for _ in range(rounds):
            for hook in client.get("/api/v1/webhooks", headers=admin).json()["webhooks"]:
                client.delete(f"/api/v1/webhooks/{hook['id']}", headers=admin)
            found["none"] += timed_posts(client, posts, sent)
            for _ in range(hooks):
                client.post("/api/v1/webhooks", json={"url": receiver}, headers=admin)
            found["outbox"] += timed_posts(client, posts, sent + posts)
            with TestClient(busy) as sender:  # its worker sends and retries meanwhile
                found["webhooks"] += timed_posts(sender, posts, sent + 2 * posts)
            sent += 3 * posts
    for made in (quiet, busy):
        made.state.engine.dispose()
    engine.dispose()
    return found


def describe(name: str, times: list[float]) -> str:
    ms = sorted(t * 1000 for t in times)
    p95 = ms[int(0.95 * (len(ms) - 1))]
    return (
        f"  {name:<9} n={len(ms):<5} median {statistics.median(ms):6.2f} ms   "
        f"p95 {p95:6.2f} ms   worst {ms[-1]:7.2f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=100, help="reports per round and case")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--hooks", type=int, default=10, help="webhooks in the `webhooks` case")
    parser.add_argument("--backend", choices=["spatialite", "postgis", "both"], default="both")
    parser.add_argument(
        "--postgres-url", default=os.environ.get("CIVICMAP_BENCH_POSTGRES_URL", DEFAULT_PG)
    )
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), SlowReceiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    receiver = f"http://127.0.0.1:{server.server_address[1]}/hook"
    backends = ["spatialite", "postgis"] if args.backend == "both" else [args.backend]
    print(
        f"{args.rounds} rounds of {args.posts} single-report POSTs per case; "
        f"{args.hooks} webhooks, receiver answering in {RECEIVER_DELAY_S} s"
    )
    for backend in backends:
        if backend == "postgis" and (problem := problem_reaching(args.postgres_url)):
            print(f"postgis skipped: not reachable ({problem})")
            continue
        with temporary_store(backend, args.postgres_url, "civicmap_bench") as url:
            found = run(
                url, posts=args.posts, rounds=args.rounds, hooks=args.hooks, receiver=receiver
            )
        print(backend)
        for name, times in found.items():
            print(describe(name, times))
        print(f"  receiver calls so far: {SlowReceiver.calls}")
    server.shutdown()


if __name__ == "__main__":
    main()
