"""OGC API - Features Core as a client reads it: every JSON number form in a bbox, 6-number
boxes, unknown parameters refused, offset paging on every collection, hexagons selected by the
box they meet, and a conformance list that matches the OpenAPI document."""

from __future__ import annotations

import re
from typing import Any

import h3
import pytest
import shapely
from ogcapi_registry import (
    SpecificationType,
    parse_conformance_classes,
    validate_conformance,
    validate_ogc_api,
    validate_openapi_structure,
    validate_openapi_with_pydantic,
)

from api.params import BBOX_PATTERN
from tests.conftest import make_report

ITEMS = "/ogc/collections/{}/items"
INSIDE_ONE_HEXAGON = "8475769ffffffff"  # resolution 4, over Accra
# Reports either side of the Greenwich meridian, some in that hexagon, none in the box below.
POINTS = [(-0.31, 5.55), (-0.2, 5.6), (-0.05, 5.62), (-0.004, 5.61), (0.003, 5.64), (0.05, 5.66)]
POINTS += [(-0.6 + 0.03 * i, 5.5 + 0.02 * i) for i in range(14)]


@pytest.fixture(scope="module", autouse=True)
def data(client, keys, ghana_regions):  # type: ignore[no-untyped-def]
    features = [
        make_report(("service", "litter", "hotspot")[i % 3], lon=lon, lat=lat)
        for i, (lon, lat) in enumerate(POINTS)
    ]
    body = {"type": "FeatureCollection", "features": features}
    result = client.post("/api/v1/reports/batch", json=body, headers=keys["volunteer"]).json()
    assert result["created"] == len(POINTS)


def _get(client, path: str, **params: Any) -> Any:  # type: ignore[no-untyped-def]
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def _problem(client, path: str, **params: Any) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    response = client.get(path, params=params)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    return response.json()  # type: ignore[no-any-return]


# GDAL writes box edges near 0 degrees with exponents; -0 and 6-number boxes are JSON too.
ACCEPTED = [
    "-0.12,5.5,1.00000000000000008e-05,5.70000000000000018",
    "-1.2E-1,5.5,1e-5,5.7",
    "-0,5.5,0.1,5.7",
    "-0.12,5.5,-10,1e-05,5.7,100",
]


@pytest.mark.parametrize("bbox", ACCEPTED)
def test_every_json_number_form_and_six_numbers_are_a_bbox(client, bbox):
    numbers = [float(n) for n in bbox.split(",")]
    corners = numbers if len(numbers) == 4 else [*numbers[:2], *numbers[3:5]]
    reports = _get(client, ITEMS.format("reports"), bbox=bbox)["features"]
    assert reports
    for feature in reports:
        lon, lat = feature["geometry"]["coordinates"]
        assert corners[0] <= lon <= corners[2] and corners[1] <= lat <= corners[3]
    listed = _get(client, "/api/v1/reports", bbox=bbox)["features"]
    assert {f["id"] for f in listed} == {f["id"] for f in reports}


@pytest.mark.parametrize(
    ("bbox", "named"),
    [
        ("+0.1,5.5,0.2,5.7", "'+0.1'"),
        (".1,5.5,0.2,5.7", "'.1'"),
        ("1.,5.5,2,5.7", "'1.'"),
        ("0.1,5.5,0.2", "not 3"),
        ("0.1,5.5,0,0.2,5.7", "not 5"),
        ("0,5.5,9,0.2,5.7,1", "height"),
        ("1e999,5.5,2,5.7", "finite"),
        ("nan,5.5,2,5.7", "'nan'"),
    ],
)
def test_a_bad_bbox_is_a_400_that_says_what_is_wrong(client, bbox, named):
    for path in (ITEMS.format("reports"), ITEMS.format("hexes-r4"), "/api/v1/reports"):
        problem = _problem(client, path, bbox=bbox)
        assert problem["errors"][0]["loc"] == ["query", "bbox"]
        assert named in problem["detail"]


def test_the_documented_bbox_pattern_is_what_is_accepted(client):
    spec = client.get("/openapi.json").json()
    for path in ("/api/v1/reports", "/ogc/collections/{collection_id}/items"):
        bbox = next(p for p in spec["paths"][path]["get"]["parameters"] if p["name"] == "bbox")
        assert bbox["schema"]["pattern"] == BBOX_PATTERN
    pattern = re.compile(BBOX_PATTERN)
    assert all(pattern.match(b) for b in ACCEPTED)
    for refused in ("+0.1,5.5,0.2,5.7", ".1,5.5,0.2,5.7", "0.1,5.5,0.2", "1,2,3,4,5"):
        assert not pattern.match(refused)


@pytest.mark.parametrize(
    ("path", "unknown"),
    [
        ("/ogc", {"service": "WFS"}),
        ("/ogc/conformance", {"version": "2"}),
        ("/ogc/collections", {"bbox": "0,0,1,1"}),
        ("/ogc/collections/reports", {"limit": "3"}),
        (ITEMS.format("reports"), {"sortby": "id", "skipGeometry": "true"}),
        (ITEMS.format("areas"), {"resolution": "4"}),
        (ITEMS.format("hexes-r4"), {"propertyName": "reports"}),
    ],
)
def test_unknown_parameters_are_a_400_that_names_them(client, path, unknown):
    problem = _problem(client, path, f="json", **unknown)
    for name in unknown:
        assert repr(name) in problem["detail"]
        assert ["query", name] in [e["loc"] for e in problem["errors"]]


def test_unknown_parameters_of_one_feature_are_a_400(client):
    one = _get(client, ITEMS.format("reports"), limit=1)["features"][0]["id"]
    problem = _problem(client, f"{ITEMS.format('reports')}/{one}", bbox="0,0,1,1")
    assert "'bbox'" in problem["detail"]


@pytest.mark.parametrize("collection", ["reports", "areas", "hexes-r6"])
def test_offset_pages_every_collection_with_next_and_prev(client, collection):
    everything = [f["id"] for f in _get(client, ITEMS.format(collection), limit=10000)["features"]]
    assert len(everything) > 6
    page = _get(client, ITEMS.format(collection), limit=3, offset=2)
    assert [f["id"] for f in page["features"]] == everything[2:5]
    assert page["numberMatched"] == len(everything)
    links = {link["rel"]: link["href"] for link in page["links"]}
    following = client.get(links["next"]).json()
    assert [f["id"] for f in following["features"]] == everything[5:8]
    previous = client.get(links["prev"]).json()
    assert [f["id"] for f in previous["features"]] == everything[0:3]
    assert "prev" not in {link["rel"] for link in previous["links"]}
    past = _get(client, ITEMS.format(collection), offset=len(everything))
    assert past["features"] == [] and "next" not in {link["rel"] for link in past["links"]}


def test_offset_is_bounded_and_not_mixed_with_a_cursor(client):
    assert _problem(client, ITEMS.format("reports"), offset=2**63)
    huge = _get(client, ITEMS.format("reports"), offset=2**63 - 1)
    assert huge["features"] == []
    cursor = next(
        link["href"]
        for link in _get(client, ITEMS.format("reports"), limit=2)["links"]
        if link["rel"] == "next"
    )
    assert client.get(cursor + "&offset=1").status_code == 400


def _outline(cell: str) -> shapely.Polygon:
    return shapely.Polygon([(lon, lat) for lat, lon in h3.cell_to_boundary(cell)])


@pytest.mark.parametrize("resolution", [4, 6, 8])
def test_hexagons_are_selected_by_the_box_they_meet(client, resolution):
    everywhere = {
        f["id"]: f for f in _get(client, ITEMS.format(f"hexes-r{resolution}"))["features"]
    }
    for bbox in ("-0.25,5.6,-0.24,5.61", "-0.12,5.5,1.00000000000000008e-05,5.70000000000000018"):
        box = shapely.box(*map(float, bbox.split(",")))
        expected = {cell for cell in everywhere if _outline(cell).intersects(box)}
        found = _get(client, ITEMS.format(f"hexes-r{resolution}"), bbox=bbox)["features"]
        assert {f["id"] for f in found} == expected
        # A hexagon's numbers are the same whatever box selects it.
        for feature in found:
            assert feature["properties"] == everywhere[feature["id"]]["properties"]
    inside = _get(client, ITEMS.format("hexes-r4"), bbox="-0.25,5.6,-0.24,5.61")["features"]
    assert [f["id"] for f in inside] == [INSIDE_ONE_HEXAGON]


def test_conformance_and_the_openapi_document_agree(client):
    spec = client.get("/openapi.json").json()
    declared = client.get("/ogc/conformance").json()["conformsTo"]
    assert spec["openapi"].startswith("3.1")
    # OGC API - Features Part 1 names a class for OpenAPI 3.0 only: claimed only for 3.0.
    assert not any(uri.endswith("/conf/oas30") for uri in declared)
    landing = client.get("/ogc").json()
    service_desc = next(link for link in landing["links"] if link["rel"] == "service-desc")
    assert service_desc["type"] == "application/vnd.oai.openapi+json;version=3.1"
    assert client.get(service_desc["href"]).json()["openapi"] == spec["openapi"]


def _ogc_part(spec: dict[str, Any]) -> dict[str, Any]:
    """The OGC API's operations as the validator expects them: at the root of the server that
    `/ogc` is (the validator knows no path prefix)."""
    paths = {
        path.removeprefix("/ogc") or "/": item
        for path, item in spec["paths"].items()
        if path == "/ogc" or path.startswith("/ogc/")
    }
    renamed = {
        p.replace("{collection_id}", "{collectionId}").replace("{feature_id}", "{featureId}"): i
        for p, i in paths.items()
    }
    return {**spec, "servers": [{"url": "/ogc"}], "paths": renamed}


def test_ogcapi_registry_finds_the_documents_valid(client):
    spec = client.get("/openapi.json").json()
    declared = client.get("/ogc/conformance").json()["conformsTo"]
    structure = validate_openapi_structure(spec)
    assert structure.is_valid, structure.errors
    assert structure.validated_against.spec_type == SpecificationType.OPENAPI_3_1
    pydantic = validate_openapi_with_pydantic(spec)
    assert pydantic.is_valid, pydantic.errors
    report = validate_conformance(declared)
    # Every Features class is one the standards define (its catalogue lacks CQL2's own).
    assert [uri for uri in report.unrecognised if "/ogcapi-features-" in uri] == []
    assert {"ogcapi-features-1", "ogcapi-features-2"} <= set(report.specifications)
    result = validate_ogc_api(_ogc_part(spec), parse_conformance_classes(declared))
    assert result.is_valid, result.errors
    # Warnings too (Part 2's `crs` and `bbox-crs`); its INFO notes ask for `filter` on the
    # single-feature path as well, which Part 3 does not define.
    assert [w for w in result.warnings if w["severity"] != "info"] == []
    # The landing page links the documents the validator read.
    rels = {link["rel"]: link for link in client.get("/ogc").json()["links"]}
    assert {"service-desc", "conformance", "data"} <= set(rels)
    assert client.get(rels["conformance"]["href"]).json()["conformsTo"] == declared
