"""GET /api/v1/coverage and /coverage/areas on both backends, on a hand-built layout whose
hexagons, distances and coverage are computed independently (h3 directly, pyproj's geodesic)."""

from __future__ import annotations

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from pyproj import Geod
from shapely.geometry import MultiPolygon, box

from api.app import create_app
from mapping.analysis.coverage.facilities import FacilityColumns, facilities_from_frame
from mapping.analysis.population import population_cells
from mapping.storage import areas as area_store
from mapping.storage import facilities as facility_store
from mapping.storage import population as population_store
from tests.conftest import make_report

GEOD = Geod(ellps="WGS84")
TOLERANCE = 0.006  # sphere against ellipsoid, see tests/mapping/test_coverage.py
WEST, EAST = box(10.00, 10.00, 10.10, 10.06), box(10.10, 10.00, 10.20, 10.06)
FACILITY = (10.03, 10.03)  # in the west
SERVICE_REPORT = (10.17, 10.02)  # in the east
D = 3000.0
CAMPAIGN = "coverage-test"
RES = 8
BASE = {"category": "health_facility", "resolution": RES, "max_distance_m": D, "campaign": CAMPAIGN}


@pytest.fixture(scope="module", autouse=True)
def layout(engine, client, keys):  # type: ignore[no-untyped-def]
    frame = gpd.GeoDataFrame(
        {"code": ["T-W", "T-E"], "name": ["West", "East"], "level": 1, "parent": None},
        geometry=[MultiPolygon([WEST]), MultiPolygon([EAST])],
        crs=4326,
    )
    listed = pd.DataFrame(
        {
            "FacilityName": ["Clinic West"],
            "Type": ["clinic"],
            "Ownership": ["government"],
            "Longitude": [str(FACILITY[0])],
            "Latitude": [str(FACILITY[1])],
        }
    )
    found = facilities_from_frame(listed, FacilityColumns())
    with engine.begin() as conn:
        area_store.save_areas(conn, frame, source="test")
        facility_store.replace_list(conn, found.rows, source="test-list")
    features = [make_report("service", *SERVICE_REPORT, campaign=CAMPAIGN)]
    # Demand: 6 hotspot reports near the facility (covered), 2 and 5 far from both (not).
    for lon, lat, n in ((10.035, 10.035, 6), (10.15, 10.05, 2), (10.19, 10.055, 5)):
        features += [make_report("hotspot", lon, lat, campaign=CAMPAIGN) for _ in range(n)]
    result = client.post(
        "/api/v1/reports/batch",
        json={"type": "FeatureCollection", "features": features},
        headers=keys["volunteer"],
    ).json()
    assert result["created"] == len(features), result


def _cells(*outlines) -> set[str]:  # type: ignore[no-untyped-def]
    return {c for o in outlines for c in h3.h3shape_to_cells(h3.geo_to_h3shape(o), RES)}


def _expected_m(cell: str, points: list[tuple[float, float]]) -> float:
    lat, lon = h3.cell_to_latlng(cell)
    return min(GEOD.inv(lon, lat, x, y)[2] for x, y in points)


def _by_cell(page) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    return {f["properties"]["h3"]: f["properties"] for f in page["features"]}


@pytest.mark.parametrize(
    ("source", "points"),
    [
        ("facilities", [FACILITY]),
        ("reports", [SERVICE_REPORT]),
        ("both", [FACILITY, SERVICE_REPORT]),
    ],
)
def test_every_hexagon_with_its_distance_and_coverage(client, source, points):
    page = client.get("/api/v1/coverage", params={**BASE, "source": source}).json()
    got = _by_cell(page)
    assert got.keys() == _cells(WEST, EAST)
    covered = 0
    for cell, props in got.items():
        want = _expected_m(cell, points)
        assert props["distance_m"] == pytest.approx(want, rel=TOLERANCE, abs=0.1)
        if abs(want - D) > TOLERANCE * D:
            assert props["covered"] is (want <= D), (cell, want)
        covered += props["covered"]
        assert props["area"] == ("T-W" if h3.cell_to_latlng(cell)[1] < 10.10 else "T-E")
    assert page["summary"]["hexes"] == len(got)
    assert page["summary"]["covered_hexes"] == covered
    assert page["summary"]["service_points"] == len(points)
    assert page["metadata"]["filters"]["source"] == source
    assert "KD-tree" in page["metadata"]["method"]


def test_the_facilitys_own_hexagon_is_at_its_distance_from_the_centre(client):
    page = client.get("/api/v1/coverage", params={**BASE, "source": "facilities"}).json()
    cell = h3.latlng_to_cell(FACILITY[1], FACILITY[0], RES)
    lat, lon = h3.cell_to_latlng(cell)
    props = _by_cell(page)[cell]
    assert props["covered"] is True
    assert props["distance_m"] < h3.average_hexagon_edge_length(RES, unit="m")
    assert props["distance_m"] == pytest.approx(
        GEOD.inv(lon, lat, *FACILITY)[2], rel=TOLERANCE, abs=0.1
    )
    ring = feature_ring(page, cell)
    assert ring[0] == ring[-1] and len(ring) == 7


def feature_ring(page, cell: str) -> list[list[float]]:  # type: ignore[no-untyped-def]
    feature = next(f for f in page["features"] if f["id"] == cell)
    return feature["geometry"]["coordinates"][0]  # type: ignore[no-any-return]


def test_demand_counts_other_reports_and_hides_small_ones(client):
    page = client.get("/api/v1/coverage", params=BASE).json()
    got = _by_cell(page)
    near = h3.latlng_to_cell(10.035, 10.035, RES)
    two = h3.latlng_to_cell(10.05, 10.15, RES)
    five = h3.latlng_to_cell(10.055, 10.19, RES)
    assert (got[near]["covered"], got[two]["covered"], got[five]["covered"]) == (True, False, False)
    # 2 is below the threshold; 5 is hidden with it, or 7 - 5 would give the 2 away.
    assert got[near]["demand"] == 6 and got[near]["suppressed"] is False
    assert got[two]["demand"] is None and got[five]["demand"] is None and got[five]["suppressed"]
    assert sum(p["demand"] or 0 for p in got.values()) == 6
    summary = page["summary"]
    assert (summary["demand"], summary["demand_uncovered"]) == (13, 7)
    assert summary["demand_covered_share"] == round(6 / 13, 4)
    assert summary["suppressed"] is True
    # `kind` picks the demand reports: no litter here; one service report, too few to show.
    litter = client.get("/api/v1/coverage", params={**BASE, "kind": "litter"}).json()
    assert litter["summary"]["demand"] == 0 and litter["summary"]["suppressed"] is False
    services = client.get("/api/v1/coverage", params={**BASE, "kind": "service"}).json()
    assert services["summary"]["demand"] is None and services["summary"]["suppressed"]


def test_area_and_bbox_narrow_the_hexagons(client):
    west = _by_cell(client.get("/api/v1/coverage", params={**BASE, "area": "T-W"}).json())
    assert west.keys() == _cells(WEST)
    boxed = client.get("/api/v1/coverage", params={**BASE, "bbox": "10.0,10.0,10.05,10.06"})
    assert _by_cell(boxed.json()).keys() == _cells(box(10.0, 10.0, 10.05, 10.06))


def test_covered_shares_per_area(client):
    params = {k: v for k, v in BASE.items()}
    hexes = _by_cell(client.get("/api/v1/coverage", params=params).json())
    page = client.get("/api/v1/coverage/areas", params={**params, "level": 1}).json()
    rows = {f["properties"]["code"]: f["properties"] for f in page["features"]}
    assert rows.keys() == {"T-W", "T-E"}
    for code, row in rows.items():
        mine = [p for p in hexes.values() if p["area"] == code]
        assert row["hexes"] == len(mine)
        assert row["covered_hexes"] == sum(p["covered"] for p in mine)
        assert row["covered_share"] == round(row["covered_hexes"] / row["hexes"], 4)
        assert row["service_points"] == 1
    assert rows["T-W"]["demand"] == 6 and rows["T-W"]["demand_uncovered"] == 0
    assert rows["T-E"]["demand"] == 7 and rows["T-E"]["demand_uncovered"] == 7
    assert rows["T-E"]["demand_covered_share"] == 0.0
    assert page["features"][0]["geometry"]["type"] in ("Polygon", "MultiPolygon")
    assert page["summary"]["hexes"] == len(hexes)


@pytest.mark.parametrize(
    ("params", "status", "where"),
    [
        ({**BASE, "category": "flooding"}, 400, "category"),
        ({k: v for k, v in BASE.items() if k != "category"}, 400, "category"),
        ({**BASE, "area": "XX-1"}, 404, "area"),
        ({**BASE, "max_distance_m": -1}, 400, "max_distance_m"),
        ({**BASE, "source": "rumours"}, 400, "source"),
        ({**BASE, "resolution": 15}, 400, "resolution"),
    ],
)
def test_bad_questions_get_problems(client, params, status, where):
    answer = client.get("/api/v1/coverage", params=params)
    assert answer.status_code == status
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert any(where in e["loc"] for e in answer.json()["errors"]), answer.json()


def test_more_hexagons_than_an_answer_holds_is_refused(settings, engine):
    small = settings.model_copy(update={"max_aggregate_cells": 50})
    with TestClient(create_app(small)) as narrow:
        answer = narrow.get("/api/v1/coverage", params=BASE)
        assert answer.status_code == 400
        assert "/api/v1/coverage/areas" in answer.json()["detail"]
        # The table per area is not limited by the answer's size.
        assert narrow.get("/api/v1/coverage/areas", params={**BASE, "level": 1}).status_code == 200


def test_population_replaces_report_counts_as_demand(client, engine):
    towns = gpd.GeoDataFrame(
        {"pop": [1000.0, 250.0]},
        geometry=gpd.points_from_xy([10.035, 10.19], [10.035, 10.055]),
        crs=4326,
    )
    with engine.begin() as conn:
        population_store.replace_source(
            conn, population_cells(towns, field="pop").frame, source="towns"
        )
    page = client.get("/api/v1/coverage", params=BASE).json()
    got = _by_cell(page)
    assert got[h3.latlng_to_cell(10.035, 10.035, RES)]["demand"] == 1000.0
    assert got[h3.latlng_to_cell(10.055, 10.19, RES)]["demand"] == 250.0
    summary = page["summary"]
    assert summary["demand_kind"] == "population"
    assert (summary["demand"], summary["demand_uncovered"]) == (1250.0, 250.0)
    assert "population" in page["metadata"]["method"]
    # Asked finer than stored: a point's count is in its resolution-15 cell, so still whole.
    finer = client.get("/api/v1/coverage", params={**BASE, "resolution": 9, "area": "T-E"}).json()
    assert finer["summary"]["demand"] == 250.0
    np.testing.assert_allclose(sum(f["properties"]["demand"] for f in finer["features"]), 250.0)
