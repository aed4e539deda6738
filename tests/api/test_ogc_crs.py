"""OGC API - Features Part 2 (CRS by reference): collections list their CRSs, items come in
the one asked for with its `Content-Crs`, and a bbox may be given in any of them."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import shapely
import shapely.geometry
from pyproj import Transformer

from tests.conftest import make_report

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG = "http://www.opengis.net/def/crs/EPSG/0/{}"
ITEMS = "/ogc/collections/{}/items"
ACCRA = (-0.187, 5.6037)
TAMALE = (-0.8393, 9.4008)


@pytest.fixture(scope="module", autouse=True)
def data(client, keys, ghana_regions):  # type: ignore[no-untyped-def]
    features = [
        make_report("service", lon=ACCRA[0], lat=ACCRA[1]),
        make_report("hotspot", lon=TAMALE[0], lat=TAMALE[1]),
        make_report("litter", lon=0.05, lat=5.65),
    ]
    body = {"type": "FeatureCollection", "features": features}
    result = client.post("/api/v1/reports/batch", json=body, headers=keys["volunteer"]).json()
    assert result["created"] == 3


def _get(client, path: str, **params: Any) -> Any:  # type: ignore[no-untyped-def]
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    return response


def _to(code: int) -> Transformer:
    return Transformer.from_crs("OGC:CRS84", f"EPSG:{code}")


def test_collections_list_the_crs_of_the_stored_areas(client):
    expected = [CRS84, *(EPSG.format(c) for c in (4326, 3857, 32630, 32631))]
    for collection in _get(client, "/ogc/collections").json()["collections"]:
        # Ghana lies across UTM zones 30 and 31 (the Greenwich meridian divides them).
        assert collection["crs"] == expected
        assert collection["storageCrs"] == CRS84
    assert _get(client, "/ogc/collections/reports").json()["crs"] == expected
    classes = _get(client, "/ogc/conformance").json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs" in classes


@pytest.mark.parametrize("code", [3857, 32630, 32631])
def test_reports_come_in_metres_when_asked(client, code):
    asked = EPSG.format(code)
    for crs in (asked, f"EPSG:{code}", f"[EPSG:{code}]"):
        response = _get(client, ITEMS.format("reports"), crs=crs, bbox="-0.2,5.6,-0.18,5.61")
        assert response.headers["content-crs"] == f"<{asked}>"
        (feature,) = response.json()["features"]
        x, y = feature["geometry"]["coordinates"]
        assert (x, y) == pytest.approx(_to(code).transform(*ACCRA), abs=0.01)
    one = _get(client, f"{ITEMS.format('reports')}/{feature['id']}", crs=asked)
    assert one.headers["content-crs"] == f"<{asked}>"
    assert one.json()["geometry"]["coordinates"] == pytest.approx([x, y], abs=0.01)


def test_epsg_4326_comes_latitude_first(client):
    response = _get(
        client, ITEMS.format("reports"), crs=EPSG.format(4326), bbox="-0.2,5.6,-0.18,5.61"
    )
    assert response.headers["content-crs"] == f"<{EPSG.format(4326)}>"
    assert response.json()["features"][0]["geometry"]["coordinates"] == pytest.approx(
        [ACCRA[1], ACCRA[0]]
    )
    plain = _get(client, ITEMS.format("reports"), bbox="-0.2,5.6,-0.18,5.61")
    assert plain.headers["content-crs"] == f"<{CRS84}>"
    assert plain.json()["features"][0]["geometry"]["coordinates"] == pytest.approx(list(ACCRA))


def _mercator(lonlat: np.ndarray) -> np.ndarray:
    return np.column_stack(_to(3857).transform(lonlat[:, 0], lonlat[:, 1]))


def test_hexagons_and_areas_are_reprojected_whole(client):
    for collection in ("hexes-r4", "areas"):
        lonlat = _get(client, ITEMS.format(collection), bbox="-0.2,5.6,-0.18,5.61").json()
        metres = _get(
            client, ITEMS.format(collection), bbox="-0.2,5.6,-0.18,5.61", crs=EPSG.format(3857)
        ).json()
        assert [f["id"] for f in metres["features"]] == [f["id"] for f in lonlat["features"]]
        for a, b in zip(lonlat["features"], metres["features"], strict=True):
            assert a["properties"] == b["properties"]
            expected = shapely.transform(shapely.geometry.shape(a["geometry"]), _mercator)
            assert shapely.geometry.shape(b["geometry"]).equals_exact(expected, 0.01)


@pytest.mark.parametrize(
    ("bbox_crs", "bbox"),
    [
        (EPSG.format(4326), "5.6,-0.2,5.61,-0.18"),  # latitude first
        (EPSG.format(3857), "-22264,624168,-20037,625280"),
        (EPSG.format(32630), "811000,619000,812500,621000"),
        (CRS84, "-0.2,5.6,-0.18,5.61"),
    ],
)
def test_a_bbox_may_come_in_any_offered_crs(client, bbox_crs, bbox):
    found = _get(client, ITEMS.format("reports"), bbox=bbox, **{"bbox-crs": bbox_crs}).json()
    assert [f["geometry"]["coordinates"] for f in found["features"]] == [list(ACCRA)]


@pytest.mark.parametrize("name", ["crs", "bbox-crs"])
def test_a_crs_not_offered_is_a_400_naming_the_offered_ones(client, name):
    for value in ("EPSG:2136", "http://www.opengis.net/def/crs/EPSG/0/27700", "metres"):
        response = client.get(ITEMS.format("reports"), params={name: value, "bbox": "0,5,1,6"})
        assert response.status_code == 400, response.text
        problem = response.json()
        assert problem["errors"][0]["loc"] == ["query", name]
        assert EPSG.format(3857) in problem["detail"] and CRS84 in problem["detail"]
    one = client.get(f"{ITEMS.format('areas')}/GH-AA", params={"crs": "EPSG:2136"})
    assert one.status_code == 400


def test_a_bbox_in_4326_is_checked_as_latitudes_and_longitudes(client):
    response = client.get(
        ITEMS.format("reports"), params={"bbox": "95,-0.2,96,-0.18", "bbox-crs": EPSG.format(4326)}
    )
    assert response.status_code == 400
    assert "latitudes" in response.json()["detail"]
