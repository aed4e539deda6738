"""A sensitive report's public columns, fixed at ingest, are all any public answer reads.

Each test stores two worlds that differ only in where, inside one public cell, a sensitive
report's exact point is (or whether a sensitive report is there at all), and asks what an
anonymous caller may ask: the answers must not differ.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import h3
import pytest

from mapping.areas.index import AreaIndexCache
from mapping.reports import ingest
from tests.conftest import make_report
from tests.mapping.disclosure.test_publish import _straddling_rows

OBSERVED = "2026-03-04T10:17:23Z"


def _post(client, headers, **kw):  # type: ignore[no-untyped-def]
    response = client.post("/api/v1/reports", json=make_report(**kw), headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def _public(client, report_id):  # type: ignore[no-untyped-def]
    return client.get(f"/api/v1/reports/{report_id}").json()


def _straddling_points() -> tuple[tuple[float, float], tuple[float, float]]:
    one, other = _straddling_rows()
    return (one["lon"], one["lat"]), (other["lon"], other["lat"])


def test_a_sensitive_reports_areas_are_its_public_cells(client, keys, ghana_regions):
    """Two sensitive reports in one cell on the Greater Accra / Central border, one on either
    side, are public in the same areas, and `?area=` and the area counts cannot tell them."""
    (lon_a, lat_a), (lon_c, lat_c) = _straddling_points()
    category = f"c{uuid.uuid4().hex[:6]}"
    kw = {"kind": "hotspot", "sensitive": True, "observed_at": OBSERVED, "description": category}
    in_accra = _post(client, keys["volunteer"], lon=lon_a, lat=lat_a, **kw)
    in_central = _post(client, keys["volunteer"], lon=lon_c, lat=lat_c, **kw)
    first, second = _public(client, in_accra["id"]), _public(client, in_central["id"])
    assert first["geometry"] == second["geometry"]
    assert first["properties"]["areas"] == second["properties"]["areas"]
    assert first["properties"]["quality"] == second["properties"]["quality"]
    for code in ("GH-AA", "GH-CP"):
        listed = client.get(f"/api/v1/reports?area={code}&kind=hotspot&limit=10000").json()
        ids = {f["id"] for f in listed["features"]}
        assert (in_accra["id"] in ids) == (in_central["id"] in ids), code
    # A moderator still sees where each one is.
    exact = client.get(f"/api/v1/reports/{in_accra['id']}", headers=keys["moderator"]).json()
    assert exact["properties"]["areas"]["1"] == "GH-AA"
    exact = client.get(f"/api/v1/reports/{in_central['id']}", headers=keys["moderator"]).json()
    assert exact["properties"]["areas"]["1"] == "GH-CP"


def test_a_probe_near_a_sensitive_report_is_not_flagged(client, keys):
    """`possible_duplicate` on the sender's own probe must not say that a sensitive report
    lies within 50 m of it; near a public report it does (the flag still works)."""
    lon, lat = -1.2412, 6.1187
    kw = {"kind": "hotspot", "observed_at": OBSERVED}
    _post(client, keys["volunteer"], lon=lon, lat=lat, sensitive=True, **kw)
    probe = _post(client, None, lon=lon + 0.0002, lat=lat, **kw)
    assert "possible_duplicate" not in probe["properties"]["quality"]
    lon2 = lon + 0.05
    _post(client, keys["volunteer"], lon=lon2, lat=lat, **kw)
    control = _post(client, None, lon=lon2 + 0.0002, lat=lat, **kw)
    assert "possible_duplicate" in control["properties"]["quality"]


def test_tiny_boxes_and_paging_see_only_the_public_centre(client, keys):
    """A box around the exact point finds nothing, and leaves no `next` link behind; a box
    around the public centre finds the report."""
    lon, lat = -0.9871, 6.4412
    report = _post(
        client,
        keys["volunteer"],
        kind="hotspot",
        sensitive=True,
        lon=lon,
        lat=lat,
        observed_at=OBSERVED,
    )
    d = 0.00001
    around_point = f"{lon - d},{lat - d},{lon + d},{lat + d}"
    page = client.get(f"/api/v1/reports?bbox={around_point}&limit=1").json()
    assert page["features"] == []
    assert not [link for link in page["links"] if link["rel"] == "next"]
    ogc = client.get(f"/ogc/collections/reports/items?bbox={around_point}&limit=1").json()
    assert ogc["features"] == [] and ogc["numberMatched"] == 0
    csv = client.get(f"/api/v1/reports?bbox={around_point}&limit=1&f=csv")
    assert 'rel="next"' not in csv.headers.get("link", "")
    cx, cy = _public(client, report["id"])["geometry"]["coordinates"]
    around_centre = f"{cx - d},{cy - d},{cx + d},{cy + d}"
    found = client.get(f"/api/v1/reports?bbox={around_centre}&limit=10").json()
    assert report["id"] in {f["id"] for f in found["features"]}


def test_a_sensitive_reports_time_is_its_day(client, keys):
    """Public answers give the day; `since` and `until` at the second cannot narrow it."""
    report = _post(
        client,
        keys["volunteer"],
        kind="hotspot",
        sensitive=True,
        lon=-1.5,
        lat=6.9,
        observed_at=OBSERVED,
    )
    assert _public(client, report["id"])["properties"]["observed_at"] == "2026-03-04T00:00:00Z"
    around = "bbox=-1.6,6.8,-1.4,7.0&kind=hotspot&limit=1000"
    before = client.get(f"/api/v1/reports?{around}&until=2026-03-04T10:17:23Z").json()
    after = client.get(f"/api/v1/reports?{around}&until=2026-03-04T10:17:24Z").json()
    assert {f["id"] for f in before["features"]} == {f["id"] for f in after["features"]}
    moderator = client.get(f"/api/v1/reports/{report['id']}", headers=keys["moderator"]).json()
    assert moderator["properties"]["observed_at"] == OBSERVED
    # When it was sent is as telling as when it was seen: a volunteer sends from the spot.
    received = moderator["properties"]["received_at"]
    assert not received.endswith("T00:00:00Z")
    public = _public(client, report["id"])["properties"]["received_at"]
    assert public == received[:10] + "T00:00:00Z"


@pytest.mark.parametrize("resolution", [9, 8])
def test_campaign_progress_counts_a_sensitive_report_in_its_public_cell(client, keys, resolution):
    """Hexagons with reports, at a resolution finer than the public one, must not count a
    sensitive report in the hexagon of its exact point."""
    slug = f"p{uuid.uuid4().hex[:8]}"
    made = client.post(
        "/api/v1/campaigns",
        json={
            "slug": slug,
            "title": "Probe",
            "kind": "hotspot",
            "start": "2026-01-01T00:00:00Z",
            "end": "2026-12-31T00:00:00Z",
        },
        headers=keys["planner"],
    )
    assert made.status_code == 201, made.text
    base = {"kind": "hotspot", "campaign": slug, "observed_at": OBSERVED}
    _post(client, keys["volunteer"], lon=-2.0, lat=7.0, **base)
    before = client.get(f"/api/v1/campaigns/{slug}?resolution={resolution}").json()
    _post(client, keys["volunteer"], lon=-2.03, lat=7.02, sensitive=True, **base)
    after = client.get(f"/api/v1/campaigns/{slug}?resolution={resolution}").json()
    assert after["progress"]["reports"] == before["progress"]["reports"] + 1
    assert after["progress"]["hexes_with_reports"] == before["progress"]["hexes_with_reports"]


def test_a_new_public_resolution_moves_every_sensitive_report(client, keys, engine, settings):
    """Public columns follow the setting: placed again before the service answers (`civicmap
    serve` and every command run `republish_if_needed`)."""
    lon, lat = -1.8123, 6.6789
    report = _post(
        client,
        keys["volunteer"],
        kind="hotspot",
        sensitive=True,
        lon=lon,
        lat=lat,
        observed_at=OBSERVED,
    )
    index = AreaIndexCache(engine).current()
    ingest.republish_if_needed(engine, index, settings.public_h3_resolution)
    assert not ingest.republish_if_needed(engine, index, settings.public_h3_resolution)
    try:
        assert ingest.republish_if_needed(engine, index, 5)
        with engine.connect() as conn:
            cell = conn.exec_driver_sql(
                "SELECT public_h3 FROM reports WHERE id = ?"
                if engine.dialect.name == "sqlite"
                else "SELECT public_h3 FROM reports WHERE id = %s",
                (
                    uuid.UUID(report["id"]).hex
                    if engine.dialect.name == "sqlite"
                    else uuid.UUID(report["id"]),
                ),
            ).scalar_one()
        expected = h3.cell_to_parent(h3.latlng_to_cell(lat, lon, 15), 5)
        assert h3.cell_to_parent(h3.int_to_str(cell), 5) == expected
        lat5, lon5 = h3.cell_to_latlng(expected)
        assert h3.latlng_to_cell(lat5, lon5, 15) == h3.int_to_str(cell)
    finally:
        ingest.republish_if_needed(engine, index, settings.public_h3_resolution)
    assert datetime.now(UTC)  # the module's other tests go on at the setting's resolution


def test_duplicate_of_a_sensitive_report_is_not_published(client, keys):
    """A public report marked as the duplicate of a sensitive one would put the sensitive
    report's point on its own: the link is for moderators only."""
    kw = {"kind": "hotspot", "observed_at": OBSERVED}
    original = _post(client, keys["volunteer"], lon=-2.2, lat=6.2, sensitive=True, **kw)
    copy = _post(client, keys["volunteer"], lon=-2.2001, lat=6.2, **kw)
    change = {"status": "duplicate", "duplicate_of": original["id"], "note": "same flood"}
    url = f"/api/v1/reports/{copy['id']}"
    assert client.patch(url, json=change, headers=keys["moderator"]).status_code == 200
    assert _public(client, copy["id"])["properties"]["duplicate_of"] is None
    seen = client.get(url, headers=keys["moderator"]).json()
    assert seen["properties"]["duplicate_of"] == original["id"]


def test_status_pages_count_a_sensitive_report_in_its_public_area(client, keys, ghana_regions):
    """A reporter's status page shows the figures of their report's areas: a sensitive report
    nearby counts there where the area aggregates count it, never in the area of its exact
    point (subtracting one from the other would tell that area)."""
    (lon_a, lat_a), (lon_c, lat_c) = _straddling_points()
    kw = {"kind": "hotspot", "sensitive": True, "observed_at": OBSERVED}
    _post(client, keys["volunteer"], lon=lon_a, lat=lat_a, **kw)
    _post(client, keys["volunteer"], lon=lon_c, lat=lat_c, **kw)
    public = client.get("/api/v1/aggregates/areas", params={"level": 1}).json()
    by_code = {f["properties"]["code"]: f["properties"] for f in public["features"]}
    # Probes of the attacker's own, deep inside Greater Accra and Central, with receipts.
    for lon, lat in ((-0.19, 5.60), (-1.25, 5.10)):
        probe = _post(client, None, lon=lon, lat=lat, kind="service")
        status = client.get(
            f"/api/v1/reports/{probe['id']}/status", params={"receipt": probe["receipt"]}
        ).json()
        for area in status["areas"]:
            if area["level"] != 1:
                continue
            want = by_code[area["code"]]["hotspots"]
            assert area["hotspots"] == want, (area["code"], area["hotspots"], want)
