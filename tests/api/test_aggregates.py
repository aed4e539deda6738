"""Areas, hexagon and area aggregates, indicators and suppression, on both backends."""

from __future__ import annotations

import uuid
from collections import Counter
from typing import Any

import h3
import numpy as np
import pytest

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
            if n >= settings.suppression_threshold:
                assert (props["reports"], props["suppressed"]) == (n, False)
            else:
                assert (props["reports"], props["suppressed"]) == (None, True)
                assert props["mean_severity"] is None and props["hotspots"] is None
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
    return make_report(
        "service",
        lon=ACCRA[0],
        lat=ACCRA[1],
        campaign=campaign,
        category=category,
        reporter=reporter,
        attributes={"satisfaction": satisfaction, "status": "operational"},
        **kw,
    )


def test_indicators_match_a_hand_calculation(client):
    campaign = _campaign()
    ratings = (
        [("health_facility", 4, "female")] * 4
        + [("health_facility", 2, "female")] * 2
        + [("health_facility", 3, "male")] * 3
        + [("health_facility", 1, "male")] * 3
        + [("school", 3, "female")] * 5
        + [("school", 1, None)] * 2
    )
    features = [_service(campaign, s, c, sex) for c, s, sex in ratings]
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
    _post(client, features)
    body = client.get("/api/v1/indicators", params={"level": 1, "campaign": campaign}).json()
    accra = next(a for a in body["areas"] if a["code"] == "GH-AA")
    sat = accra["sdg_16_6_2"]
    # 4 + 3 + 5 of 19 ratings are 3 or 4.
    assert (sat["n"], sat["satisfied_share"]) == (19, round(12 / 19, 4))
    assert sat["by_category"]["health_facility"] == {
        "n": 12,
        "satisfied_share": 0.5833,
        "suppressed": False,
    }
    assert sat["by_category"]["school"] == {
        "n": 7,
        "satisfied_share": round(5 / 7, 4),
        "suppressed": False,
    }
    assert sat["by_sex"]["female"] == {
        "n": 11,
        "satisfied_share": round(9 / 11, 4),
        "suppressed": False,
    }
    # Two ratings without the reporter's sex are too few to show; the next smallest group
    # (6 men) is hidden with them, else 19 - 11 - 6 would give the two away.
    assert sat["by_sex"]["not_stated"] == {"n": None, "satisfied_share": None, "suppressed": True}
    assert sat["by_sex"]["male"] == {"n": None, "satisfied_share": None, "suppressed": True}
    litter = accra["sdg_14_1_1"]
    # 5 surveys of 50 m with 5 items each, 3 of them plastic (G1; G200 is glass).
    assert litter["items_per_100m"] == 10.0 and litter["plastic_share"] == 0.6
    assert litter["n"] == 5 and litter["surveyed_m"] == 250
    csv = client.get("/api/v1/indicators", params={"level": 1, "campaign": campaign, "f": "csv"})
    assert csv.headers["content-type"].startswith("text/csv")
    assert 'filename="indicators-level1.csv"' in csv.headers["content-disposition"]
    assert "GH-AA,Greater Accra Region,16.6.2 satisfied_share,all,all,0.6316,19,False" in csv.text


def _recoverable(total: int | None, parts: list[int | None], threshold: int) -> bool:
    """Whether published `parts` of a published `total` pin down hidden ones below threshold."""
    if total is None:
        return False
    hidden = [p for p in parts if p is None]
    remainder = total - sum(p for p in parts if p is not None)
    return (bool(hidden) and 0 < remainder < threshold) or (len(hidden) == 1 and remainder > 0)


def test_no_suppressed_count_can_be_recovered_from_the_rest(client, settings):
    """Try every total minus its published parts, in every hexagon and area, and fail."""
    threshold = settings.suppression_threshold
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
            sex = str(rng.choice(["female", "male", "other"], p=[0.5, 0.45, 0.05]))
            point = (centre[0] + rng.normal(0, 0.01), centre[1] + rng.normal(0, 0.01))
            feature = make_report(
                kind,
                lon=point[0],
                lat=point[1],
                campaign=campaign,
                category=category,
                reporter={"sex": sex},
            )
            features.append(feature)
    _post(client, features)
    tried = 0
    for path, params in (
        ("hexes", {"resolution": 6}),
        ("hexes", {"resolution": 4}),
        ("areas", {"level": 1}),
    ):
        page = client.get(f"/api/v1/aggregates/{path}", params={**params, "campaign": campaign})
        for feature in page.json()["features"]:
            p = feature["properties"]
            kinds = [p["services"], p["surveys"], p["hotspots"]]
            assert not _recoverable(p["reports"], kinds, threshold), p
            for kind, cats in p["by_category"].items():
                total = p[{"service": "services", "litter": "surveys", "hotspot": "hotspots"}[kind]]
                assert not _recoverable(total, list(cats.values()), threshold), p
                tried += 1
    body = client.get("/api/v1/indicators", params={"level": 1, "campaign": campaign}).json()
    for area in body["areas"]:
        sat = area["sdg_16_6_2"]
        for dimension in ("category", "sex", "age_group", "disability"):
            groups = [g["n"] for g in sat[f"by_{dimension}"].values()]
            assert not _recoverable(sat["n"], groups, threshold), (area["code"], dimension)
            tried += 1
    assert tried > 10


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
