"""`civicmap serve --workers N` on one PostGIS: several processes take writes at once, and every
outcome stays exact.

Threads send single reports, retries of each other's (the same client id from two connections
at once), and overlapping batches and a retry of one, each on connections of its own so that
the workers share them. Every client id must be stored exactly once, created by exactly one
answer and named by the same id in every answer, and nothing acknowledged may be missing.
"""

from __future__ import annotations

import copy
import re
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from mapping.keys import create_key
from mapping.storage import make_engine, tallies
from mapping.storage.tables import area_tallies, hex_tallies, reports
from tests.conftest import make_report, postgis_database
from tests.live import REQUEST_TIMEOUT_S, Server, ServerFactory, tail

pytestmark = pytest.mark.slow

WORKERS = 2
THREADS = 6
SINGLES_PER_THREAD = 10
BATCH_SIZE = 200
BUSY_RETRIES = 5


@pytest.fixture
def postgis_url(postgres_error: str | None) -> Iterator[str]:
    yield from postgis_database(postgres_error)


@pytest.fixture
def server(postgis_url: str, tmp_path: Path) -> Iterator[Server]:
    factory = ServerFactory(postgis_url, tmp_path)
    try:
        yield factory.start("--workers", str(WORKERS))
    finally:
        factory.cleanup()


class Sender:
    """Sends requests on fresh connections (so that they go to any worker), sending again
    after a 503 as its Retry-After asks; keeps every answer."""

    def __init__(self, base_url: str, headers: dict[str, str]) -> None:
        self.base_url = base_url
        self.headers = headers
        self.statuses: list[int] = []
        self.lock = threading.Lock()

    def post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        limits = httpx.Limits(max_keepalive_connections=0)
        with httpx.Client(
            base_url=self.base_url,
            headers=self.headers,
            timeout=REQUEST_TIMEOUT_S,
            limits=limits,
            trust_env=False,
        ) as client:
            for _ in range(BUSY_RETRIES):
                response = client.post(path, json=body)
                with self.lock:
                    self.statuses.append(response.status_code)
                if response.status_code != 503:
                    return response
                time.sleep(float(response.headers["retry-after"]))
        return response


def test_several_workers_store_every_submission_exactly_once(server: Server, postgis_url: str):
    engine = make_engine(postgis_url)
    try:
        with engine.begin() as conn:
            _, key = create_key(conn, name="workers test", role="volunteer")
        sender = Sender(server.base_url, {"Authorization": f"Bearer {key}"})

        singles = [
            [
                make_report("hotspot", -3.0 + 0.05 * t, 5.0 + 0.05 * n)
                for n in range(SINGLES_PER_THREAD)
            ]
            for t in range(THREADS)
        ]
        batch_a = [make_report("service", -2.0 + 0.001 * i, 7.0) for i in range(BATCH_SIZE)]
        # B repeats the second half of A in the same order, then a few single reports (the same
        # content, so the same submissions) and new features.
        batch_b = [
            *copy.deepcopy(batch_a[BATCH_SIZE // 2 :]),
            *copy.deepcopy(singles[0][:5]),
            *[make_report("litter", -1.0 + 0.001 * i, 5.5) for i in range(BATCH_SIZE // 2)],
        ]
        answers: list[tuple[str, str, str]] = []  # (client id, created|duplicate, report id)
        answered = threading.Lock()
        start = threading.Barrier(THREADS + 3)

        def single_reports(thread: int) -> None:
            start.wait()
            mine, theirs = singles[thread], singles[(thread + 1) % THREADS]
            for feature in [*mine, *theirs]:  # theirs: retries, sent while they send them
                response = sender.post("/api/v1/reports", feature)
                assert response.status_code in (200, 201), response.text
                outcome = "created" if response.status_code == 201 else "duplicate"
                with answered:
                    answers.append(
                        (feature["properties"]["client_id"], outcome, response.json()["id"])
                    )

        def batch(features: list[dict[str, Any]]) -> None:
            start.wait()
            body = {"type": "FeatureCollection", "features": features}
            response = sender.post("/api/v1/reports/batch", body)
            assert response.status_code == 200, response.text
            results = response.json()["results"]
            assert [r["index"] for r in results] == list(range(len(features)))
            with answered:
                for feature, result in zip(features, results, strict=True):
                    assert result["outcome"] in ("created", "duplicate"), result
                    answers.append(
                        (feature["properties"]["client_id"], result["outcome"], result["id"])
                    )

        with ThreadPoolExecutor(THREADS + 3) as pool:
            work = [pool.submit(single_reports, t) for t in range(THREADS)]
            work += [pool.submit(batch, b) for b in (batch_a, batch_b, batch_a)]
            for done in work:
                done.result()

        assert set(sender.statuses) <= {200, 201, 503}, sender.statuses
        every = [*(f for mine in singles for f in mine), *batch_a, *batch_b]
        sent = {f["properties"]["client_id"] for f in every}
        created: dict[str, int] = defaultdict(int)
        ids: dict[str, set[str]] = defaultdict(set)
        for client_id, outcome, report_id in answers:
            created[client_id] += outcome == "created"
            ids[client_id].add(report_id)
        assert set(ids) == sent
        assert {cid for cid, n in created.items() if n != 1} == set()
        assert {cid for cid, named in ids.items() if len(named) != 1} == set()

        with engine.connect() as conn:
            stored = conn.execute(sa.select(reports.c.client_id, reports.c.id)).all()
        assert len(stored) == len(sent)
        assert {str(cid): {str(rid)} for cid, rid in stored} == dict(ids)
        # The tallies the triggers kept under concurrent writers are what a rebuild makes.
        kept = _tallies(engine)
        with engine.begin() as conn:
            tallies.rebuild(conn)
        assert kept["hex_tallies"] and kept == _tallies(engine)
        # Both workers were at work (each says so when it starts).
        started = set(re.findall(r"Started server process \[(\d+)\]", tail(server.log, 200)))
        assert len(started) == WORKERS, tail(server.log)
    finally:
        engine.dispose()


def _tallies(engine) -> dict[str, set[tuple[Any, ...]]]:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return {
            t.name: {tuple(r) for r in conn.execute(sa.select(t))}
            for t in (hex_tallies, area_tallies)
        }
