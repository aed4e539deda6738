"""A big batch is written in several transactions, so other writers get in between them; a batch
cut short is completed exactly by sending it again; and the duplicate check sees across them.

The batch commits whenever a transaction has written for `WRITE_BUDGET_S`; here the budget is
0, so that it commits after every step (`WRITE_STEP` features here on both backends), wherever
the tests run."""

from __future__ import annotations

import random
import threading
import time
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from mapping.errors import Busy
from mapping.reports import batch_rows, ingest
from mapping.storage import make_engine
from mapping.storage import turns as turns_module
from tests.conftest import count_reports, make_report

STEP = ingest.WRITE_STEP
SIZE = 2 * STEP + 50  # three transactions


@pytest.fixture(autouse=True)
def commit_every_step(monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(ingest, "WRITE_BUDGET_S", 0.0)
    # PostgreSQL writes bigger steps; here both backends write the same, so that the same
    # batch is cut at the same places.
    monkeypatch.setattr(ingest, "POSTGRES_WRITE_STEP", STEP)


def _features(seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    return [
        make_report(
            "hotspot",
            -1.0 + rng.uniform(0, 2),
            6.0 + rng.uniform(0, 2),
            observed_at="2026-06-01T09:00:00+00:00",
        )
        for _ in range(SIZE)
    ]


def _post(client, keys, features):  # type: ignore[no-untyped-def]
    body = {"type": "FeatureCollection", "features": features}
    return client.post("/api/v1/reports/batch", json=body, headers=keys["volunteer"])


def test_another_writer_commits_between_the_chunks_of_a_batch(client, keys, settings):
    """Each time the batch opens a transaction, a second connection makes a write of its own,
    as a moderator would, and must not have to wait for the batch to end."""
    other: Engine = make_engine(settings.database_url)
    if other.dialect.name == "sqlite":
        sa.event.listen(other, "connect", lambda c, _: c.execute("PRAGMA busy_timeout=100"))
    app_engine: Engine = client.app.state.engine
    assert client.post("/api/v1/reports", json=make_report("hotspot")).status_code == 201
    before = count_reports(app_engine)
    stored_at_write: list[int] = []

    def moderator_writes(_conn) -> None:  # type: ignore[no-untyped-def]
        with other.begin() as conn:
            conn.exec_driver_sql("UPDATE reports SET status = 'verified' WHERE seq = 1")
            stored = conn.exec_driver_sql("SELECT count(*) FROM reports").scalar_one()
            stored_at_write.append(int(stored) - before)

    features = _features(1)
    sa.event.listen(app_engine, "begin", moderator_writes)
    try:
        response = _post(client, keys, features)
    finally:
        sa.event.remove(app_engine, "begin", moderator_writes)
        other.dispose()
    assert response.json()["created"] == SIZE, response.text
    # The moderator's writes went through while part of the batch was stored: after the first
    # transaction and after the second.
    between = [n for n in stored_at_write if 0 < n < SIZE]
    assert between == [STEP, 2 * STEP]


def test_a_batch_cut_short_is_completed_exactly_by_sending_it_again(
    client, keys, engine, monkeypatch
):
    before = count_reports(engine)
    features = _features(2)
    real = ingest.store.insert_rows
    calls = []

    def busy_on_the_third_step(conn, rows):  # type: ignore[no-untyped-def]
        calls.append(len(rows))
        if len(calls) == 3:
            raise Busy("The service is too busy.", retry_after=2)
        return real(conn, rows)

    monkeypatch.setattr(ingest.store, "insert_rows", busy_on_the_third_step)
    cut = _post(client, keys, features)
    assert cut.status_code == 503
    assert cut.headers["retry-after"] == "2"
    assert count_reports(engine) == before + 2 * STEP
    monkeypatch.setattr(ingest.store, "insert_rows", real)

    again = _post(client, keys, features).json()
    stored_first = 2 * STEP
    assert (again["created"], again["duplicates"], again["rejected"]) == (
        SIZE - stored_first,
        stored_first,
        0,
    )
    assert count_reports(engine) == before + SIZE
    assert [r["index"] for r in again["results"]] == list(range(SIZE))


@pytest.mark.parametrize("later", [STEP - 1, STEP + 30])
def test_a_duplicate_in_a_later_chunk_is_flagged(client, keys, later):
    features = _features(3)
    twin = make_report("hotspot", *features[5]["geometry"]["coordinates"])
    twin["properties"]["observed_at"] = features[5]["properties"]["observed_at"]
    features[later] = twin
    results = _post(client, keys, features).json()["results"]
    flagged = client.get(f"/api/v1/reports/{results[later]['id']}").json()
    assert "possible_duplicate" in flagged["properties"]["quality"]


def test_on_sqlite_a_batch_lets_a_short_writer_go_before_its_next_transaction(
    client, keys, engine, monkeypatch
):
    """SQLite's lock is not fair, so the batch waits between its transactions while a short
    writer (a PATCH, a single report) of the process is at work."""
    app_engine: Engine = client.app.state.engine
    if app_engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL locks rows, not the database: writers do not queue for it")
    monkeypatch.setattr(turns_module, "MAX_WAIT_S", 60.0)
    before = count_reports(engine)
    answer: list[Any] = []
    batch = threading.Thread(target=lambda: answer.append(_post(client, keys, _features(4))))
    with turns_module.turns(app_engine).short_writer():
        batch.start()
        deadline = time.monotonic() + 60
        while count_reports(engine) < before + STEP and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)
        # The first transaction is in; the next waits for the short writer.
        assert count_reports(engine) == before + STEP
    batch.join(60)
    assert answer[0].json()["created"] == SIZE


@pytest.mark.parametrize("same_content", [True, False])
def test_a_known_client_id_in_a_later_step_is_answered_as_any_known_one(
    client, keys, engine, monkeypatch, same_content
):
    """PostgreSQL COPYs a step straight into the table, and a client id stored before fails
    that COPY; the step then goes in the slower way that skips known ids. Here the known id is
    in the second step of a transaction: the first step stays, and every feature is answered
    as it would be anywhere else."""
    monkeypatch.setattr(ingest, "WRITE_BUDGET_S", 60.0)
    features = _features(5)
    known = STEP + 10
    sent_before = dict(features[known])
    if not same_content:
        sent_before["properties"] = {**features[known]["properties"], "description": "other"}
    earlier = _post(client, keys, [sent_before]).json()["results"][0]
    before = count_reports(engine)
    results = _post(client, keys, features).json()["results"]

    outcomes = [r["outcome"] for r in results]
    assert outcomes[:known] + outcomes[known + 1 :] == ["created"] * (SIZE - 1)
    if same_content:
        assert (results[known]["outcome"], results[known]["id"]) == ("duplicate", earlier["id"])
    else:
        assert results[known]["outcome"] == "rejected"
        assert results[known]["errors"][0]["loc"][-1] == "client_id"
    assert count_reports(engine) == before + SIZE - 1


def test_a_defect_while_rows_are_made_fails_the_batch_instead_of_hanging_it(
    engine, settings, monkeypatch
):
    """Rows are made in a thread of their own while earlier ones are written; an unexpected
    error there reaches the request (a 500 that the error handler words), as it did before."""
    real = batch_rows.to_row
    made = []

    def breaks_on_the_200th(*args, **kwargs):  # type: ignore[no-untyped-def]
        made.append(1)
        if len(made) == 200:
            raise RuntimeError("a defect")
        return real(*args, **kwargs)

    monkeypatch.setattr(batch_rows, "to_row", breaks_on_the_200th)
    body = {"type": "FeatureCollection", "features": _features(6)}
    limits = settings.policies().ingest
    with pytest.raises(RuntimeError, match="a defect"):
        ingest.submit_batch(engine, body, limits=limits)
    assert len(made) == 200
