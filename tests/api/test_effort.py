"""Observer effort: visits spread over the hexagons their track crosses, counted in hexagon and
area aggregates beside the reports, suppressed like counts."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import h3
import pytest

from mapping import hexgrid
from tests.conftest import make_report

# A walk along Labadi beach, Greater Accra, about 1.6 km.
BEACH = [[-0.1620, 5.5560], [-0.1540, 5.5580], [-0.1470, 5.5600]]
RESOLUTION = 12  # the default effort resolution


pytestmark = pytest.mark.usefixtures("ghana_regions")


def iso(when: datetime) -> str:
    return when.isoformat().replace("+00:00", "Z")


def visit(coordinates: Any = None, **properties: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    coordinates = BEACH if coordinates is None else coordinates
    kind = "Point" if isinstance(coordinates[0], float) else "LineString"
    props = {
        "kind": "litter",
        "started_at": iso(now - timedelta(hours=2)),
        "ended_at": iso(now - timedelta(hours=1)),
        "client_id": str(uuid.uuid4()),
    }
    props.update(properties)
    return {
        "type": "Feature",
        "geometry": {"type": kind, "coordinates": coordinates},
        "properties": props,
    }


def _campaign() -> str:
    return f"walk-{uuid.uuid4().hex[:8]}"


def _beach_cells(resolution: int) -> set[str]:
    """The cells at `resolution` the beach walk touches, from h3 itself: the parents of the
    stored cells."""
    cells = hexgrid.track_cells([p[0] for p in BEACH], [p[1] for p in BEACH], RESOLUTION)
    return {h3.cell_to_parent(h3.int_to_str(c), resolution) for c in cells}


def test_a_track_is_stored_with_the_cells_it_crosses(client):
    response = client.post("/api/v1/effort", json=visit(campaign=_campaign()))
    assert response.status_code == 201, response.text
    stored = response.json()
    cells = hexgrid.track_cells([p[0] for p in BEACH], [p[1] for p in BEACH], RESOLUTION)
    assert stored["properties"]["cells"] == len(cells)
    assert 1500 < stored["properties"]["length_m"] < 1800
    # The cells form a connected path from the start's cell to the end's.
    names = [h3.int_to_str(c) for c in cells]
    assert names[0] == h3.latlng_to_cell(BEACH[0][1], BEACH[0][0], RESOLUTION)
    assert names[-1] == h3.latlng_to_cell(BEACH[-1][1], BEACH[-1][0], RESOLUTION)
    assert all(h3.are_neighbor_cells(a, b) for a, b in itertools.pairwise(names))
    point = client.post("/api/v1/effort", json=visit([-0.1486, 5.5600])).json()
    assert point["properties"]["cells"] == 1


def test_effort_and_reports_per_visit_in_hexagons_show_where_people_looked(client, settings):
    campaign, threshold = _campaign(), settings.suppression_threshold
    for _ in range(threshold + 1):
        assert client.post("/api/v1/effort", json=visit(campaign=campaign)).status_code == 201
    lon, lat = BEACH[1]
    for _ in range(threshold):
        report = make_report("litter", lon=lon, lat=lat, campaign=campaign)
        assert client.post("/api/v1/reports", json=report).status_code == 201
    hexes = client.get(
        "/api/v1/aggregates/hexes", params={"resolution": 9, "campaign": campaign}
    ).json()["features"]
    by_cell = {f["properties"]["h3"]: f["properties"] for f in hexes}
    assert set(by_cell) == _beach_cells(9)
    with_reports = h3.latlng_to_cell(lat, lon, 9)
    for cell, props in by_cell.items():
        assert props["effort"] == threshold + 1 and props["effort_suppressed"] is False
        if cell == with_reports:
            assert props["reports"] == threshold
            assert props["reports_per_visit"] == round(threshold / (threshold + 1), 3)
        else:
            # Looked at, nothing found: what tells "no reports" from "nobody looked".
            assert props["reports"] == 0 and props["reports_per_visit"] == 0
    assert (
        "Effort"
        in client.get(
            "/api/v1/aggregates/hexes", params={"resolution": 9, "campaign": campaign}
        ).json()["metadata"]["method"]
    )
    kind = client.get(
        "/api/v1/aggregates/hexes",
        params={"resolution": 9, "campaign": campaign, "kind": "service"},
    ).json()["features"]
    assert kind == []  # effort of another kind does not count


def test_effort_in_area_aggregates(client, settings):
    campaign, threshold = _campaign(), settings.suppression_threshold
    for _ in range(threshold):
        client.post("/api/v1/effort", json=visit(campaign=campaign))
    areas = client.get(
        "/api/v1/aggregates/areas", params={"level": 1, "campaign": campaign}
    ).json()["features"]
    effort = {f["properties"]["code"]: f["properties"]["effort"] for f in areas}
    assert effort.pop("GH-AA") == threshold
    assert set(effort.values()) == {0}
    accra = next(f["properties"] for f in areas if f["properties"]["code"] == "GH-AA")
    assert accra["reports"] == 0 and accra["reports_per_visit"] == 0


def test_small_effort_is_suppressed_but_the_looked_at_cell_is_shown(client):
    campaign = _campaign()
    client.post("/api/v1/effort", json=visit([-0.1486, 5.5600], campaign=campaign))
    hexes = client.get(
        "/api/v1/aggregates/hexes", params={"resolution": 8, "campaign": campaign}
    ).json()["features"]
    assert len(hexes) == 1
    props = hexes[0]["properties"]
    assert props["effort"] is None and props["effort_suppressed"] is True
    assert props["reports"] == 0 and props["reports_per_visit"] is None
    finer = client.get(
        "/api/v1/aggregates/hexes", params={"resolution": 13, "campaign": campaign}
    ).json()
    assert finer["features"] == [] and "not shown finer" in finer["metadata"]["method"]


def test_a_replayed_visit_stores_nothing_and_a_reused_id_is_a_conflict(client, engine):
    first = visit(campaign=_campaign())
    made = client.post("/api/v1/effort", json=first)
    assert made.status_code == 201

    def visits() -> int:
        with engine.connect() as conn:
            return int(conn.exec_driver_sql("SELECT count(*) FROM effort_visits").scalar_one())

    before = visits()
    again = client.post("/api/v1/effort", json=first)
    assert again.status_code == 200 and again.json()["id"] == made.json()["id"]
    changed = {**first, "geometry": {"type": "Point", "coordinates": [-0.15, 5.56]}}
    assert client.post("/api/v1/effort", json=changed).status_code == 409
    key = str(uuid.uuid4())
    by_header = visit()
    del by_header["properties"]["client_id"]
    keyed = {"Idempotency-Key": key}
    assert client.post("/api/v1/effort", json=by_header, headers=keyed).status_code == 201
    assert client.post("/api/v1/effort", json=by_header, headers=keyed).status_code == 200
    assert visits() == before + 1


def test_effort_names_its_campaign_and_is_flagged_outside_it(client, keys):
    now = datetime.now(UTC)
    slug = _campaign()
    made = client.post(
        "/api/v1/campaigns",
        json={
            "slug": slug,
            "title": "Accra beaches",
            "kind": "litter",
            "area": "GH-AA",
            "start": iso(now - timedelta(days=1)),
            "end": iso(now + timedelta(days=1)),
        },
        headers=keys["planner"],
    )
    assert made.status_code == 201, made.text
    inside = client.post("/api/v1/effort", json=visit(campaign=slug)).json()
    assert inside["properties"]["campaign"] == slug and inside["properties"]["quality"] == []
    north = client.post("/api/v1/effort", json=visit([-0.8393, 9.4075], campaign=slug)).json()
    assert north["properties"]["quality"] == ["outside_campaign"]
    unknown = client.post("/api/v1/effort", json=visit(campaign="no-such-walk")).json()
    assert unknown["properties"]["quality"] == ["unknown_campaign"]


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        ({"properties": {"ended_at": "2020-01-01T00:00:00Z"}}, ["properties", "ended_at"]),
        ({"properties": {"ended_at": "2999-01-01T00:00:00Z"}}, ["properties", "ended_at"]),
        ({"properties": {"kind": "weather"}}, ["properties", "kind"]),
        ({"geometry": {"type": "Point", "coordinates": [0, 0]}}, ["geometry", "Point"]),
        ({"geometry": {"type": "Polygon", "coordinates": []}}, ["geometry"]),
        ({"geometry": {"type": "LineString", "coordinates": [[-0.2, 5.5]]}}, None),
        (
            {"geometry": {"type": "LineString", "coordinates": [[-0.2, 5.5], [-0.2, 6.5]]}},
            ["geometry", "coordinates"],
        ),
    ],
    ids=["ends-before-start", "future", "kind", "no-fix", "polygon", "one-point", "too-long"],
)
def test_a_visit_that_breaks_a_rule_gets_a_problem(client, change, loc):
    body = visit()
    body["properties"].update(change.get("properties", {}))
    body["geometry"] = change.get("geometry", body["geometry"])
    response = client.post("/api/v1/effort", json=body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    if loc is not None:
        assert any(e["loc"][: len(loc)] == loc for e in response.json()["errors"])


def test_effort_cells_are_placed_again_when_boundaries_change(client, engine, settings):
    from mapping.areas.index import AreaIndexCache
    from mapping.reports import effort

    campaign, threshold = _campaign(), settings.suppression_threshold
    for _ in range(threshold):
        client.post("/api/v1/effort", json=visit(campaign=campaign))
    with engine.begin() as conn:  # as if stored before the boundaries were imported
        conn.exec_driver_sql("UPDATE effort_cells SET area_1 = NULL")

    def accra() -> Any:
        areas = client.get(
            "/api/v1/aggregates/areas", params={"level": 1, "campaign": campaign}
        ).json()["features"]
        return next(f["properties"]["effort"] for f in areas if f["properties"]["code"] == "GH-AA")

    assert accra() == 0
    placed = effort.reassign_areas(engine, AreaIndexCache(engine).current(), visits_per_batch=7)
    assert placed >= threshold
    assert accra() == threshold
