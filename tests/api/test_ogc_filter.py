"""OGC API - Features Part 3 at /ogc: queryables and schemas typed as JSON Schema, CQL2 text and
JSON filters and simple property filters, run on both backends, naming only public values."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import make_report

SCHEMA_JSON = "application/schema+json"
QUERYABLES_REL = "http://www.opengis.net/def/rel/ogc/1.0/queryables"
# A sensitive report, exactly here and then; the public sees its cell centre and its day.
SECRET_LON, SECRET_LAT = -0.1725, 5.6115
SECRET_AT = "2025-03-09T10:17:00Z"


@pytest.fixture(scope="module", autouse=True)
def data(client, keys, ghana_regions):  # type: ignore[no-untyped-def]
    features = []
    for i in range(24):
        kind = ("service", "litter", "hotspot")[i % 3]
        extra: dict[str, Any] = {}
        if kind == "hotspot":
            extra["attributes"] = {"severity": 1 + i % 5, "people_affected": 10 * i}
        if i % 4 == 0:
            extra["campaign"] = None
        features.append(
            make_report(
                kind,
                lon=-0.2 + i * 0.003,
                lat=5.6 + i * 0.002,
                observed_at=f"2025-03-{1 + i:02d}T08:00:00Z",
                description=f"Report {i} near Korle" if i % 2 else f"report {i}",
                **extra,
            )
        )
    features.append(
        make_report(
            "hotspot",
            lon=SECRET_LON,
            lat=SECRET_LAT,
            sensitive=True,
            observed_at=SECRET_AT,
            attributes={"severity": 5, "people_affected": 3},
        )
    )
    body = {"type": "FeatureCollection", "features": features}
    result = client.post("/api/v1/reports/batch", json=body, headers=keys["volunteer"]).json()
    assert result["created"] == 25


def _items(client, collection: str = "reports", **params: Any) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    """Every feature the filter selects, following `next` links, checking numberMatched."""
    page = client.get(f"/ogc/collections/{collection}/items", params={"limit": 7, **params})
    features: list[dict[str, Any]] = []
    matched = None
    while True:
        assert page.status_code == 200, page.text
        body = page.json()
        matched = body.get("numberMatched", matched)
        features += body["features"]
        following = [link["href"] for link in body["links"] if link["rel"] == "next"]
        if not following:
            break
        page = client.get(following[0])
    if matched is not None:
        assert matched == len(features)
    return features


def _ids(features: list[dict[str, Any]]) -> set[str]:
    return {f["id"] for f in features}


@pytest.fixture(scope="module")
def everything(client) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    return _items(client, limit=1000)


def _where(features: list[dict[str, Any]], test: Any) -> set[str]:
    return {f["id"] for f in features if test(f["properties"])}


def _problem(client, collection: str = "reports", **params: Any) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    response = client.get(f"/ogc/collections/{collection}/items", params=params)
    assert response.status_code == 400, (params, response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/problem+json")
    return response.json()


def test_every_collection_has_typed_queryables_and_schemas(client, settings):
    collections = client.get("/ogc/collections").json()["collections"]
    for collection in collections:
        links = {link["rel"]: link for link in collection["links"]}
        for rel in (QUERYABLES_REL, "describedBy"):
            assert links[rel]["type"] == SCHEMA_JSON
            document = client.get(links[rel]["href"])
            assert document.status_code == 200
            assert document.headers["content-type"].startswith(SCHEMA_JSON)
            schema = document.json()
            assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
            assert schema["$id"] == links[rel]["href"] and schema["type"] == "object"
    reports = client.get("/ogc/collections/reports/queryables").json()["properties"]
    assert reports["kind"]["enum"] == ["service", "litter", "hotspot"]
    assert reports["status"]["enum"] == ["pending", "verified", "duplicate"]
    assert "health_facility" in reports["category"]["enum"]
    assert reports["observed_at"] == {
        "title": "Observed at",
        "type": "string",
        "format": "date-time",
        "description": reports["observed_at"]["description"],
    }
    assert reports["geometry"]["format"] == "geometry-point"
    assert reports["severity"]["type"] == "integer"
    # Nothing that is not public, nor what describes only the exact point or the sender.
    assert not {"received_at", "accuracy_m", "reporter", "reporter_sex", "geom"} & set(reports)
    r = settings.ogc_hex_resolutions[0]
    hexes = client.get(f"/ogc/collections/hexes-r{r}/queryables").json()["properties"]
    assert hexes["items_per_100m"]["type"] == "number"
    assert hexes["reports"]["type"] == "integer" and hexes["suppressed"]["type"] == "boolean"
    assert hexes["geometry"]["format"] == "geometry-polygon"
    # What GDAL reads: a GeoJSON Feature schema with single types, numbers as numbers.
    feature = client.get(f"/ogc/collections/hexes-r{r}/feature-schema").json()
    fields = feature["properties"]["properties"]["properties"]
    assert fields["mean_satisfaction"]["type"] == "number" and fields["rated"]["type"] == "integer"
    part5 = client.get("/ogc/collections/reports/schema").json()["properties"]
    assert part5["received_at"]["format"] == "date-time" and part5["attributes"]["type"] == "object"
    assert client.get("/ogc/collections/nothing/queryables").status_code == 404


def test_conformance_claims_filtering(client):
    classes = client.get("/ogc/conformance").json()["conformsTo"]
    for name in ("queryables", "queryables-query-parameters", "filter", "features-filter"):
        assert f"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/{name}" in classes
    for name in ("cql2-text", "cql2-json", "basic-cql2", "basic-spatial-functions"):
        assert f"http://www.opengis.net/spec/cql2/1.0/conf/{name}" in classes


def test_cql2_text_and_json_and_property_filters_narrow_the_reports(client, everything):
    litter = _where(everything, lambda p: p["kind"] == "litter")
    assert 0 < len(litter) < len(everything)
    assert _ids(_items(client, filter="kind = 'litter'")) == litter
    as_json = {"op": "=", "args": [{"property": "kind"}, "litter"]}
    assert _ids(_items(client, **{"filter": json.dumps(as_json), "filter-lang": "cql2-json"})) == (
        litter
    )
    assert _ids(_items(client, kind="litter")) == litter  # as OWSLib sends it
    severe = _where(everything, lambda p: (p["attributes"].get("severity") or 0) >= 4)
    assert severe and _ids(_items(client, filter="severity >= 4 AND kind = 'hotspot'")) == severe
    both = _items(client, kind="hotspot", filter="severity BETWEEN 2 AND 3")
    assert _ids(both) == _where(
        everything, lambda p: p["kind"] == "hotspot" and 2 <= p["attributes"]["severity"] <= 3
    )
    between = {"op": "between", "args": [{"property": "severity"}, 2, 3]}
    assert _ids(
        _items(
            client, kind="hotspot", **{"filter": json.dumps(between), "filter-lang": "cql2-json"}
        )
    ) == _ids(both)


def test_comparison_text_time_and_null_predicates(client, everything):
    def ids(text: str) -> set[str]:
        return _ids(_items(client, filter=text))

    assert ids("kind IN ('litter', 'service')") == _where(
        everything, lambda p: p["kind"] != "hotspot"
    )
    # LIKE is case-sensitive, on both backends.
    assert ids("description LIKE 'Report%'") == _where(
        everything, lambda p: (p["description"] or "").startswith("Report")
    )
    assert ids("description LIKE '_eport 1_ near Korle'") == _where(
        everything,
        lambda p: (p["description"] or "") in {f"Report {i} near Korle" for i in range(10, 20)},
    )
    assert ids("campaign IS NULL") == _where(everything, lambda p: p["campaign"] is None)
    assert ids("NOT (kind <> 'service')") == _where(everything, lambda p: p["kind"] == "service")
    after = ids("observed_at >= TIMESTAMP('2025-03-20T00:00:00Z')")
    assert after == _where(everything, lambda p: p["observed_at"] >= "2025-03-20")
    assert ids("observed_at >= '2025-03-20T00:00:00Z'") == after  # GDAL quotes times
    assert ids("observed_at < DATE('2025-03-03')") == _where(
        everything, lambda p: p["observed_at"] < "2025-03-03"
    )
    assert ids("1 = 1 AND sensitive = false") == _where(everything, lambda p: not p["sensitive"])


def test_s_intersects_selects_by_public_position(client, everything):
    def inside(x0: float, y0: float, x1: float, y1: float) -> set[str]:
        return _where_geometry(everything, lambda x, y: x0 <= x <= x1 and y0 <= y <= y1)

    box = _ids(
        _items(client, filter="S_INTERSECTS(geometry, BBOX(-0.2005, 5.5995, -0.1705, 5.6195))")
    )
    assert box == inside(-0.2005, 5.5995, -0.1705, 5.6195) and len(box) >= 10
    triangle = "POLYGON((-0.21 5.59, -0.1 5.59, -0.21 5.7, -0.21 5.59))"
    found = _ids(_items(client, filter=f"S_INTERSECTS(geometry, {triangle})"))
    assert found == _where_geometry(
        everything, lambda x, y: x >= -0.21 and y >= 5.59 and (x + 0.21) + (y - 5.59) <= 0.11
    )
    as_json = {
        "op": "s_intersects",
        "args": [{"property": "geometry"}, {"bbox": [-0.2005, 5.5995, -0.1705, 5.6195]}],
    }
    assert (
        _ids(_items(client, **{"filter": json.dumps(as_json), "filter-lang": "cql2-json"})) == box
    )
    # The same box in EPSG:4326 (lat/lon) and in Web Mercator metres.
    lat_lon = "S_INTERSECTS(geometry, BBOX(5.5995, -0.2005, 5.6195, -0.1705))"
    assert _ids(_items(client, filter=lat_lon, **{"filter-crs": "EPSG:4326"})) == box
    metres = "S_INTERSECTS(geometry, BBOX(-22319.6, 624328.1, -18980.0, 626565.2))"
    assert _ids(_items(client, filter=metres, **{"filter-crs": "EPSG:3857"})) == box


def _around(lon: float, lat: float, d: float) -> str:
    return f"S_INTERSECTS(geometry, BBOX({lon - d}, {lat - d}, {lon + d}, {lat + d}))"


def _where_geometry(features: list[dict[str, Any]], test: Any) -> set[str]:
    return {f["id"] for f in features if test(*f["geometry"]["coordinates"])}


def test_a_filter_learns_nothing_of_a_sensitive_reports_point_or_time(client, everything):
    (secret,) = [f for f in everything if f["properties"]["sensitive"]]
    centre_lon, centre_lat = secret["geometry"]["coordinates"]
    assert (centre_lon, centre_lat) != (SECRET_LON, SECRET_LAT)
    tight = _around(SECRET_LON, SECRET_LAT, 1e-4)
    assert secret["id"] not in _ids(_items(client, filter=tight))
    assert secret["id"] in _ids(_items(client, filter=_around(centre_lon, centre_lat, 1e-4)))
    at_the_time = f"observed_at = TIMESTAMP('{SECRET_AT}')"
    assert secret["id"] not in _ids(_items(client, filter=at_the_time))
    assert secret["id"] in _ids(
        _items(client, filter="observed_at = TIMESTAMP('2025-03-09T00:00:00Z')")
    )
    for hidden in ("received_at", "accuracy_m", "reporter_sex", "geom", "public_geom", "submitter"):
        problem = _problem(client, filter=f"{hidden} IS NULL")
        assert hidden in problem["detail"] and "queryable" in problem["detail"]


@pytest.mark.parametrize(
    "params",
    [
        {"filter": "kind = "},
        {"filter": "kind = 'litter' AND"},
        {"filter": "nothing = 1"},
        {"filter": "kind = 3"},
        {"filter": "severity = 'high'"},
        {"filter": "severity + 1 > 2"},
        {"filter": "CASEI(kind) = 'litter'"},
        {"filter": "kind = 'rubbish'"},
        {"filter": "S_INTERSECTS(kind, BBOX(0, 0, 1, 1))"},
        {"filter": "S_INTERSECTS(geometry, BBOX(0, 0, 500, 1))"},
        {"filter": "observed_at > TIMESTAMP('yesterday')"},
        {"filter": "observed_at > '2025-03-01'"},
        {"filter": "sensitive > true"},
        {"filter": "kind = severity"},
        {"filter": "NOT " * 3000 + "kind = 'litter'"},
        {"filter": "x" * 30_000},
        {"filter": ""},
        {"filter": "{", "filter-lang": "cql2-json"},
        {"filter": "[1, 2]", "filter-lang": "cql2-json"},
        {"filter": '{"op": "=", "args": []}', "filter-lang": "cql2-json"},
        {"filter": '{"op": "nope", "args": [1]}', "filter-lang": "cql2-json"},
        {
            "filter": '{"op": "s_intersects", "args": [{"property": "geometry"}, {"bbox": [1]}]}',
            "filter-lang": "cql2-json",
        },
        {"filter": "kind = 'litter'", "filter-lang": "ecql"},
        {"filter": "kind = 'litter'", "filter-crs": "EPSG:2000"},
        {"kind": "rubbish"},
        {"severity": "high"},
        {"sensitive": "maybe"},
    ],
)
def test_bad_filters_are_400_problems_that_say_what_to_fix(client, params):
    problem = _problem(client, **params)
    assert problem["errors"] and problem["errors"][0]["loc"][0] == "query"


def test_area_and_hexagon_filters_select_among_published_values(client, settings):
    areas = _items(client, "areas", filter="name LIKE 'Greater%'")
    assert [f["id"] for f in areas] == ["GH-AA"]
    assert len(_items(client, "areas", level="1")) == 16
    r = settings.ogc_hex_resolutions[-1]
    hexes = _items(client, f"hexes-r{r}", limit=1000)
    busy = {f["id"] for f in hexes if f["properties"]["reports"] >= 2}
    assert busy and busy != {f["id"] for f in hexes}
    assert _ids(_items(client, f"hexes-r{r}", filter="reports >= 2")) == busy
    null_share = {f["id"] for f in hexes if f["properties"]["satisfied_share"] is None}
    assert _ids(_items(client, f"hexes-r{r}", filter="satisfied_share IS NULL")) == null_share
    # A null is unknown, as in SQL: neither it nor its negation selects it.
    assert (
        not _ids(_items(client, f"hexes-r{r}", filter="NOT (satisfied_share > 0.5)")) & null_share
    )
    assert _problem(client, f"hexes-r{r}", filter="kind = 'litter'")["errors"]
