"""The `possible_duplicate` flag against its definition, worked out pair by pair: a report is
flagged when an earlier, not sensitive report of its kind and category lies within the distance
(geodesic, WGS84) and the time window, on public positions and times."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
import sqlalchemy as sa
from pyproj import Geod

from mapping.storage.duplicates import flag_possible_duplicates
from tests.conftest import make_report

BASE = datetime.now(UTC).replace(microsecond=0) - timedelta(days=5)


def _batch(rng: random.Random, n: int) -> list[dict[str, object]]:
    features = []
    for i in range(n):
        # A 300 m square near Cape Coast, and a few at 64 degrees north where a degree of
        # longitude is less than half as long; times over three days against a 24 h window.
        lon, lat = (-1.25, 5.10) if i % 5 else (25.0, 64.0)
        observed = BASE + timedelta(minutes=rng.randrange(3 * 24 * 60))
        features.append(
            make_report(
                "hotspot",
                lon + rng.uniform(0, 0.0027 if i % 5 else 0.006),
                lat + rng.uniform(0, 0.0027),
                category=rng.choice(["flooding", "sanitation"]),
                observed_at=observed.isoformat(),
                sensitive=rng.random() < 0.1,
            )
        )
    return features


def _expected(engine, distance_m: float, window_s: float) -> set[int]:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        frame = pd.read_sql(
            sa.text(
                "SELECT seq, kind, category, sensitive, ST_X(public_geom) AS lon,"
                " ST_Y(public_geom) AS lat, public_observed_at AS at FROM reports"
            ),
            conn,
        )
    frame["at"] = pd.to_datetime(frame["at"], utc=True)
    geod = Geod(ellps="WGS84")
    flagged = set()
    for new in frame.itertuples():
        old = frame[
            (frame["seq"] < new.seq)
            & (frame["kind"] == new.kind)
            & (frame["category"] == new.category)
            & ~frame["sensitive"].astype(bool)
            & ((frame["at"] - new.at).abs() <= pd.Timedelta(seconds=window_s))
        ]
        if old.empty:
            continue
        _, _, metres = geod.inv(
            [new.lon] * len(old), [new.lat] * len(old), old["lon"].tolist(), old["lat"].tolist()
        )
        if min(metres) <= distance_m:
            flagged.add(int(new.seq))
    return flagged


@pytest.mark.parametrize("distance_m", [50.0, 0.0])
def test_flags_exactly_the_reports_with_an_earlier_match(client, engine, keys, distance_m):
    with engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM reports")
    body = {"type": "FeatureCollection", "features": _batch(random.Random(7), 400)}
    response = client.post("/api/v1/reports/batch", json=body, headers=keys["volunteer"])
    assert response.json()["created"] == 400, response.text
    window_s = 24 * 3600
    with engine.begin() as conn:
        seqs = [int(s) for s in conn.exec_driver_sql("SELECT seq FROM reports").scalars()]
        flagged = set(
            flag_possible_duplicates(conn, seqs, distance_m=distance_m, window_s=window_s)
        )
    want = _expected(engine, distance_m, window_s)
    assert flagged == want
    if distance_m:
        # Enough pairs of each sort to matter: flagged ones, and ones near the edge of the box.
        assert 100 < len(want) < 390
