"""Durability: a server killed with SIGKILL right after it answered still has what it acknowledged.

The real `civicmap serve` runs as a subprocess on each backend; it is killed without warning
(SIGKILL, so no shutdown code runs) and started again on the same database.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from mapping.keys import create_key
from mapping.storage import make_engine
from mapping.storage.tables import reports
from tests.conftest import count_reports, make_report
from tests.live import REQUEST_TIMEOUT_S, ServerFactory

BATCHES = 20
BATCH_SIZE = 100
KILL_AFTER_ACKS = 5
STREAM_TIMEOUT_S = 60.0


@pytest.fixture
def servers(database_url: str, tmp_path: Path) -> Iterator[ServerFactory]:
    factory = ServerFactory(database_url, tmp_path)
    try:
        yield factory
    finally:
        factory.cleanup()


@pytest.fixture
def db(database_url: str) -> Iterator[sa.Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def _volunteer_key(engine: sa.Engine) -> dict[str, str]:
    """An Authorization header for a new volunteer key (batches need one)."""
    with engine.begin() as conn:
        _, key = create_key(conn, name="durability test", role="volunteer")
    return {"Authorization": f"Bearer {key}"}


def _client_id_counts(engine: sa.Engine) -> Counter[uuid.UUID]:
    with engine.connect() as conn:
        ids = conn.execute(sa.select(reports.c.client_id)).scalars()
        return Counter(uuid.UUID(str(cid)) for cid in ids)


def test_report_acknowledged_with_201_survives_sigkill(
    servers: ServerFactory, db: sa.Engine
) -> None:
    server = servers.start()
    feature = make_report(lon=-0.2052, lat=5.5571, description="survives a crash")
    with server.client() as client:
        response = client.post("/api/v1/reports", json=feature)
        server.kill()  # at once, before anything else can happen
    assert response.status_code == 201, response.text
    report_id = response.json()["id"]

    server = servers.start()
    with server.client() as client:
        stored = client.get(f"/api/v1/reports/{report_id}")
        assert stored.status_code == 200, stored.text
        assert stored.json()["id"] == report_id
        assert stored.json()["geometry"]["coordinates"] == pytest.approx([-0.2052, 5.5571])

        before = count_reports(db)
        replay = client.post("/api/v1/reports", json=feature)
        assert replay.status_code == 200, replay.text
        assert replay.json()["id"] == report_id
        assert count_reports(db) == before


@dataclass
class Stream:
    """Batches posted one after another from a thread; what the server answered to each."""

    client: httpx.Client
    batches: list[dict[str, Any]]
    answers: dict[int, dict[str, Any]] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    acknowledged: threading.Condition = field(default_factory=threading.Condition)

    def run(self) -> None:
        deadline = time.monotonic() + STREAM_TIMEOUT_S
        for index, batch in enumerate(self.batches):
            if time.monotonic() > deadline:
                self.failures.append(f"stream still running after {STREAM_TIMEOUT_S} s")
                break
            try:
                response = self.client.post("/api/v1/reports/batch", json=batch)
            except httpx.TransportError:
                break  # the server is gone
            except Exception as exc:
                self.failures.append(f"batch {index}: {exc!r}")
                break
            with self.acknowledged:
                if response.status_code == 200:
                    self.answers[index] = response.json()
                else:
                    self.failures.append(
                        f"batch {index}: {response.status_code} {response.text[:300]}"
                    )
                self.acknowledged.notify_all()
            if response.status_code != 200:
                break

    def wait_for(self, predicate: Callable[[], bool], timeout: float) -> bool:
        with self.acknowledged:
            return self.acknowledged.wait_for(predicate, timeout=timeout)


def _batch(batch_index: int, now: datetime) -> dict[str, Any]:
    """Distinct, valid features. Their observation times lie 36 h apart within a batch, so the
    possible-duplicate check (same kind and category within 24 h) compares each new report with
    a few stored ones, not with all of them: this test is about durability, not that check."""
    features = [
        make_report(
            lon=-0.30 + 0.0005 * i,
            lat=5.50 + 0.001 * batch_index,
            observed_at=(now - timedelta(days=1, hours=36 * i, minutes=batch_index)).isoformat(),
            description=f"batch {batch_index} feature {i}",
        )
        for i in range(BATCH_SIZE)
    ]
    return {"type": "FeatureCollection", "features": features}


def _client_ids(batch: dict[str, Any]) -> list[uuid.UUID]:
    return [uuid.UUID(f["properties"]["client_id"]) for f in batch["features"]]


def test_acknowledged_batches_survive_sigkill_mid_stream(
    servers: ServerFactory, db: sa.Engine
) -> None:
    now = datetime.now(UTC)
    batches = [_batch(b, now) for b in range(BATCHES)]
    all_ids = {cid for batch in batches for cid in _client_ids(batch)}
    assert len(all_ids) == BATCHES * BATCH_SIZE

    server = servers.start()  # on a new database, it makes the schema
    baseline = count_reports(db)
    auth = _volunteer_key(db)
    with server.client(auth) as client:
        stream = Stream(client, batches)
        thread = threading.Thread(target=stream.run, name="batch-stream", daemon=True)
        thread.start()
        try:
            got_acks = stream.wait_for(
                lambda: len(stream.answers) >= KILL_AFTER_ACKS or bool(stream.failures),
                timeout=STREAM_TIMEOUT_S,
            )
        finally:
            server.kill()
            thread.join(timeout=REQUEST_TIMEOUT_S + 5)
    assert not thread.is_alive(), "the batch stream did not stop after the server was killed"
    assert not stream.failures, stream.failures
    assert got_acks, f"fewer than {KILL_AFTER_ACKS} batches acknowledged before the timeout"
    assert len(stream.answers) < BATCHES, "every batch was answered before the kill"

    # Every feature the server said it created is there, exactly once.
    acknowledged: set[uuid.UUID] = set()
    for index, answer in stream.answers.items():
        ids = _client_ids(batches[index])
        assert answer["created"] == BATCH_SIZE, answer
        for result in answer["results"]:
            assert result["outcome"] == "created", result
            acknowledged.add(ids[result["index"]])
    assert len(acknowledged) == len(stream.answers) * BATCH_SIZE
    counts = _client_id_counts(db)
    missing = [cid for cid in acknowledged if counts[cid] != 1]
    assert not missing, f"{len(missing)} acknowledged features lost or stored twice"
    # A batch is one transaction: one the server never answered is stored whole or not at all.
    for index, batch in enumerate(batches):
        if index not in stream.answers:
            stored = sum(counts[cid] for cid in _client_ids(batch))
            assert stored in (0, BATCH_SIZE), f"batch {index}: {stored} of {BATCH_SIZE} stored"

    # Sending everything again after the restart stores each feature once, and nothing twice.
    server = servers.start()
    deadline = time.monotonic() + STREAM_TIMEOUT_S
    with server.client(auth) as client:
        for index, batch in enumerate(batches):
            assert time.monotonic() < deadline, f"resending took over {STREAM_TIMEOUT_S} s"
            response = client.post("/api/v1/reports/batch", json=batch)
            assert response.status_code == 200, response.text
            answer = response.json()
            assert answer["rejected"] == 0, answer
            if index in stream.answers:
                assert answer["duplicates"] == BATCH_SIZE, answer
                assert {r["outcome"] for r in answer["results"]} == {"duplicate"}
                first = {r["index"]: r["id"] for r in stream.answers[index]["results"]}
                assert {r["index"]: r["id"] for r in answer["results"]} == first
    counts = _client_id_counts(db)
    assert all(counts[cid] == 1 for cid in all_ids)
    assert count_reports(db) == baseline + len(all_ids)
