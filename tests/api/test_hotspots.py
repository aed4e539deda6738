"""GET /api/v1/hotspots on both backends: a planted cluster found where it was planted, z
checked against Ord and Getis's formula computed here over the same study area with h3."""

from __future__ import annotations

import math
from collections import Counter

import geopandas as gpd
import h3
import numpy as np
import pytest
from shapely.geometry import MultiPolygon, box

from mapping.storage import areas as area_store
from tests.conftest import make_report

AREA = box(20.0, 10.0, 20.12, 10.08)
RES = 8
CAMPAIGN = "hotspot-test"
CENTRE = (20.06, 10.04)
LONE = (20.005, 10.075)  # one report far from the rest


@pytest.fixture(scope="module")
def points() -> list[tuple[float, float]]:
    rng = np.random.default_rng(42)
    cluster = [
        (CENTRE[0] + rng.normal(0, 0.002), CENTRE[1] + rng.normal(0, 0.002)) for _ in range(40)
    ]
    background = [(rng.uniform(20.0, 20.12), rng.uniform(10.0, 10.08)) for _ in range(30)]
    return cluster + background + [LONE]


@pytest.fixture(scope="module", autouse=True)
def planted(engine, client, keys, points):  # type: ignore[no-untyped-def]
    frame = gpd.GeoDataFrame(
        {"code": ["H-1"], "name": ["Box"], "level": 1, "parent": None},
        geometry=[MultiPolygon([AREA])],
        crs=4326,
    )
    with engine.begin() as conn:
        area_store.save_areas(conn, frame, source="test")
    features = [make_report("hotspot", x, y, campaign=CAMPAIGN) for x, y in points]
    result = client.post(
        "/api/v1/reports/batch",
        json={"type": "FeatureCollection", "features": features},
        headers=keys["volunteer"],
    ).json()
    assert result["created"] == len(points)


def _plain_z(points: list[tuple[float, float]], k: int) -> dict[str, float]:
    """Gi* for every hexagon of the area, written out with h3 and the textbook formula."""
    cells = sorted(h3.h3shape_to_cells(h3.geo_to_h3shape(AREA), RES))
    counts = Counter(h3.cell_to_parent(h3.latlng_to_cell(y, x, 15), RES) for x, y in points)
    x = [counts.get(c, 0) for c in cells]
    n, inside = len(cells), set(cells)
    mean = sum(x) / n
    s = math.sqrt(sum(v * v for v in x) / n - mean * mean)
    out = {}
    for cell in cells:
        ring = [c for c in h3.grid_disk(cell, k) if c in inside]
        local = sum(counts.get(c, 0) for c in ring)
        w = len(ring)
        out[cell] = (local - mean * w) / (s * math.sqrt((n * w - w * w) / (n - 1)))
    return out


@pytest.mark.parametrize("k", [1, 2])
def test_the_planted_cluster_is_hot_and_z_is_gi_star(client, points, settings, k):
    page = client.get(
        "/api/v1/hotspots",
        params={"resolution": RES, "k": k, "campaign": CAMPAIGN, "permutations": 0, "fdr": False},
    ).json()
    got = {f["properties"]["h3"]: f["properties"] for f in page["features"]}
    centre = h3.latlng_to_cell(CENTRE[1], CENTRE[0], RES)
    assert got[centre]["class"] == "hot-99"
    want = _plain_z(points, k)
    for cell, props in got.items():
        if props["z"] is not None:
            assert props["z"] == pytest.approx(want[cell], abs=1e-3)
            assert props["p"] == pytest.approx(math.erfc(abs(want[cell]) / math.sqrt(2)), abs=1e-5)
    # Every hexagon of the area with reports is listed (a report near the edge can fall in a
    # hexagon whose centre is outside: not part of the study area).
    with_reports = {h3.cell_to_parent(h3.latlng_to_cell(y, x, 15), RES) for x, y in points}
    assert with_reports & want.keys() <= got.keys() <= want.keys()
    assert page["summary"]["hexes"] == len(want) and page["summary"]["k"] == k
    assert sum(page["summary"]["classes"].values()) == len(got)
    assert "Gi*" in page["metadata"]["method"]
    assert "normal approximation" in page["metadata"]["method"]


def test_by_default_p_comes_from_seeded_permutations_with_fdr(client):
    params = {"resolution": RES, "campaign": CAMPAIGN}
    first = client.get("/api/v1/hotspots", params=params).json()
    again = client.get("/api/v1/hotspots", params=params).json()
    assert first["features"] == again["features"]
    summary = first["summary"]
    assert summary["permutations"] == 999 and summary["fdr"] is True
    assert summary["seed"] is not None
    assert "999 conditional permutations" in first["metadata"]["method"]
    got = {f["id"]: f["properties"] for f in first["features"]}
    centre = h3.latlng_to_cell(CENTRE[1], CENTRE[0], RES)
    # Two-sided pseudo p of 999 draws is at least 2 / 1000: the planted centre is there.
    assert got[centre]["p"] == 0.002
    assert all(p["p"] >= 0.002 for p in got.values() if p["p"] is not None)
    assert all(p["p_fdr"] >= p["p"] for p in got.values() if p["p"] is not None)
    unadjusted = client.get("/api/v1/hotspots", params={**params, "fdr": False}).json()
    assert {f["id"]: f["properties"] for f in unadjusted["features"]}[centre]["class"] == "hot-99"
    # Over 154 hexagons Benjamini-Hochberg needs finer p than 999 draws give; 9999 do.
    finer = client.get("/api/v1/hotspots", params={**params, "permutations": 9999}).json()
    assert {f["id"]: f["properties"] for f in finer["features"]}[centre]["class"] != "none"


def test_reports_outside_the_study_area_are_counted(client, points):
    page = client.get("/api/v1/hotspots", params={"resolution": RES, "campaign": CAMPAIGN}).json()
    inside = set(h3.h3shape_to_cells(h3.geo_to_h3shape(AREA), RES))
    cells = [h3.cell_to_parent(h3.latlng_to_cell(y, x, 15), RES) for x, y in points]
    outside = sum(c not in inside for c in cells)
    assert outside > 0  # reports near the box's edge fall in hexagons centred outside it
    assert page["summary"]["reports_outside"] == outside


def test_a_lone_report_is_suppressed(client, settings):
    page = client.get("/api/v1/hotspots", params={"resolution": RES, "campaign": CAMPAIGN}).json()
    lone = h3.latlng_to_cell(LONE[1], LONE[0], RES)
    props = next(f["properties"] for f in page["features"] if f["id"] == lone)
    assert props["reports"] is None and props["z"] is None and props["p"] is None
    assert props["class"] == "none" and props["suppressed"] is True


def test_fdr_adds_the_adjusted_p_and_is_no_less_strict(client):
    params = {"resolution": RES, "campaign": CAMPAIGN}
    plain = client.get("/api/v1/hotspots", params={**params, "fdr": "false"}).json()
    fdr = client.get("/api/v1/hotspots", params=params).json()
    rank = {"hot-99": 3, "hot-95": 2, "hot-90": 1, "none": 0}
    before = {f["id"]: f["properties"] for f in plain["features"]}
    for f in fdr["features"]:
        p = f["properties"]
        if p["z"] is None:
            continue
        assert p["p_fdr"] >= p["p"]
        if f["id"] in before and p["z"] > 0:
            assert rank[p["class"]] <= rank[before[f["id"]]["class"]]
    assert fdr["metadata"]["filters"]["fdr"] is True


def test_bad_parameters(client):
    assert client.get("/api/v1/hotspots", params={"resolution": 8, "k": 0}).status_code == 400
    assert client.get("/api/v1/hotspots", params={"resolution": 16}).status_code == 400
    few = client.get("/api/v1/hotspots", params={"resolution": RES, "permutations": 9})
    assert few.status_code == 400 and "at least 99" in few.json()["detail"]
    assert (
        client.get("/api/v1/hotspots", params={"resolution": 8, "permutations": 10000}).status_code
        == 400
    )
    wide = client.get("/api/v1/hotspots", params={"resolution": 13})
    assert wide.status_code == 400 and "coarser resolution" in wide.json()["detail"]
