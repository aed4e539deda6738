"""Webhook benchmark: report submission latency with and without webhooks to deliver.

    .venv/bin/python bench/webhooks.py [--posts N] [--rounds R] [--hooks H]
                                       [--backend spatialite|postgis|both] [--postgres-url URL]
                                       [--seed S]

For each backend, on a fresh database, the real app runs in-process (TestClient). Rounds
alternate between three cases, each POSTing reports to /api/v1/reports one at a time (new ones
each time, from bench/synthetic.py over Ghana, the same for the same `--seed`):

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
import statistics
import sys
import threading
import time
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

# Run as a script from anywhere: the packages live one folder up.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from api.app import create_app
from bench import common, synthetic
from mapping.keys import create_key

RECEIVER_DELAY_S = 0.5
WARM_UP = 20


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


def timed_posts(client: Any, reports: Sequence[dict[str, Any]]) -> list[float]:
    times = []
    for report in reports:
        began = time.perf_counter()
        response = client.post("/api/v1/reports", json=report)
        times.append(time.perf_counter() - began)
        if response.status_code != 201:
            raise SystemExit(f"submission failed: {response.status_code} {response.text}")
    return times


def run(
    url: str,
    *,
    reports: Sequence[dict[str, Any]],
    posts: int,
    rounds: int,
    hooks: int,
    receiver: str,
) -> dict[str, list[float]]:
    with common.engine_at(url) as engine, engine.begin() as conn:
        _, key = create_key(conn, name="bench admin", role="admin")
    admin = {"Authorization": f"Bearer {key}"}

    def app(worker_interval: float) -> Any:
        return create_app(
            common.settings(
                url,
                anonymous_writes_per_minute=1_000_000,
                webhook_worker_interval_s=worker_interval,
                webhook_backoff_base_s=0.2,
                webhook_timeout_s=5,
                webhook_allowed_hosts=["127.0.0.1"],  # the receiver runs on this machine
            )
        )

    quiet, busy = app(0), app(0.1)
    found: dict[str, list[float]] = {"none": [], "outbox": [], "webhooks": []}
    TestClient = common.test_client()
    sent = WARM_UP

    def next_posts() -> Sequence[dict[str, Any]]:
        nonlocal sent
        sent += posts
        return reports[sent - posts : sent]

    with TestClient(quiet) as client:
        timed_posts(client, reports[:WARM_UP])  # warm-up: connections, caches
        for _ in range(rounds):
            for hook in client.get("/api/v1/webhooks", headers=admin).json()["webhooks"]:
                client.delete(f"/api/v1/webhooks/{hook['id']}", headers=admin)
            found["none"] += timed_posts(client, next_posts())
            for _ in range(hooks):
                client.post("/api/v1/webhooks", json={"url": receiver}, headers=admin)
            found["outbox"] += timed_posts(client, next_posts())
            with TestClient(busy) as sender:  # its worker sends and retries meanwhile
                found["webhooks"] += timed_posts(sender, next_posts())
    for made in (quiet, busy):
        made.state.engine.dispose()
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
    common.add_backend_options(parser, default="both", seed=3)
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), SlowReceiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    receiver = f"http://127.0.0.1:{server.server_address[1]}/hook"
    backends = common.chosen_backends(args)
    count = WARM_UP + 3 * args.rounds * args.posts
    reports = synthetic.features(count, seed=args.seed, places=synthetic.ghana())
    print(
        f"{args.rounds} rounds of {args.posts} single-report POSTs per case; "
        f"{args.hooks} webhooks, receiver answering in {RECEIVER_DELAY_S} s"
    )
    for backend in backends:
        with common.scratch_store(backend, args.postgres_url) as url:
            found = run(
                url,
                reports=reports,
                posts=args.posts,
                rounds=args.rounds,
                hooks=args.hooks,
                receiver=receiver,
            )
        print(backend)
        for name, times in found.items():
            print(describe(name, times))
        print(f"  receiver calls so far: {SlowReceiver.calls}")
    server.shutdown()


if __name__ == "__main__":
    main()
