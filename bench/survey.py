"""The survey case of bench/ingest.py: a batch of one kind, category and time, with a
moderator PATCHing beside it, and the lock holds of the batch's transactions."""

from __future__ import annotations

import itertools
import threading
import time
from typing import Any

from bench import common

SURVEY_TIME = "2026-06-01T09:00:00Z"


def as_survey(feature: dict[str, Any]) -> dict[str, Any]:
    """`feature` as one response of a survey: a clinic rating, observed when the survey ran.
    Every pair of such reports is a candidate for the duplicate check."""
    properties = feature["properties"]
    properties.update(kind="service", category="health_facility", observed_at=SURVEY_TIME)
    properties["attributes"] = {"name": "Clinic", "status": "operational", "satisfaction": 3}
    return feature


def time_write_locks(engine: Any, holds: list[float]) -> None:
    """Append to `holds` how long each of the batch's transactions (those that insert many rows
    at once) held its locks: from the end of its first write, when SQLite has given it the write
    lock, to its commit."""
    import sqlalchemy as sa

    first: dict[int, float] = {}
    batch: set[int] = set()

    @sa.event.listens_for(engine, "after_cursor_execute")
    def _write(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if statement.lstrip()[:6].upper() in ("INSERT", "UPDATE", "DELETE"):
            first.setdefault(id(conn), time.perf_counter())
            if executemany:
                batch.add(id(conn))

    @sa.event.listens_for(engine, "commit")
    def _commit(conn):  # type: ignore[no-untyped-def]
        started = first.pop(id(conn), None)
        if started is not None and id(conn) in batch:
            holds.append(time.perf_counter() - started)
        batch.discard(id(conn))


def patch_one(app: Any, url: str, client: Any, headers: dict[str, str]) -> Any:
    """A function that PATCHes, as a moderator, the status of a report stored now (one more
    row), back and forth; from a client of its own on the same app, so from another thread."""
    from mapping import keys

    with common.engine_at(url) as engine, engine.begin() as conn:
        _, key = keys.create_key(conn, name="ingest bench moderator", role="moderator")
    body = {"type": "FeatureCollection", "features": [_probe_feature()]}
    made = client.post(common.BATCH_PATH, json=body, headers=headers).json()["results"][0]["id"]
    other = common.test_client()(app)
    statuses = itertools.cycle(["verified", "pending"])

    def patch() -> None:
        response = other.patch(
            f"/api/v1/reports/{made}",
            json={"status": next(statuses)},
            headers={"authorization": f"Bearer {key}"},
        )
        if response.status_code != 200:
            raise SystemExit(f"moderator PATCH: HTTP {response.status_code}: {response.text}")

    return patch


def time_patches(patch: Any, stop: threading.Event, waits: list[float], failed: list[str]) -> None:
    """PATCH until `stop`, timing each answer, a moderator's pace (20 a second at most); a
    PATCH that fails ends it, with its reason in `failed`."""
    while not stop.is_set():
        start = time.perf_counter()
        try:
            patch()
        except SystemExit as exc:
            failed.append(str(exc))
            return
        waits.append(time.perf_counter() - start)
        time.sleep(0.05)


def _probe_feature() -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [-0.19, 5.6]},
        "properties": {
            "kind": "hotspot",
            "category": "flooding",
            "observed_at": SURVEY_TIME,
            "attributes": {"severity": 2},
        },
    }
