"""Campaigns: opened by planners, listed for volunteers, reports flagged when they do not fit,
progress counted (and small contributor counts suppressed)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import h3
import pytest
from fastapi.testclient import TestClient

from tests.conftest import make_report

LABADI = (-0.1486, 5.5600)  # a beach in Greater Accra
TAMALE = (-0.8393, 9.4075)  # Northern Region


pytestmark = pytest.mark.usefixtures("ghana_regions")


def iso(when: datetime) -> str:
    return when.isoformat().replace("+00:00", "Z")


def campaign(**changes: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    body = {
        "slug": f"beaches-{uuid.uuid4().hex[:8]}",
        "title": "Greater Accra beach clean-up",
        "description": "Count litter on the beaches of Greater Accra.",
        "kind": "litter",
        "categories": ["monitoring", "cleanup"],
        "area": "GH-AA",
        "start": iso(now - timedelta(days=7)),
        "end": iso(now + timedelta(days=30)),
    }
    body.update(changes)
    return body


def open_campaign(client: TestClient, planner: dict[str, str], **changes: Any) -> dict[str, Any]:
    response = client.post("/api/v1/campaigns", json=campaign(**changes), headers=planner)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def test_a_planner_opens_a_campaign_and_nobody_else_may(client, keys):
    body = campaign()
    assert client.post("/api/v1/campaigns", json=body).status_code == 401
    for role in ("volunteer", "moderator"):
        assert client.post("/api/v1/campaigns", json=body, headers=keys[role]).status_code == 403
    made = client.post("/api/v1/campaigns", json=body, headers=keys["planner"])
    assert made.status_code == 201, made.text
    assert made.headers["location"].endswith(f"/api/v1/campaigns/{body['slug']}")
    shown = client.get(f"/api/v1/campaigns/{body['slug']}").json()
    assert {k: shown[k] for k in ("slug", "title", "kind", "area")} == {
        k: body[k] for k in ("slug", "title", "kind", "area")
    }
    assert shown["categories"] == ["cleanup", "monitoring"]
    assert shown["active"] is True and shown["demo"] is False
    again = client.post("/api/v1/campaigns", json=body, headers=keys["admin"])
    assert again.status_code == 409
    assert again.json()["errors"] == [{"loc": ["slug"], "msg": "already taken"}]
    assert client.get("/api/v1/campaigns/no-such-campaign").status_code == 404


@pytest.mark.parametrize(
    ("changes", "loc"),
    [
        ({"end": "2020-01-01T00:00:00Z", "start": "2020-02-01T00:00:00Z"}, []),
        ({"kind": "weather"}, ["kind"]),
        ({"categories": ["health_facility"]}, ["categories", 0]),
        ({"area": "XX-99"}, ["area"]),
        ({"slug": "Not A Slug"}, ["slug"]),
        ({"start": "2025-01-01"}, ["start"]),
        ({"owner": "me"}, ["owner"]),
        ({"title": ""}, ["title"]),
    ],
    ids=["end-before-start", "kind", "category", "area", "slug", "naive-time", "extra", "title"],
)
def test_a_campaign_that_breaks_a_rule_gets_a_problem(client, keys, changes, loc):
    response = client.post("/api/v1/campaigns", json=campaign(**changes), headers=keys["planner"])
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert loc in [e["loc"] for e in response.json()["errors"]]


def test_the_volunteer_page_lists_the_active_campaigns(client, keys):
    now = datetime.now(UTC)
    running = open_campaign(client, keys["planner"])
    past = open_campaign(
        client,
        keys["planner"],
        start=iso(now - timedelta(days=60)),
        end=iso(now - timedelta(days=30)),
    )
    future = open_campaign(client, keys["planner"], start=iso(now + timedelta(days=3)))
    active = client.get("/api/v1/campaigns", params={"active": "true"}).json()["campaigns"]
    slugs = {c["slug"] for c in active}
    assert running["slug"] in slugs and not slugs & {past["slug"], future["slug"]}
    assert all(c["active"] for c in active)
    inactive = client.get("/api/v1/campaigns", params={"active": "false"}).json()["campaigns"]
    assert {past["slug"], future["slug"]} <= {c["slug"] for c in inactive}
    everything = client.get("/api/v1/campaigns").json()
    assert everything["count"] >= 3


def test_reports_that_do_not_fit_their_campaign_are_flagged(client, keys):
    slug = open_campaign(client, keys["planner"])["slug"]

    def flags(**kw: Any) -> list[str]:
        report = make_report("litter", campaign=slug, **kw)
        response = client.post("/api/v1/reports", json=report)
        assert response.status_code == 201, response.text
        return response.json()["properties"]["quality"]  # type: ignore[no-any-return]

    assert "outside_campaign" not in flags(lon=LABADI[0], lat=LABADI[1])
    assert "outside_campaign" in flags(lon=TAMALE[0], lat=TAMALE[1])
    too_early = iso(datetime.now(UTC) - timedelta(days=20))
    assert "outside_campaign" in flags(lon=LABADI[0], lat=LABADI[1], observed_at=too_early)
    # A slug the server does not know is kept, flagged: an offline phone may carry an old one.
    unknown = make_report("litter", campaign="no-such-campaign")
    response = client.post("/api/v1/reports", json=unknown)
    assert response.status_code == 201
    assert "unknown_campaign" in response.json()["properties"]["quality"]
    batch = {
        "type": "FeatureCollection",
        "features": [
            make_report("litter", lon=LABADI[0], lat=LABADI[1], campaign=slug),
            make_report("litter", lon=TAMALE[0], lat=TAMALE[1], campaign=slug),
        ],
    }
    result = client.post("/api/v1/reports/batch", json=batch, headers=keys["volunteer"]).json()
    inside, outside = (
        client.get(f"/api/v1/reports/{r['id']}").json()["properties"]["quality"]
        for r in result["results"]
    )
    assert "outside_campaign" not in inside and "outside_campaign" in outside


def _sender(client: TestClient, n: int) -> TestClient:
    return TestClient(client.app, client=(f"198.51.100.{n}", 5000))


def test_progress_counts_reports_contributors_and_hexagons(client, keys, settings):
    slug = open_campaign(client, keys["planner"])["slug"]
    points = [(LABADI[0] + 0.01 * i, LABADI[1]) for i in range(3)]
    phone = _sender(client, 1)
    for lon, lat in points:
        report = make_report("litter", lon=lon, lat=lat, campaign=slug)
        assert phone.post("/api/v1/reports", json=report).status_code == 201
    progress = client.get(f"/api/v1/campaigns/{slug}").json()["progress"]
    hexes = {h3.latlng_to_cell(lat, lon, 9) for lon, lat in points}
    assert progress["resolution"] == 9
    assert (progress["reports"], progress["hexes_with_reports"]) == (3, len(hexes))
    # One sender is below the threshold: how few people sent them is not published.
    assert progress["contributors"] is None and progress["contributors_suppressed"] is True
    assert (progress["visits"], progress["hexes_with_effort"]) == (0, 0)
    for n in range(2, 2 + settings.suppression_threshold):
        report = make_report("litter", lon=LABADI[0], lat=LABADI[1], campaign=slug)
        assert _sender(client, n).post("/api/v1/reports", json=report).status_code == 201
    progress = client.get(f"/api/v1/campaigns/{slug}").json()["progress"]
    assert progress["contributors"] == 1 + settings.suppression_threshold
    assert progress["contributors_suppressed"] is False
    track = {
        "type": "Feature",
        "geometry": {"type": "LineString", "coordinates": [list(points[0]), list(points[-1])]},
        "properties": {
            "kind": "litter",
            "campaign": slug,
            "started_at": iso(datetime.now(UTC) - timedelta(hours=1)),
            "ended_at": iso(datetime.now(UTC) - timedelta(minutes=10)),
        },
    }
    assert client.post("/api/v1/effort", json=track).status_code == 201
    coarse = client.get(f"/api/v1/campaigns/{slug}", params={"resolution": 7}).json()["progress"]
    assert coarse["visits"] == 1 and coarse["hexes_with_effort"] >= 1
    fine = client.get(f"/api/v1/campaigns/{slug}").json()["progress"]
    assert fine["hexes_with_effort"] >= len(hexes)
    beyond = client.get(f"/api/v1/campaigns/{slug}", params={"resolution": 14}).json()
    assert beyond["progress"]["hexes_with_effort"] is None  # effort is not stored that finely
