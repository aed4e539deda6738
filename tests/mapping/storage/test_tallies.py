"""The tallies on both backends: kept by the database through ingest, moderation, republishing
and deletion exactly as a rebuild would make them, and giving every aggregate the same answer as
grouping the reports does."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from mapping.analysis import aggregate, cells, units
from mapping.disclosure import cellkey
from mapping.reports.ingest import republish_if_needed
from mapping.storage import tallies
from mapping.storage.reports import EXACT, ReportQuery
from mapping.storage.tables import area_tallies, hex_tallies
from tests.conftest import make_report

pytestmark = pytest.mark.usefixtures("ghana_regions")

# Around Accra, Kumasi and Tamale, with a few reports outside every region (at sea).
PLACES = [(-0.187, 5.604), (-1.624, 6.688), (-0.839, 9.407), (-0.5, 4.6)]
NOW = datetime.now(UTC).replace(microsecond=0)


def _features(rng: random.Random, n: int) -> list[dict[str, Any]]:
    made = []
    for _ in range(n):
        lon, lat = rng.choice(PLACES)
        kind = rng.choice(["service", "litter", "hotspot"])
        props: dict[str, Any] = {
            "observed_at": (NOW - timedelta(days=rng.uniform(0, 400))).isoformat(),
            "sensitive": rng.random() < 0.2,
        }
        if kind == "service":
            props["attributes"] = {
                "name": "Clinic",
                "status": rng.choice(["operational", "partly", "closed"]),
                "satisfaction": rng.randint(1, 4),
            }
            props["category"] = rng.choice(["health_facility", "school"])
        elif kind == "litter":
            props["attributes"] = {
                "survey_length_m": round(rng.uniform(10, 200), 3),
                "items": {"G1": rng.randint(0, 9), "G21": rng.randint(1, 30)},
            }
        if rng.random() < 0.3:
            props["reporter"] = {"sex": rng.choice(["female", "male"]), "age_group": "25-44"}
        made.append(
            make_report(
                kind,
                lon=lon + rng.gauss(0, 0.08),
                lat=lat + rng.gauss(0, 0.08),
                **props,
            )
        )
    return made


def _post(client, features, key):  # type: ignore[no-untyped-def]
    answer = client.post(
        "/api/v1/reports/batch",
        json={"type": "FeatureCollection", "features": features},
        headers=key,
    ).json()
    assert answer.get("rejected") == 0, answer
    return [r["id"] for r in answer["results"]]


def _rows(engine) -> dict[str, set[tuple[Any, ...]]]:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return {
            t.name: {tuple(r) for r in conn.execute(sa.select(t))}
            for t in (hex_tallies, area_tallies)
        }


def _rebuilt(engine) -> dict[str, set[tuple[Any, ...]]]:  # type: ignore[no-untyped-def]
    with engine.begin() as conn:
        tallies.rebuild(conn)
    return _rows(engine)


@pytest.fixture(scope="module")
def stored(client, engine, keys, ghana_regions):  # type: ignore[no-untyped-def]
    """Reports sent, moderated, republished at another public resolution and back, and some
    deleted; the tallies as the triggers left them at each step, and as rebuilt."""
    rng = random.Random(7)
    ids = _post(client, _features(rng, 300), keys["volunteer"])
    steps = {"sent": (_rows(engine), _rebuilt(engine))}
    moderator = keys["moderator"]
    decisions = ["hidden", "verified", "rejected", "duplicate"] * 15
    for report_id, status in zip(ids[:60], decisions, strict=True):
        change = {"status": status}
        if status == "duplicate":
            change["duplicate_of"] = ids[-1]
        answer = client.patch(f"/api/v1/reports/{report_id}", json=change, headers=moderator)
        assert answer.status_code == 200, answer.text
    # Back to public: a hidden report made pending again counts again.
    client.patch(f"/api/v1/reports/{ids[0]}", json={"status": "pending"}, headers=moderator)
    steps["moderated"] = (_rows(engine), _rebuilt(engine))
    assert republish_if_needed(engine, client.app.state.area_index.current(), 6)
    steps["republished"] = (_rows(engine), _rebuilt(engine))
    assert republish_if_needed(engine, client.app.state.area_index.current(), 7)
    _post(client, _features(rng, 100), keys["volunteer"])
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM reports WHERE mod(seq, 7) = 0"))
    steps["deleted"] = (_rows(engine), _rebuilt(engine))
    return steps


@pytest.mark.parametrize("step", ["sent", "moderated", "republished", "deleted"])
def test_the_triggers_keep_what_a_rebuild_makes(stored, step):
    kept, rebuilt = stored[step]
    assert kept["hex_tallies"] and kept["area_tallies"]
    assert kept == rebuilt


def test_moderation_moves_reports_in_and_out_of_the_tallies(stored):
    # Reports at resolution 5, all time: every public report once.
    reports = list(hex_tallies.c.keys()).index("reports")
    sent = sum(r[reports] for r in stored["sent"][0]["hex_tallies"] if r[0] == 5)
    moderated = sum(r[reports] for r in stored["moderated"][0]["hex_tallies"] if r[0] == 5)
    assert sent == 300
    # 15 hidden and 15 rejected of the first 60, one hidden made pending again: 29 fewer.
    assert sent - moderated == 29


QUERIES = [
    ReportQuery(),
    ReportQuery(kind="service"),
    ReportQuery(kind="service", category="school"),
    ReportQuery(boxes=[(-0.5, 5.3, 0.1, 5.9)]),
    ReportQuery(boxes=[(-2.0, 6.3, -1.2, 7.0), (-1.0, 9.2, -0.6, 9.6)], kind="litter"),
    ReportQuery(since=NOW - timedelta(days=200)),
    ReportQuery(since=NOW - timedelta(days=300), until=NOW - timedelta(days=40)),
    ReportQuery(until=NOW - timedelta(days=100)),
]


@pytest.mark.parametrize("q", QUERIES, ids=range(len(QUERIES)))
@pytest.mark.parametrize("resolution", [2, 3, 4, 5, 6, 7, 8])
def test_hexagons_from_the_tallies_are_those_of_the_reports(engine, stored, q, resolution):
    with engine.connect() as conn:
        answers = [
            aggregate.hexes(
                conn,
                q,
                resolution=resolution,
                threshold=5,
                public_resolution=7,
                max_cells=100_000,
                tallies=tallies,
            )
            for tallies in (True, False)
        ]
        compact = [
            cells.counts(
                conn,
                q,
                resolution=resolution,
                public_resolution=7,
                max_cells=100_000,
                tallies=tallies,
            )
            for tallies in (True, False)
        ]
    # A coarse hexagon's centre seldom lies in a small box.
    assert answers[0][0] or (q.boxes and resolution < 5), "no hexagons to compare"
    assert answers[0] == answers[1]
    assert compact[0] == compact[1]


@pytest.mark.parametrize("q", QUERIES, ids=range(len(QUERIES)))
@pytest.mark.parametrize("level", [1])
def test_areas_from_the_tallies_are_those_of_the_reports(engine, stored, q, level):
    with engine.connect() as conn:
        from_tallies = aggregate.areas(conn, q, level=level, threshold=5)
        from_reports = aggregate.areas(conn, q, level=level, threshold=5, tallies=False)
    assert any(f["properties"]["reports"] for f in from_tallies[0])
    assert from_tallies == from_reports


def test_record_keys_add_up_so_the_cell_key_method_perturbs_a_tally(engine, stored):
    """The sum of the record keys kept in a tally is the sum over its reports, so a tallied
    count is perturbed exactly as the same count made from the reports."""
    with engine.connect() as conn:
        tallied = units.units_of(conn, units.Grouping(level=1), ReportQuery())
        counted = units.units_of(conn, units.Grouping(level=1), ReportQuery(), tallies=False)
        direct = dict(
            conn.exec_driver_sql(
                "SELECT public_area_1, sum(record_key) FROM reports WHERE status IN "
                "('pending', 'verified', 'duplicate') AND public_area_1 IS NOT NULL "
                "GROUP BY public_area_1"
            ).all()
        )
    assert tallied.keys() == counted.keys() == direct.keys()
    for code, unit in tallied.items():
        keys = sum(t.record_keys for t in unit.kinds.values())
        assert keys == direct[code]
        n = unit.reports
        assert cellkey.protect(n, keys, 5) == cellkey.protect(counted[code].reports, keys, 5)


def test_exact_places_and_other_statuses_are_counted_from_the_reports(engine, stored):
    """A planner's exact places and a moderator's hidden reports are no part of the tallies:
    such answers group the reports, and still agree with the public ones where they must."""
    with engine.connect() as conn:
        hidden = units.units_of(conn, units.Grouping(level=1), ReportQuery(statuses=("hidden",)))
        exact = units.units_of(conn, units.Grouping(resolution=5), ReportQuery(placement=EXACT))
        public = units.units_of(conn, units.Grouping(resolution=5), ReportQuery())
    assert sum(u.reports for u in hidden.values()) > 0
    assert sum(u.reports for u in exact.values()) == sum(u.reports for u in public.values())


def test_a_rebuild_changes_nothing_and_fills_empty_tallies(engine, stored, run):
    before = _rows(engine)
    with engine.begin() as conn:
        conn.execute(sa.delete(hex_tallies))
    result = run("tallies", "rebuild")
    assert result.exit_code == 0, result.output
    assert "hex_tallies" in result.output
    assert _rows(engine) == before


@pytest.fixture(scope="module")
def run(database_url):  # type: ignore[no-untyped-def]
    from click.testing import CliRunner

    from mapping.cli.main import main

    def invoke(*args: str):  # type: ignore[no-untyped-def]
        return CliRunner().invoke(main, list(args), env={"CIVICMAP_DATABASE_URL": database_url})

    return invoke
