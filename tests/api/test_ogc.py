"""OGC API - Features at /ogc: landing page, conformance, collections, items and paging."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import make_report

GEOJSON = "application/geo+json"


@pytest.fixture(scope="module", autouse=True)
def data(client, keys, ghana_regions):  # type: ignore[no-untyped-def]
    features = [
        make_report(
            ("service", "litter", "hotspot")[i % 3],
            lon=-0.2 + i * 0.003,
            lat=5.6 + i * 0.002,
            sensitive=i == 1,
            observed_at=f"2025-03-{1 + i % 28:02d}T10:00:00Z",
        )
        for i in range(23)
    ]
    body = {"type": "FeatureCollection", "features": features}
    result = client.post("/api/v1/reports/batch", json=body, headers=keys["volunteer"]).json()
    assert result["created"] == 23


def _json(client, path: str, **params: Any) -> Any:  # type: ignore[no-untyped-def]
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def _all_items(client, collection: str, **params: Any) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    """Every feature, following `next` links as a client does."""
    page = client.get(f"/ogc/collections/{collection}/items", params=params)
    features = []
    while True:
        assert page.status_code == 200, page.text
        assert page.headers["content-type"].startswith(GEOJSON)
        body = page.json()
        assert body["numberReturned"] == len(body["features"])
        features += body["features"]
        following = [link["href"] for link in body["links"] if link["rel"] == "next"]
        if not following:
            return features
        page = client.get(following[0])


def test_landing_page_and_conformance_link_to_everything(client):
    landing = _json(client, "/ogc")
    rels = {link["rel"]: link for link in landing["links"]}
    assert {"self", "service-desc", "service-doc", "conformance", "data"} <= set(rels)
    assert rels["data"]["href"].endswith("/ogc/collections")
    classes = _json(client, "/ogc/conformance")["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core" in classes
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson" in classes


def test_collections_have_extents_and_item_links(client, settings):
    collections = _json(client, "/ogc/collections")["collections"]
    ids = [c["id"] for c in collections]
    assert ids == ["reports", "areas", *(f"hexes-r{r}" for r in settings.ogc_hex_resolutions)]
    for collection in collections:
        bbox = collection["extent"]["spatial"]["bbox"][0]
        assert bbox[0] <= bbox[2] and bbox[1] <= bbox[3]
        items = [link for link in collection["links"] if link["rel"] == "items"]
        assert items and items[0]["type"] == GEOJSON
        assert _json(client, f"/ogc/collections/{collection['id']}")["id"] == collection["id"]
    reports = collections[0]
    assert reports["extent"]["temporal"]["interval"][0][0].startswith("2025-03-01")
    assert -3.5 < reports["extent"]["spatial"]["bbox"][0][0] < 1.5


def test_paging_by_next_links_reads_every_report_once(client):
    everything = _all_items(client, "reports", limit=5)
    public = _json(client, "/api/v1/reports", limit=10000)["features"]
    assert sorted(f["id"] for f in everything) == sorted(f["id"] for f in public)
    first = _json(client, "/ogc/collections/reports/items", limit=5)
    assert first["numberMatched"] == len(public) and first["numberReturned"] == 5


def test_sensitive_reports_are_shown_as_the_public_sees_them(client, keys):
    planner = _json(client, "/api/v1/reports", limit=10000)  # the public listing
    sensitive = [f for f in planner["features"] if f["properties"]["sensitive"]]
    ogc_items = {f["id"]: f for f in _all_items(client, "reports")}
    for feature in sensitive:
        assert ogc_items[feature["id"]]["geometry"] == feature["geometry"]
        assert ogc_items[feature["id"]]["properties"]["location_generalised_to"]
    # A key that sees exact points elsewhere gets the public view here too.
    one = sensitive[0]["id"]
    with_key = client.get(f"/ogc/collections/reports/items/{one}", headers=keys["planner"])
    assert with_key.json()["geometry"] == sensitive[0]["geometry"]


def test_bbox_selects_items(client, settings):
    boxed = _all_items(client, "reports", bbox="-0.21,5.59,-0.185,5.61")
    assert boxed and all(-0.21 <= f["geometry"]["coordinates"][0] <= -0.185 for f in boxed)
    areas = _all_items(client, "areas", bbox="-0.21,5.59,-0.185,5.61")
    assert [f["id"] for f in areas] == ["GH-AA"]


def test_datetime_selects_items(client):
    march_3 = _all_items(client, "reports", datetime="2025-03-03T10:00:00Z")
    assert march_3 and all(f["properties"]["observed_at"].startswith("2025-03-03") for f in march_3)
    # The sensitive report of 2 March is public on its day only, not at its time.
    assert _all_items(client, "reports", datetime="2025-03-02T10:00:00Z") == []
    on_the_day = _all_items(client, "reports", datetime="2025-03-02T00:00:00Z")
    assert [f["properties"]["sensitive"] for f in on_the_day] == [True]
    interval = _all_items(client, "reports", datetime="2025-03-01T00:00:00Z/2025-03-03T00:00:00Z")
    assert {f["properties"]["observed_at"][:10] for f in interval} == {"2025-03-01", "2025-03-02"}
    assert _all_items(client, "reports", datetime="../1999-01-01T00:00:00Z") == []
    bad = client.get("/ogc/collections/reports/items", params={"datetime": "yesterday"})
    assert bad.status_code == 400


def test_areas_and_hexagons_page_and_are_found_one_by_one(client, settings):
    areas = _all_items(client, "areas", limit=5)
    assert len(areas) == 16 and {f["id"] for f in areas} >= {"GH-AA", "GH-NP"}
    accra = _json(client, "/ogc/collections/areas/items/GH-AA")
    assert accra["properties"]["name"] == "Greater Accra Region"
    for r in settings.ogc_hex_resolutions:
        hexes = _all_items(client, f"hexes-r{r}", limit=2)
        assert hexes and all(f["properties"]["resolution"] == r for f in hexes)
        one = _json(client, f"/ogc/collections/hexes-r{r}/items/{hexes[0]['id']}")
        assert one["properties"] == hexes[0]["properties"]


def test_missing_things_are_404_and_a_large_limit_is_capped(client, settings):
    assert client.get("/ogc/collections/nothing").status_code == 404
    assert client.get("/ogc/collections/reports/items/not-a-uuid").status_code == 404
    assert client.get("/ogc/collections/hexes-r4/items/8928308280fffff").status_code == 404
    page = _json(client, "/ogc/collections/areas/items", limit=settings.page_limit_max + 5)
    assert page["numberReturned"] == 16
