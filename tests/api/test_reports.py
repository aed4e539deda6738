"""The report endpoints on both backends: validation, idempotency, round trips, paging."""

from __future__ import annotations

import copy
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import h3
import pytest
from shapely.geometry import Point, shape

from tests.conftest import count_reports, make_report

NOW = datetime.now(UTC)


def _set(path: str, value: Any):  # type: ignore[no-untyped-def]
    """A mutation that sets `properties.attributes.x`-style paths of a report."""

    def mutate(feature: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target = feature
        for key in parents:
            target = target[key]
        if value is _DELETE:
            del target[last]
        else:
            target[last] = value

    return mutate


_DELETE = object()

# Each case: the kind of report, a mutation that breaks one rule of API.md, the loc of the error.
BAD_INPUT = {
    "not a feature": ("service", _set("type", "FeatureCollection"), ["type"]),
    "no geometry": ("service", _set("geometry", None), ["geometry"]),
    "polygon": ("service", _set("geometry.type", "Polygon"), ["geometry", "type"]),
    "longitude out of range": (
        "service",
        _set("geometry.coordinates", [181, 5]),
        ["geometry", "coordinates"],
    ),
    "latitude out of range": (
        "service",
        _set("geometry.coordinates", [5, -91]),
        ["geometry", "coordinates"],
    ),
    "one coordinate": ("service", _set("geometry.coordinates", [5]), ["geometry", "coordinates"]),
    "null island": ("service", _set("geometry.coordinates", [0, 0]), ["geometry", "coordinates"]),
    "coordinate not a number": (
        "service",
        _set("geometry.coordinates", ["a", 5]),
        ["geometry", "coordinates", 0],
    ),
    "unknown kind": ("service", _set("properties.kind", "pothole"), ["properties", "kind"]),
    "category of another kind": (
        "service",
        _set("properties.category", "flooding"),
        ["properties", "category"],
    ),
    "no observed_at": (
        "service",
        _set("properties.observed_at", _DELETE),
        ["properties", "observed_at"],
    ),
    "observed_at without timezone": (
        "service",
        _set("properties.observed_at", "2025-06-01T09:30:00"),
        ["properties", "observed_at"],
    ),
    "observed_at in the future": (
        "service",
        _set("properties.observed_at", (NOW + timedelta(hours=1)).isoformat()),
        ["properties", "observed_at"],
    ),
    "observed_at before 2000": (
        "service",
        _set("properties.observed_at", "1999-12-31T23:00:00+00:00"),
        ["properties", "observed_at"],
    ),
    "client_id not a UUID": (
        "service",
        _set("properties.client_id", "abc"),
        ["properties", "client_id"],
    ),
    "accuracy zero": ("service", _set("properties.accuracy_m", 0), ["properties", "accuracy_m"]),
    "accuracy too large": (
        "service",
        _set("properties.accuracy_m", 10_001),
        ["properties", "accuracy_m"],
    ),
    "campaign not a slug": (
        "service",
        _set("properties.campaign", "Beach Day!"),
        ["properties", "campaign"],
    ),
    "description too long": (
        "service",
        _set("properties.description", "x" * 2001),
        ["properties", "description"],
    ),
    "description with NUL": (
        "service",
        _set("properties.description", "a\x00b"),
        ["properties", "description"],
    ),
    "sensitive not a bool": (
        "service",
        _set("properties.sensitive", "yes"),
        ["properties", "sensitive"],
    ),
    "reporter sex unknown": (
        "service",
        _set("properties.reporter", {"sex": "f"}),
        ["properties", "reporter", "sex"],
    ),
    "reporter age group unknown": (
        "service",
        _set("properties.reporter", {"age_group": "30"}),
        ["properties", "reporter", "age_group"],
    ),
    "service name too long": (
        "service",
        _set("properties.attributes.name", "n" * 201),
        ["properties", "attributes", "name"],
    ),
    "service status unknown": (
        "service",
        _set("properties.attributes.status", "open"),
        ["properties", "attributes", "status"],
    ),
    "satisfaction 5": (
        "service",
        _set("properties.attributes.satisfaction", 5),
        ["properties", "attributes", "satisfaction"],
    ),
    "satisfaction 0": (
        "service",
        _set("properties.attributes.satisfaction", 0),
        ["properties", "attributes", "satisfaction"],
    ),
    "aspect unknown": (
        "service",
        _set("properties.attributes.aspects", {"speed": 3}),
        ["properties", "attributes", "aspects", "speed", "[key]"],
    ),
    "aspect out of scale": (
        "service",
        _set("properties.attributes.aspects", {"courtesy": 9}),
        ["properties", "attributes", "aspects", "courtesy"],
    ),
    "unknown attribute": (
        "service",
        _set("properties.attributes.satisfation", 3),
        ["properties", "attributes", "satisfation"],
    ),
    "litter without length": (
        "litter",
        _set("properties.attributes.survey_length_m", _DELETE),
        ["properties", "attributes", "survey_length_m"],
    ),
    "litter length too long": (
        "litter",
        _set("properties.attributes.survey_length_m", 1001),
        ["properties", "attributes", "survey_length_m"],
    ),
    "litter no items": (
        "litter",
        _set("properties.attributes.items", {}),
        ["properties", "attributes", "items"],
    ),
    "litter unknown item": (
        "litter",
        _set("properties.attributes.items", {"X9": 1}),
        ["properties", "attributes", "items", "X9"],
    ),
    "litter negative count": (
        "litter",
        _set("properties.attributes.items", {"G1": -1}),
        ["properties", "attributes", "items", "G1"],
    ),
    "litter fractional count": (
        "litter",
        _set("properties.attributes.items", {"G1": 1.5}),
        ["properties", "attributes", "items", "G1"],
    ),
    "litter count too large": (
        "litter",
        _set("properties.attributes.items", {"G1": 100_001}),
        ["properties", "attributes", "items", "G1"],
    ),
    "hotspot without severity": (
        "hotspot",
        _set("properties.attributes.severity", _DELETE),
        ["properties", "attributes", "severity"],
    ),
    "hotspot severity 6": (
        "hotspot",
        _set("properties.attributes.severity", 6),
        ["properties", "attributes", "severity"],
    ),
    "people affected negative": (
        "hotspot",
        _set("properties.attributes.people_affected", -1),
        ["properties", "attributes", "people_affected"],
    ),
}


@pytest.mark.parametrize("case", BAD_INPUT)
def test_bad_input_is_a_problem_that_names_the_field_and_stores_nothing(client, engine, case):
    kind, mutate, loc = BAD_INPUT[case]
    feature = make_report(kind)
    mutate(feature)
    before = count_reports(engine)
    response = client.post("/api/v1/reports", json=feature)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 422
    assert loc in [e["loc"] for e in problem["errors"]], problem["errors"]
    assert all(e["msg"] for e in problem["errors"])
    assert count_reports(engine) == before


@pytest.mark.parametrize("case", ["description too long", "litter unknown item", "null island"])
def test_a_batch_stores_the_valid_features_and_explains_the_others(client, engine, case, keys):
    kind, mutate, loc = BAD_INPUT[case]
    bad = make_report(kind)
    mutate(bad)
    good = [make_report("hotspot"), make_report("litter")]
    before = count_reports(engine)
    body = {"type": "FeatureCollection", "features": [good[0], bad, good[1]]}
    response = client.post("/api/v1/reports/batch", json=body, headers=keys["volunteer"])
    assert response.status_code == 200, response.text
    result = response.json()
    assert (result["created"], result["duplicates"], result["rejected"]) == (2, 0, 1)
    assert [r["outcome"] for r in result["results"]] == ["created", "rejected", "created"]
    assert ["features", 1, *loc] in [e["loc"] for e in result["results"][1]["errors"]]
    assert count_reports(engine) == before + 2
    for outcome in (result["results"][0], result["results"][2]):
        assert client.get(f"/api/v1/reports/{outcome['id']}").status_code == 200


def test_not_json_and_wrong_media_type(client, engine):
    before = count_reports(engine)
    broken = client.post(
        "/api/v1/reports",
        content=b'{"type": "Feature",',
        headers={"content-type": "application/json"},
    )
    assert broken.status_code == 422
    assert "not valid JSON" in broken.json()["detail"]
    form = client.post("/api/v1/reports", data={"kind": "service"})
    assert form.status_code == 415
    assert count_reports(engine) == before


def test_oversized_bodies_are_refused_with_413(client, engine, settings, keys):
    before = count_reports(engine)
    feature = make_report(description="x" * (settings.max_body_bytes + 10))
    response = client.post("/api/v1/reports", json=feature)
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    too_many = {
        "type": "FeatureCollection",
        "features": [make_report() for _ in range(settings.max_batch_features + 1)],
    }
    response = client.post("/api/v1/reports/batch", json=too_many, headers=keys["volunteer"])
    assert response.status_code == 422
    assert "split" in response.json()["detail"]
    assert count_reports(engine) == before


def test_replay_by_client_id_returns_the_stored_report_and_stores_nothing(client, engine):
    feature = make_report()
    first = client.post("/api/v1/reports", json=feature)
    assert first.status_code == 201
    assert first.json()["receipt"]
    before = count_reports(engine)
    again = client.post("/api/v1/reports", json=copy.deepcopy(feature))
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert "receipt" not in again.json()
    assert count_reports(engine) == before


def test_reusing_a_client_id_for_other_content_is_a_conflict(client, engine):
    feature = make_report()
    assert client.post("/api/v1/reports", json=feature).status_code == 201
    before = count_reports(engine)
    feature["properties"]["attributes"]["satisfaction"] = 1
    response = client.post("/api/v1/reports", json=feature)
    assert response.status_code == 409
    assert response.json()["errors"][0]["loc"] == ["properties", "client_id"]
    assert count_reports(engine) == before


def test_idempotency_key_header_means_the_same_as_client_id(client, engine):
    feature = make_report()
    del feature["properties"]["client_id"]
    key = {"Idempotency-Key": f"phone-42-report-{uuid.uuid4()}"}
    first = client.post("/api/v1/reports", json=feature, headers=key)
    assert first.status_code == 201
    again = client.post("/api/v1/reports", json=feature, headers=key)
    assert (again.status_code, again.json()["id"]) == (200, first.json()["id"])
    feature["properties"]["description"] = "changed"
    assert client.post("/api/v1/reports", json=feature, headers=key).status_code == 409
    other = make_report()
    mismatch = client.post(
        "/api/v1/reports", json=other, headers={"Idempotency-Key": str(uuid.uuid4())}
    )
    assert mismatch.status_code == 422


def test_batch_replay_counts_duplicates_and_conflicts(client, engine, keys):
    features = [make_report(), make_report("litter")]
    body = {"type": "FeatureCollection", "features": features}
    assert (
        client.post("/api/v1/reports/batch", json=body, headers=keys["volunteer"]).json()["created"]
        == 2
    )
    before = count_reports(engine)
    changed = copy.deepcopy(features[1])
    changed["properties"]["attributes"]["items"]["G1"] = 99
    repeat = copy.deepcopy(features[0])
    result = client.post(
        "/api/v1/reports/batch",
        json={"type": "FeatureCollection", "features": [features[0], changed, repeat]},
        headers=keys["volunteer"],
    ).json()
    assert [r["outcome"] for r in result["results"]] == ["duplicate", "rejected", "duplicate"]
    assert result["results"][1]["errors"][0]["loc"] == ["features", 1, "properties", "client_id"]
    assert count_reports(engine) == before


def test_server_fields_are_never_taken_from_the_client(client):
    feature = make_report(lon=-1.2345, lat=7.1234)
    feature["id"] = str(uuid.uuid4())
    feature["properties"].update(
        id=str(uuid.uuid4()),
        status="verified",
        received_at="2001-01-01T00:00:00Z",
        h3="8f754e64992d6d8",
        areas={"1": "GH-AA"},
        quality=["trusted"],
        receipt="mine",
    )
    stored = client.post("/api/v1/reports", json=feature).json()
    props = stored["properties"]
    assert stored["id"] not in (feature["id"], feature["properties"]["id"])
    assert props["status"] == "pending"
    assert props["received_at"] > "2020"
    assert props["areas"] == {} and props["quality"] == []
    assert props["h3"] != "8f754e64992d6d8"
    assert stored["receipt"] != "mine"


@pytest.mark.parametrize(
    ("lon", "lat"),
    [
        (-0.187, 5.6037),
        (-1.0173, 9.4034),
        (151.2, -33.87),
        (-179.99, 65.5),
        (12.3456789, -0.0000017),
    ],
)
def test_lon_lat_order_and_h3_cell_survive_a_round_trip(client, lon, lat):
    created = client.post("/api/v1/reports", json=make_report(lon=lon, lat=lat)).json()
    fetched = client.get(f"/api/v1/reports/{created['id']}").json()
    assert shape(fetched["geometry"]).equals_exact(Point(lon, lat), tolerance=1e-9)
    assert fetched["properties"]["h3"] == h3.latlng_to_cell(lat, lon, 15)
    listed = client.get(
        "/api/v1/reports",
        params={"bbox": f"{lon - 0.001},{lat - 0.001},{lon + 0.001},{lat + 0.001}", "limit": 10000},
    )
    found = listed.json()["features"]
    assert created["id"] in [f["id"] for f in found]
    # ...and nothing outside the box.
    assert all(abs(f["geometry"]["coordinates"][0] - lon) <= 0.001 for f in found)


def test_sensitive_reports_are_public_only_as_their_cell(client, settings):
    lon, lat = -0.2103, 5.5571
    created = client.post(
        "/api/v1/reports", json=make_report(lon=lon, lat=lat, sensitive=True)
    ).json()
    cell = h3.latlng_to_cell(lat, lon, settings.public_h3_resolution)
    centre_lat, centre_lon = h3.cell_to_latlng(cell)
    fetched = client.get(f"/api/v1/reports/{created['id']}").json()
    assert fetched["properties"]["h3"] == cell
    assert fetched["geometry"]["coordinates"] == pytest.approx([centre_lon, centre_lat])
    # A box around the exact point but not the cell's centre must not find the report.
    tiny = f"{lon - 1e-5},{lat - 1e-5},{lon + 1e-5},{lat + 1e-5}"
    ids = [f["id"] for f in client.get("/api/v1/reports", params={"bbox": tiny}).json()["features"]]
    assert created["id"] not in ids
    around_centre = (
        f"{centre_lon - 1e-5},{centre_lat - 1e-5},{centre_lon + 1e-5},{centre_lat + 1e-5}"
    )
    ids = [
        f["id"]
        for f in client.get("/api/v1/reports", params={"bbox": around_centre}).json()["features"]
    ]
    assert created["id"] in ids


def test_paging_neither_skips_nor_repeats(client, keys):
    campaign = f"paging-{uuid.uuid4().hex[:8]}"
    features = [
        make_report("hotspot", lon=-1.6 + i * 0.001, lat=6.7, campaign=campaign) for i in range(23)
    ]
    result = client.post(
        "/api/v1/reports/batch",
        json={"type": "FeatureCollection", "features": features},
        headers=keys["volunteer"],
    ).json()
    assert result["created"] == 23
    seen: list[str] = []
    url: str | None = f"/api/v1/reports?campaign={campaign}&limit=5"
    pages = 0
    while url:
        page = client.get(url).json()
        seen += [f["id"] for f in page["features"]]
        url = next((link["href"] for link in page["links"] if link["rel"] == "next"), None)
        pages += 1
    assert pages == 5
    assert len(seen) == len(set(seen)) == 23
    assert set(seen) == {r["id"] for r in result["results"]}


def test_list_filters(client, keys):
    campaign = f"filters-{uuid.uuid4().hex[:8]}"
    features = [
        make_report("service", campaign=campaign, observed_at="2024-01-10T00:00:00Z"),
        make_report("litter", campaign=campaign, observed_at="2024-03-10T00:00:00Z"),
        make_report(
            "hotspot", campaign=campaign, category="water", observed_at="2024-05-10T00:00:00+02:00"
        ),
    ]
    client.post(
        "/api/v1/reports/batch",
        json={"type": "FeatureCollection", "features": features},
        headers=keys["volunteer"],
    )

    def kinds(**params: str) -> list[str]:
        page = client.get("/api/v1/reports", params={"campaign": campaign, **params})
        assert page.status_code == 200, page.text
        return [f["properties"]["kind"] for f in page.json()["features"]]

    assert kinds() == ["service", "litter", "hotspot"]
    assert kinds(kind="litter") == ["litter"]
    assert kinds(category="water") == ["hotspot"]
    assert kinds(since="2024-02-01T00:00:00Z") == ["litter", "hotspot"]
    assert kinds(until="2024-02-01T00:00:00Z") == ["service"]
    assert kinds(status="pending") == ["service", "litter", "hotspot"]
    assert kinds(status="hidden") == []


@pytest.mark.parametrize(
    "query",
    [
        "bbox=1,2,3",
        "bbox=10,0,5,-1",
        "bbox=a,b,c,d",
        "since=yesterday",
        "until=2024-01-01T00:00:00",
        "limit=0",
        "limit=10001",
        "cursor=nonsense",
        "status=open",
        "kind=pothole",
    ],
)
def test_bad_query_parameters_are_400_problems(client, query):
    response = client.get(f"/api/v1/reports?{query}")
    assert response.status_code == 400, response.text
    problem = response.json()
    assert problem["status"] == 400 and problem["errors"][0]["loc"][0] == "query"


def test_unknown_report_is_404(client):
    assert client.get(f"/api/v1/reports/{uuid.uuid4()}").status_code == 404
    assert client.get("/api/v1/reports/not-an-id").status_code == 404


def test_collection_carries_metadata(client, settings):
    page = client.get("/api/v1/reports", params={"kind": "litter", "limit": 1}).json()
    meta = page["metadata"]
    assert meta["filters"] == {"kind": "litter"}
    assert meta["suppression_threshold"] == settings.suppression_threshold
    assert meta["license"] == settings.data_license
    assert meta["method"] and meta["generated_at"].endswith("Z")
