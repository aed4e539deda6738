"""Areas, hexagon and area aggregates, indicators and suppression, on both backends."""

from __future__ import annotations

import uuid
from collections import Counter
from typing import Any

import h3
import numpy as np
import pytest
import sqlalchemy as sa

from mapping.disclosure import cellkey
from mapping.storage.tables import reports
from tests.conftest import make_report

ACCRA, TAMALE = (-0.1870, 5.6037), (-0.8393, 9.4075)


@pytest.fixture(scope="module", autouse=True)
def volunteer_key(client, keys):  # type: ignore[no-untyped-def]
    client.volunteer = keys["volunteer"]


pytestmark = pytest.mark.usefixtures("ghana_regions")


def _campaign() -> str:
    return f"t-{uuid.uuid4().hex[:10]}"


def _post(client, features: list[dict[str, Any]]) -> list[str]:  # type: ignore[no-untyped-def]
    result = client.post(
        "/api/v1/reports/batch",
        json={"type": "FeatureCollection", "features": features},
        headers=client.volunteer,
    ).json()
    assert result["rejected"] == 0, result
    return [r["id"] for r in result["results"]]


def test_reports_in_accra_and_tamale_land_in_their_regions(client):
    accra = client.post("/api/v1/reports", json=make_report(lon=ACCRA[0], lat=ACCRA[1])).json()
    tamale = client.post("/api/v1/reports", json=make_report(lon=TAMALE[0], lat=TAMALE[1])).json()
    sea = client.post("/api/v1/reports", json=make_report(lon=-1.0, lat=3.0)).json()
    assert accra["properties"]["areas"] == {"1": "GH-AA"}
    assert tamale["properties"]["areas"] == {"1": "GH-NP"}
    assert sea["properties"]["areas"] == {} and sea["properties"]["quality"] == ["outside_areas"]
    listed = client.get("/api/v1/reports", params={"area": "GH-NP", "limit": 10000}).json()
    assert tamale["id"] in [f["id"] for f in listed["features"]]


def test_areas_are_listed_with_their_outlines(client):
    page = client.get("/api/v1/areas", params={"level": 1}).json()
    assert len(page["features"]) == 16
    assert {f["properties"]["code"] for f in page["features"]} >= {"GH-AA", "GH-NP"}
    assert page["features"][0]["geometry"]["type"] in ("Polygon", "MultiPolygon")
    assert page["metadata"]["license"]
    one = client.get("/api/v1/areas/GH-AA").json()
    assert one["properties"]["name"] == "Greater Accra Region"
    assert "sdg_16_6_2" in one["properties"]["indicators"]
    assert client.get("/api/v1/areas/XX-00").status_code == 404


def test_hexagon_counts_equal_those_computed_with_h3(client, settings):
    rng = np.random.default_rng(3)
    campaign = _campaign()
    points = [(ACCRA[0] + rng.normal(0, 0.02), ACCRA[1] + rng.normal(0, 0.02)) for _ in range(150)]
    points += [
        (TAMALE[0] + rng.normal(0, 0.004), TAMALE[1] + rng.normal(0, 0.004)) for _ in range(40)
    ]
    _post(client, [make_report("hotspot", lon=x, lat=y, campaign=campaign) for x, y in points])
    for resolution in (5, 7, 8):
        # A report counts in the ancestor of its resolution-15 cell, as H3's hierarchy has it.
        expected = Counter(
            h3.cell_to_parent(h3.latlng_to_cell(y, x, 15), resolution) for x, y in points
        )
        page = client.get(
            "/api/v1/aggregates/hexes", params={"resolution": resolution, "campaign": campaign}
        ).json()
        got = {f["properties"]["h3"]: f["properties"] for f in page["features"]}
        assert got.keys() == expected.keys()
        for cell, n in expected.items():
            props = got[cell]
            assert props["resolution"] == resolution
            # Exact, small or not: the public listing shows these reports one by one.
            assert (props["reports"], props["hotspots"], props["suppressed"]) == (n, n, False)
            if n < settings.suppression_threshold:  # too few for a mean worth reading
                assert props["mean_severity"] is None
        feature = page["features"][0]
        assert feature["geometry"]["type"] == "Polygon"
        ring = feature["geometry"]["coordinates"][0]
        assert ring[0] == ring[-1] and len(ring) in (6, 7)
        assert page["metadata"]["filters"] == {"campaign": campaign, "resolution": resolution}


def test_area_aggregates_list_every_area(client):
    campaign = _campaign()
    _post(
        client,
        [
            make_report(
                "hotspot",
                lon=ACCRA[0] + i * 1e-3,
                lat=ACCRA[1],
                campaign=campaign,
                attributes={"severity": 1 + i % 5, "people_affected": 10},
            )
            for i in range(12)
        ],
    )
    page = client.get("/api/v1/aggregates/areas", params={"level": 1, "campaign": campaign}).json()
    by_code = {f["properties"]["code"]: f["properties"] for f in page["features"]}
    assert len(by_code) == 16
    accra = by_code["GH-AA"]
    assert (accra["reports"], accra["hotspots"], accra["people_affected"]) == (12, 12, 120)
    assert accra["mean_severity"] == pytest.approx(sum(1 + i % 5 for i in range(12)) / 12)
    assert by_code["GH-NP"]["reports"] == 0 and by_code["GH-NP"]["suppressed"] is False


def _service(campaign: str, satisfaction: int, category: str, sex: str | None, **kw: Any):
    reporter = {"sex": sex} if sex else None
    kw.setdefault("lon", ACCRA[0])
    kw.setdefault("lat", ACCRA[1])
    return make_report(
        "service",
        campaign=campaign,
        category=category,
        reporter=reporter,
        attributes={"satisfaction": satisfaction, "status": "operational"},
        **kw,
    )


def _record_keys(engine, ids: list[str]) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """The record keys the database holds for the reports `ids` (never published)."""
    wanted = {uuid.UUID(i) for i in ids}
    with engine.connect() as conn:
        rows = conn.execute(sa.select(reports.c.id, reports.c.record_key)).all()
    return {str(rid): key for rid, key in rows if rid in wanted}


def _expected(cells: list[tuple[int, int]], threshold: int) -> dict[str, Any]:
    """A group's figures by hand: (satisfied 0/1, record key) per contributor, through the
    perturbation table."""
    n = cellkey.perturb(len(cells), sum(k for _, k in cells))
    sat = min(cellkey.perturb(sum(s for s, _ in cells), sum(k for s, k in cells if s)), n)
    if n < threshold:
        return {"n": None, "satisfied_share": None, "satisfied_share_ci": None, "suppressed": True}
    return {"n": n, "satisfied_share": round(sat / n, 4), "suppressed": False}


def test_indicators_match_a_hand_calculation(client, engine, settings):
    campaign = _campaign()
    ratings = (
        [("health_facility", 4, "female")] * 4
        + [("health_facility", 2, "female")] * 2
        + [("health_facility", 3, "male")] * 3
        + [("health_facility", 1, "male")] * 3
        + [("school", 3, "female")] * 5
        + [("school", 1, None)] * 2
    )
    # Each rating at its own service point (resolution-10 cells apart), so each is counted.
    features = [
        _service(campaign, s, c, sex, lon=ACCRA[0] + i * 0.002)
        for i, (c, s, sex) in enumerate(ratings)
    ]
    features += [
        make_report(
            "litter",
            lon=ACCRA[0],
            lat=ACCRA[1],
            campaign=campaign,
            attributes={"survey_length_m": 50, "items": {"G1": 3, "G200": 2}},
        )
        for _ in range(5)
    ]
    ids = _post(client, features)
    keys = _record_keys(engine, ids[: len(ratings)])
    rows = [
        (c, int(s >= 3), sex or "not_stated", keys[i])
        for (c, s, sex), i in zip(ratings, ids, strict=False)
    ]
    body = client.get("/api/v1/indicators", params={"level": 1, "campaign": campaign}).json()
    accra = next(a for a in body["areas"] if a["code"] == "GH-AA")
    sat = accra["sdg_16_6_2"]
    threshold = settings.suppression_threshold

    def check(got: dict[str, Any], chosen: list[tuple[int, int]]) -> None:
        want = _expected(chosen, threshold)
        assert {k: got[k] for k in want} == want
        assert got["n"] is None or abs(got["n"] - len(chosen)) <= 3  # the table's largest noise

    check(sat, [(s, k) for _, s, _, k in rows])
    for category in ("health_facility", "school"):
        check(sat["by_category"][category], [(s, k) for c, s, _, k in rows if c == category])
    for sex in ("female", "male", "not_stated"):
        check(sat["by_sex"][sex], [(s, k) for _, s, x, k in rows if x == sex])
    assert "cell key" in body["metadata"]["method"]
    litter = accra["sdg_14_1_1"]
    # 5 surveys of 50 m with 5 items each, 3 of them plastic (G1; G200 is glass): exact.
    assert litter["items_per_100m"] == 10.0 and litter["plastic_share"] == 0.6
    assert litter["n"] == 5 and litter["surveyed_m"] == 250
    csv = client.get("/api/v1/indicators", params={"level": 1, "campaign": campaign, "f": "csv"})
    assert csv.headers["content-type"].startswith("text/csv")
    assert 'filename="indicators-level1.csv"' in csv.headers["content-disposition"]
    share = sat["satisfied_share"]
    line = f"GH-AA,Greater Accra Region,16.6.2 pooled satisfied_share,all,all,{share}"
    assert line in csv.text


def test_one_sender_rating_one_service_point_counts_once(client, engine, settings):
    """Four ratings of one clinic from one sender are one contributor: the latest is kept."""
    campaign = _campaign()
    features = [
        _service(campaign, s, "health_facility", "male", observed_at=f"2026-01-0{day}T08:00:00Z")
        for day, s in ((1, 1), (2, 1), (3, 1), (4, 4))
    ]
    features += [
        _service(campaign, 4, "school", "female", lon=ACCRA[0] + i * 0.002) for i in range(1, 9)
    ]
    ids = _post(client, features)
    keys = _record_keys(engine, ids)
    body = client.get("/api/v1/indicators", params={"level": 1, "campaign": campaign}).json()
    sat = next(a for a in body["areas"] if a["code"] == "GH-AA")["sdg_16_6_2"]
    latest = [(1, keys[ids[3]])]
    want = _expected(latest + [(1, keys[i]) for i in ids[4:]], settings.suppression_threshold)
    assert {k: sat[k] for k in want} == want
    assert sat["by_sex"]["male"] == {
        **_expected(latest, settings.suppression_threshold),
        "satisfied_share_ci": None,
    }


def test_hexagon_and_area_counts_add_up_exactly(client):
    """Counts are exact, so every total is the sum of its parts: differencing them gives only
    what the public listing shows (tests/disclosure compares with the listing itself)."""
    rng = np.random.default_rng(11)
    campaign = _campaign()
    features = []
    for centre in (ACCRA, TAMALE, (-1.62, 6.69)):
        for _ in range(int(rng.integers(8, 30))):
            kind = str(rng.choice(["service", "litter", "hotspot"], p=[0.6, 0.1, 0.3]))
            category = {
                "service": str(rng.choice(["health_facility", "school", "police"])),
                "litter": "monitoring",
                "hotspot": str(rng.choice(["water", "flooding"])),
            }[kind]
            point = (centre[0] + rng.normal(0, 0.01), centre[1] + rng.normal(0, 0.01))
            features.append(
                make_report(kind, lon=point[0], lat=point[1], campaign=campaign, category=category)
            )
    _post(client, features)
    for path, params in (("hexes", {"resolution": 6}), ("areas", {"level": 1})):
        page = client.get(f"/api/v1/aggregates/{path}", params={**params, "campaign": campaign})
        counted = 0
        for feature in page.json()["features"]:
            p = feature["properties"]
            assert p["reports"] == p["services"] + p["surveys"] + p["hotspots"], p
            for kind, cats in p["by_category"].items():
                name = {"service": "services", "litter": "surveys", "hotspot": "hotspots"}[kind]
                assert p[name] == sum(cats.values()), p
            counted += p["reports"]
        # Every report lies in a hexagon, and in one of Ghana's regions.
        assert counted == len(features), path


def test_sensitive_reports_count_only_at_public_resolutions(client, settings):
    campaign = _campaign()
    _post(
        client,
        [
            make_report(
                "hotspot",
                lon=TAMALE[0] + i * 1e-4,
                lat=TAMALE[1],
                campaign=campaign,
                sensitive=True,
            )
            for i in range(6)
        ],
    )
    public = settings.public_h3_resolution
    coarse = client.get(
        "/api/v1/aggregates/hexes", params={"resolution": public, "campaign": campaign}
    ).json()
    assert [f["properties"]["reports"] for f in coarse["features"]] == [6]
    fine = client.get(
        "/api/v1/aggregates/hexes", params={"resolution": public + 2, "campaign": campaign}
    ).json()
    assert fine["features"] == []
    assert "Sensitive" in fine["metadata"]["method"]


@pytest.mark.parametrize(
    ("path", "params", "status"),
    [
        ("hexes", {"resolution": 16}, 400),
        ("hexes", {}, 400),
        ("areas", {"level": 4}, 400),
        ("hexes", {"resolution": 7, "bbox": "1,2"}, 400),
        ("areas", {"level": "one"}, 400),
    ],
)
def test_bad_aggregate_queries_are_problems(client, path, params, status):
    response = client.get(f"/api/v1/aggregates/{path}", params=params)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"]


def test_too_many_hexagons_is_a_problem_that_says_what_to_do(client, settings):
    big = settings.model_copy(update={"max_aggregate_cells": 2})
    client.app.state.settings = big
    try:
        response = client.get("/api/v1/aggregates/hexes", params={"resolution": 9})
    finally:
        client.app.state.settings = settings
    assert response.status_code == 400
    assert "coarser resolution" in response.json()["detail"]


def test_hexagons_name_the_place_that_holds_them(client):
    campaign = _campaign()
    _post(client, [make_report(lon=TAMALE[0], lat=TAMALE[1], campaign=campaign),
                   make_report(lon=-1.0, lat=3.0, campaign=campaign)])  # fmt: skip
    page = client.get(
        "/api/v1/aggregates/hexes", params={"resolution": 6, "campaign": campaign}
    ).json()
    places = sorted((f["properties"]["place"] or "") for f in page["features"])
    # Tamale's hexagon is in the Northern Region; the one at sea is in no area.
    assert places == ["", "Northern Region"]


def test_hexagons_and_areas_count_service_points_by_their_status(client):
    """The map colours zoomed-out service points by status from these counts."""
    campaign = _campaign()
    statuses = ["operational"] * 3 + ["partly"] * 2 + ["closed"] + [None]
    features = []
    for i, status in enumerate(statuses):
        attributes = {"name": f"Pump {i}", "satisfaction": 3}
        if status:
            attributes["status"] = status
        features.append(
            make_report(lon=TAMALE[0], lat=TAMALE[1], campaign=campaign, attributes=attributes)
        )
    features.append(make_report("hotspot", lon=TAMALE[0], lat=TAMALE[1], campaign=campaign))
    _post(client, features)
    want = {"status_operational": 3, "status_partly": 2, "status_closed": 1}
    hexes = client.get(
        "/api/v1/aggregates/hexes", params={"resolution": 5, "campaign": campaign}
    ).json()
    (cell,) = hexes["features"]
    assert {k: cell["properties"][k] for k in want} == want
    assert cell["properties"]["services"] == len(statuses)
    areas = client.get("/api/v1/aggregates/areas", params={"level": 1, "campaign": campaign}).json()
    (north,) = [f for f in areas["features"] if f["properties"]["code"] == "GH-NP"]
    assert {k: north["properties"][k] for k in want} == want
