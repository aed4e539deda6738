"""Beaches and SDG 14.1.1 by the guideline: a planner's beach, the median of monitoring
surveys per beach, cleanups left out, a split survey counted once, bad input refused."""

from __future__ import annotations

import csv
import io
import json
import statistics
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import MultiPolygon, box

from mapping.storage import areas as area_store
from tests.conftest import make_report
from tests.data import EEA_LITTERWATCH_EVENTS

PROBLEM = "application/problem+json"
# A box on the Ghana coast near Accra, stored as a level-1 area of this module's database.
AREA = "GH-COAST"
ACCRA = (-0.187, 5.55)


@pytest.fixture(scope="module", autouse=True)
def coast(engine, client):  # type: ignore[no-untyped-def]
    frame = gpd.GeoDataFrame(
        {"code": [AREA], "name": ["Accra coast"], "level": 1, "parent": None},
        geometry=[MultiPolygon([box(-0.5, 5.3, 0.2, 5.8)])],
        crs=4326,
    )
    with engine.begin() as conn:
        area_store.save_areas(conn, frame, source="test")


def _beach(client, keys, headers=None, **changes):  # type: ignore[no-untyped-def]
    body = {
        "name": "Labadi Beach",
        "point": {"type": "Point", "coordinates": list(ACCRA)},
        "reference_m": 100,
        "regional_sea": "Gulf of Guinea",
        "water": "marine",
        **changes,
    }
    headers = keys["planner"] if headers is None else headers
    return client.post("/api/v1/beaches", json=body, headers=headers)


def _survey(client, beach, items, *, length=100.0, category="monitoring", day=2):  # type: ignore[no-untyped-def]
    report = make_report(
        "litter",
        *ACCRA,
        category=category,
        observed_at=f"2025-03-{day:02d}T09:00:00Z",
        attributes={"survey_length_m": length, "items": items, "beach": beach},
    )
    response = client.post("/api/v1/reports", json=report)
    assert response.status_code == 201, response.text
    return response.json()


def _figures(client, code, **params):  # type: ignore[no-untyped-def]
    response = client.get(f"/api/v1/beaches/{code}", params=params)
    assert response.status_code == 200, response.text
    return response.json()["properties"]


def test_a_planner_records_a_beach_that_anyone_can_read(client, keys):
    response = _beach(client, keys, code="labadi", country="GH")
    assert response.status_code == 201, response.text
    assert response.headers["location"].endswith("/api/v1/beaches/labadi")
    made = response.json()
    assert made["geometry"] == {"type": "Point", "coordinates": list(ACCRA)}
    read = client.get("/api/v1/beaches/labadi").json()
    props = read["properties"]
    assert (props["name"], props["country"], props["water"], props["in_14_1_1"]) == (
        "Labadi Beach",
        "GH",
        "marine",
        True,
    )
    assert props["sdg_14_1_1"]["surveys"] == 0
    listed = client.get("/api/v1/beaches").json()
    assert listed["type"] == "FeatureCollection"
    assert "labadi" in [f["properties"]["code"] for f in listed["features"]]
    assert "median" in listed["metadata"]["method"]
    download = client.get("/api/v1/beaches", params={"f": "csv"})
    assert download.status_code == 200 and "labadi" in download.text
    # Without a code, one is made from the country and the name.
    made = _beach(client, keys, name="Kokrobite Beach", country="GH").json()
    assert made["properties"]["code"] == "gh-kokrobite-beach"


def test_only_planners_record_beaches(client, keys):
    assert _beach(client, keys, {}, code="nobody").status_code == 401
    assert _beach(client, keys, keys["volunteer"], code="volunteer").status_code == 403
    assert client.get("/api/v1/beaches/nobody").status_code == 404


@pytest.mark.parametrize(
    ("changes", "status", "loc"),
    [
        ({"name": ""}, 422, ["body", "name"]),
        ({"water": "salty"}, 422, ["body", "water"]),
        ({"point": {"type": "Point", "coordinates": [200, 5]}}, 422, ["body", "point"]),
        ({"point": {"type": "Point", "coordinates": ["x", 5]}}, 422, ["body", "point"]),
        ({"reference_m": -5}, 422, ["body", "reference_m"]),
        ({"code": "Not A Slug!"}, 422, ["body", "code"]),
        ({"colour": "blue"}, 422, ["body", "colour"]),
    ],
)
def test_a_bad_beach_gets_a_problem(client, keys, changes, status, loc):  # type: ignore[no-untyped-def]
    response = _beach(client, keys, **changes)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert problem["status"] == status and problem["detail"]
    assert problem["errors"][0]["loc"][: len(loc)] == loc


def test_a_taken_code_or_a_body_that_is_not_json_gets_a_problem(client, keys):
    assert _beach(client, keys, code="taken").status_code == 201
    again = _beach(client, keys, code="taken")
    assert again.status_code == 409 and again.headers["content-type"] == PROBLEM
    assert again.json()["errors"][0]["loc"] == ["body", "code"]
    broken = client.post(
        "/api/v1/beaches",
        content=b"{not json",
        headers={**keys["planner"], "Content-Type": "application/json"},
    )
    assert 400 <= broken.status_code < 500 and broken.headers["content-type"] == PROBLEM
    listed = client.get("/api/v1/beaches", params={"water": "salty"})
    assert listed.status_code == 400 and listed.headers["content-type"] == PROBLEM
    since = client.get("/api/v1/beaches/taken", params={"since": "yesterday"})
    assert since.status_code == 400 and since.headers["content-type"] == PROBLEM


def test_a_report_naming_no_stored_beach_is_refused(client, keys):
    report = make_report(
        "litter",
        *ACCRA,
        attributes={"survey_length_m": 100, "items": {"G1": 1}, "beach": "nowhere"},
    )
    response = client.post("/api/v1/reports", json=report)
    assert response.status_code == 422 and response.headers["content-type"] == PROBLEM
    error = response.json()["errors"][0]
    assert error["loc"] == ["properties", "attributes", "beach"]
    assert "GET /api/v1/beaches" in error["msg"]
    batch = client.post(
        "/api/v1/reports/batch",
        json={"type": "FeatureCollection", "features": [report, make_report("litter")]},
        headers=keys["volunteer"],
    ).json()
    assert [r["outcome"] for r in batch["results"]] == ["rejected", "created"]
    assert batch["results"][0]["errors"][0]["loc"] == [
        "features",
        0,
        "properties",
        "attributes",
        "beach",
    ]


def test_the_median_counts_monitoring_surveys_and_not_cleanups(client, keys):
    assert _beach(client, keys, code="median-beach").status_code == 201
    # Monitoring surveys of 10, 30 and 50 items per 100 m (one over 200 m): median 30.
    _survey(client, "median-beach", {"G1": 10}, day=2)
    _survey(client, "median-beach", {"G1": 20, "G21": 40}, length=200.0, day=3)
    _survey(client, "median-beach", {"G21": 50}, day=4)
    # A cleanup and a sighting at the same beach, with far more litter, are not surveys.
    _survey(client, "median-beach", {"G1": 5000}, category="cleanup", day=5)
    _survey(client, "median-beach", {"G1": 900}, category="sighting", day=6)
    figures = _figures(client, "median-beach")["sdg_14_1_1"]
    assert figures["surveys"] == 3
    assert figures["median_items_per_100m"] == 30.0
    assert figures["above_threshold"] is True and figures["threshold_items_per_100m"] == 20
    # The pooled ratio of the same surveys, labelled apart: 120 items over 400 m.
    assert figures["pooled_items_per_100m"] == 30.0
    assert figures["top_items"][0] == {
        "code": "G21",
        "label": "Plastic caps/lids drinks",
        "material": "plastic",
        "count": 90,
    }
    # The period filters apply: the first survey alone is below the threshold.
    early = _figures(client, "median-beach", until="2025-03-03T00:00:00Z")["sdg_14_1_1"]
    assert (early["surveys"], early["median_items_per_100m"], early["above_threshold"]) == (
        1,
        10.0,
        False,
    )


def _area(client):  # type: ignore[no-untyped-def]
    response = client.get("/api/v1/indicators", params={"level": 1})
    assert response.status_code == 200, response.text
    return next(a for a in response.json()["areas"] if a["code"] == AREA)["sdg_14_1_1"]


def test_freshwater_beaches_are_left_out_of_the_area_figures(client, keys):
    before = _area(client)
    assert _beach(client, keys, code="lagoon", water="freshwater").status_code == 201
    _survey(client, "lagoon", {"G1": 4000}, day=7)
    lagoon = _figures(client, "lagoon")
    assert lagoon["in_14_1_1"] is False and lagoon["sdg_14_1_1"]["surveys"] == 1
    assert lagoon["sdg_14_1_1"]["median_items_per_100m"] == 4000
    area = _area(client)
    medians = [
        _figures(client, code)["sdg_14_1_1"]["median_items_per_100m"] for code in ("median-beach",)
    ]
    assert area["beaches"] == 1 and area["beaches_not_marine"] == 1
    assert area["median_items_per_100m"] == statistics.median(medians)
    assert area["beaches_above_threshold"] == 1
    assert area["surveys"] == 3
    # The pooled members are kept; the lagoon's 4000 items are not among them.
    for member in ("n", "surveyed_m", "items", "items_per_100m", "plastic_share", "suppressed"):
        assert member in area
    assert (area["n"], area["items"]) == (before["n"], before["items"])


def _eea_rows(predicate) -> tuple[list[str], list[dict[str, str]]]:  # type: ignore[no-untyped-def]
    with EEA_LITTERWATCH_EVENTS.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        return list(reader.fieldnames or []), [r for r in reader if predicate(r)]


def test_a_long_survey_split_at_import_counts_as_one(client, keys, tmp_path: Path):
    # Bloemendaal (NL): one real monitoring survey of 3259 m, which the import splits in 4.
    columns, rows = _eea_rows(
        lambda r: r["BeachName"] == "Bloemendaal" and r["EventType"] == "Monitoring"
    )
    assert len(rows) == 1 and float(rows[0]["BeachLength_m"]) > 3000
    long_survey = rows[0]
    # Two real 100 m monitoring surveys of another North Sea beach, filed here at Bloemendaal
    # on other days, with more litter per 100 m than the long survey.
    _, others = _eea_rows(
        lambda r: (
            r["EventType"] == "Monitoring"
            and r["BeachCountrycode"] == "DK"
            and r["BeachLength_m"] == "100"
        )
    )
    items = [c for c in columns if c[:1] == "G" and c[1:].isdigit()]

    def density(row):  # type: ignore[no-untyped-def]
        return 100 * sum(int(row[c] or 0) for c in items) / float(row["BeachLength_m"])

    base = density(long_survey)
    dense = [r for r in others if density(r) > base][:2]
    assert len(dense) == 2
    for day, row in zip(("20170801", "20170901"), dense, strict=True):
        for name in ("BeachName", "BeachCountrycode", "BeachRegionalSea", "CommunityName"):
            row[name] = long_survey[name]
        row["EventDate"] = day
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns)
    writer.writeheader()
    writer.writerows([long_survey, *dense])
    path = tmp_path / "bloemendaal.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    response = client.post(
        "/api/v1/reports/import",
        files={"file": (path.name, path.read_bytes())},
        data={"mapping": json.dumps({"preset": "eea-litterwatch"})},
        headers=keys["planner"],
    )
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["outcome"] for r in results] == ["created"] * 3
    assert len(results[0]["id"].split(";")) == 4  # stored as 4 reports
    figures = _figures(client, "nl-bloemendaal")
    assert figures["water"] == "marine" and figures["country"] == "NL"
    guideline = figures["sdg_14_1_1"]
    assert guideline["surveys"] == 3
    expected = statistics.median([base, *(density(r) for r in dense)])
    assert guideline["median_items_per_100m"] == pytest.approx(expected, abs=0.01)
