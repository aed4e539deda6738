"""Downloads of every FeatureCollection as GeoJSON, CSV, GeoPackage and KML, read back by GDAL
(pyogrio and ogr2ogr), on both backends; privacy of exact-location exports; flat memory."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import tracemalloc
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyogrio
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.downloads import collection_routes
from mapping.disclosure.publish import View
from mapping.export import Download, export_chunks
from mapping.export.reports import ReportPages
from mapping.export.table import unflatten
from mapping.storage import report_pages
from mapping.storage.reports import ReportQuery
from tests.conftest import make_report
from tests.rows import insert_fake

FORMATS = ("geojson", "csv", "gpkg", "kml")
# Query parameters each collection endpoint needs; a new endpoint fails the first test until
# it is listed here (so it is tried in every format).
REQUIRED: dict[str, dict[str, Any]] = {
    "/api/v1/reports": {},
    "/api/v1/areas": {"level": 1},
    "/api/v1/aggregates/hexes": {"resolution": 6},
    "/api/v1/aggregates/areas": {"level": 1},
    "/api/v1/coverage": {"category": "health_facility", "resolution": 5, "max_distance_m": 5000},
    "/api/v1/facilities": {"category": "health_facility"},
    "/api/v1/facilities/missing": {"category": "health_facility"},
    "/api/v1/coverage/areas": {
        "category": "health_facility",
        "level": 1,
        "resolution": 5,
        "max_distance_m": 5000,
    },
    "/api/v1/hotspots": {"resolution": 6},
    "/api/v1/beaches": {},
    # No form here: 404 in every format (tests/api/test_forms.py downloads one).
    "/api/v1/forms/{form_id}/responses": {},
    "/api/v1/forms/{form_id}/aggregates": {"resolution": 5},
}


@pytest.fixture(scope="module", autouse=True)
def data(client, keys, ghana_regions):  # type: ignore[no-untyped-def]
    features = []
    for i in range(30):
        kind = ("service", "litter", "hotspot")[i % 3]
        extra: dict[str, Any] = {"campaign": "dl", "description": f"report {i}"}
        if kind == "service":
            extra["attributes"] = {
                "name": '=HYPERLINK("x")' if i == 0 else f"Clinic {i}",
                "status": "operational",
                "satisfaction": 1 + i % 4,
                "aspects": {"access": 2, "courtesy": 4},
            }
        features.append(
            make_report(
                kind, lon=-0.19 + i * 0.002, lat=5.60 + i * 0.001, sensitive=i == 4, **extra
            )
        )
    result = client.post(
        "/api/v1/reports/batch",
        json={"type": "FeatureCollection", "features": features},
        headers=keys["volunteer"],
    ).json()
    assert result["created"] == 30, result


def _get(client, path: str, fmt: str | None = None, headers=None, **query: Any):  # type: ignore[no-untyped-def]
    params = {**query, **({"format": fmt} if fmt else {})}
    response = client.get(path, params=params, headers=headers or {})
    assert response.status_code == 200, response.text
    return response


def _features(client, headers=None) -> dict[str, dict[str, Any]]:  # type: ignore[no-untyped-def]
    geojson = _get(client, "/api/v1/reports", "geojson", headers, campaign="dl").json()
    return {f["id"]: f for f in geojson["features"]}


def test_every_collection_endpoint_downloads_in_every_format(client):
    paths = sorted(path for path, _ in collection_routes(client.app.routes))
    assert set(paths) <= set(REQUIRED), f"list the parameters of {set(paths) - set(REQUIRED)}"
    assert "/api/v1/reports" in paths and "/api/v1/aggregates/hexes" in paths
    for path in paths:
        for fmt in FORMATS:
            response = client.get(path, params={**REQUIRED[path], "f": fmt})
            if response.status_code != 200:  # the endpoint's own conditions, not the format
                plain = client.get(path, params=REQUIRED[path])
                assert plain.status_code == response.status_code, (path, fmt, response.text)
                continue
            disposition = response.headers["content-disposition"]
            assert disposition.startswith("attachment; filename=") and f".{fmt}" in disposition
            assert response.headers["x-civicmap-license"]
            assert json.loads(response.headers["x-civicmap-filters"]) is not None
            assert response.content, (path, fmt)


def test_downloads_are_documented_in_openapi(client):
    spec = client.get("/openapi.json").json()
    operation = spec["paths"]["/api/v1/aggregates/hexes"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert {"format", "f"} <= names
    assert "application/geopackage+sqlite3" in operation["responses"]["200"]["content"]


def test_an_unknown_format_is_a_400_naming_the_choices(client):
    response = client.get("/api/v1/reports", params={"format": "xls"})
    assert response.status_code == 400
    assert "gpkg" in response.json()["detail"]


def _normal(properties: dict[str, Any]) -> dict[str, Any]:
    """Properties as a table keeps them: a null and a missing member look the same there, and
    so do an empty object and none."""
    flat_tree = json.loads(json.dumps(properties))

    def prune(value: Any) -> Any:
        if isinstance(value, dict):
            pruned = {k: prune(v) for k, v in value.items() if v is not None}
            return {k: v for k, v in pruned.items() if v != {}}
        if isinstance(value, str) and re.fullmatch(r"\d{4}-\d\d-\d\dT[\d:.]+Z", value):
            return _millisecond(value)
        return value

    return prune(flat_tree)  # type: ignore[no-any-return]


def _read(path: Path, **kw: Any) -> list[dict[str, Any]]:
    """Features of a file as GDAL reads them (pyogrio), properties unflattened."""
    frame = pyogrio.read_dataframe(path, **kw)
    rows = []
    for record in frame.to_dict("records"):
        geometry = record.pop("geometry", None)
        flat = {k: (None if _missing(v) else _plain(v)) for k, v in record.items()}
        rows.append({"geometry": geometry, "flat": flat})
    return rows


def _missing(value: Any) -> bool:
    try:
        return bool(value != value)  # NaN
    except (TypeError, ValueError):
        return value is None


def _plain(value: Any) -> Any:
    if hasattr(value, "to_pydatetime"):  # a GeoPackage DateTime
        return value.to_pydatetime().astimezone(UTC).isoformat().replace("+00:00", "Z")
    return value.item() if hasattr(value, "item") else value


def _millisecond(text: str) -> str:
    """An RFC 3339 UTC time to the nearest millisecond, as fine as GDAL holds a DateTime."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00")) + timedelta(microseconds=500)
    return moment.isoformat(timespec="milliseconds")


def test_geopackage_round_trip_keeps_every_attribute(client, tmp_path):
    expected = _features(client)
    content = _get(client, "/api/v1/reports", "gpkg", campaign="dl").content
    path = tmp_path / "reports.gpkg"
    path.write_bytes(content)
    meta = pyogrio.read_info(path)["layer_metadata"]
    assert meta["license"] and meta["method"] and json.loads(meta["filters"]) == {"campaign": "dl"}
    lists = json.loads(meta["list_columns"])
    assert "quality" in lists
    rows = _read(path)
    assert len(rows) == len(expected) == 30
    for row in rows:
        flat = row["flat"]
        feature = expected[flat.pop("id")]
        got = _normal(unflatten(flat, lists=lists))
        want = _normal(feature["properties"])
        assert got == want
        assert list(row["geometry"].coords[0]) == pytest.approx(feature["geometry"]["coordinates"])


def test_csv_and_kml_keep_every_attribute_as_gdal_reads_them(client, tmp_path):
    expected = _features(client)
    for fmt in ("csv", "kml"):
        path = tmp_path / f"reports.{fmt}"
        path.write_bytes(_get(client, "/api/v1/reports", fmt, campaign="dl").content)
        rows = _read(path)
        assert len(rows) == 30, fmt
        for row in rows:
            flat = row["flat"]
            ident = flat.pop("id", None) or flat.pop("Name")
            feature = expected[ident]
            for name, value in _flat(feature["properties"]).items():
                if value is None:
                    continue
                got = flat[name]
                if isinstance(value, bool):
                    assert str(got).lower() in (str(value).lower(), str(int(value))), (fmt, name)
                elif isinstance(value, int | float):
                    assert float(got) == value, (fmt, name)  # pandas reads int columns with
                else:  # gaps as floats
                    assert str(got).removeprefix("'") == str(value), (fmt, name)
            assert row["geometry"].x == pytest.approx(feature["geometry"]["coordinates"][0])


def _flat(properties: dict[str, Any]) -> dict[str, Any]:
    from mapping.export.table import flatten

    return flatten(properties)


@pytest.mark.skipif(shutil.which("ogr2ogr") is None, reason="needs GDAL's ogr2ogr")
def test_ogr2ogr_converts_the_download_to_geojson_and_back(client, tmp_path):
    expected = _features(client)
    gpkg = tmp_path / "reports.gpkg"
    gpkg.write_bytes(_get(client, "/api/v1/reports", "gpkg", campaign="dl").content)
    out = tmp_path / "again.geojson"
    subprocess.run(["ogr2ogr", "-f", "GeoJSON", str(out), str(gpkg)], check=True, timeout=60)
    again = json.loads(out.read_text())["features"]
    lists = json.loads(pyogrio.read_info(gpkg)["layer_metadata"]["list_columns"])
    assert len(again) == 30
    for feature in again:
        flat = dict(feature["properties"])
        want = expected[flat.pop("id")]
        got = _normal(unflatten(flat, lists=lists))
        assert got == _normal(want["properties"])


def test_csv_guards_text_that_a_spreadsheet_would_run(client):
    text = _get(client, "/api/v1/reports", "csv", campaign="dl").text
    assert "'=HYPERLINK" in text
    assert ",=HYPERLINK" not in text


def test_report_downloads_hold_every_page(client, keys, settings):
    campaign = f"many-{uuid.uuid4().hex[:6]}"
    features = [
        make_report("hotspot", lon=-1.0 + i * 1e-4, lat=6.0, campaign=campaign) for i in range(250)
    ]
    result = client.post(
        "/api/v1/reports/batch",
        json={"type": "FeatureCollection", "features": features},
        headers=keys["volunteer"],
    ).json()
    assert result["created"] == 250
    # Pages of 100 (the page size is also the size of the pages a download reads storage by).
    with TestClient(create_app(settings.model_copy(update={"page_limit_default": 100}))) as paged:
        page = _get(paged, "/api/v1/reports", campaign=campaign).json()
        assert page["numberReturned"] == 100
        assert any(link["rel"] == "next" for link in page["links"])
        csv_text = _get(paged, "/api/v1/reports", "csv", campaign=campaign).text
        assert csv_text.count("\r\n") == 251  # header and every report
        whole = _get(paged, "/api/v1/reports", "geojson", campaign=campaign).json()
        assert whole["numberReturned"] == 250 and len({f["id"] for f in whole["features"]}) == 250
        # `limit` caps a download where the page of that limit ends, with the same next link.
        capped = _get(paged, "/api/v1/reports", "geojson", campaign=campaign, limit=170)
        page = _get(paged, "/api/v1/reports", campaign=campaign, limit=170).json()
        ids = [f["id"] for f in capped.json()["features"]]
        assert ids == [f["id"] for f in page["features"]] and len(ids) == 170
        page_next = next(link["href"] for link in page["links"] if link["rel"] == "next")
        assert page_next.split("cursor=")[1] in capped.headers["link"]


def test_exact_locations_only_for_planners(client, keys):
    public = _features(client)
    planner = _features(client, keys["planner"])
    volunteer = _features(client, keys["volunteer"])
    sensitive = [i for i, f in public.items() if f["properties"]["sensitive"]]
    assert len(sensitive) == 1
    [ident] = sensitive
    assert public[ident]["properties"]["location_generalised_to"]
    assert volunteer[ident]["geometry"] == public[ident]["geometry"]
    assert "location_generalised_to" not in planner[ident]["properties"]
    assert planner[ident]["geometry"] != public[ident]["geometry"]
    csv_public = _get(client, "/api/v1/reports", "csv", campaign="dl").text
    exact = planner[ident]["geometry"]["coordinates"]
    assert repr(exact[0]) not in csv_public
    for fmt in FORMATS:  # reporter details are in no download
        body = _get(client, "/api/v1/reports", fmt, keys["planner"], campaign="dl").content
        assert b"reporter" not in body and b"submitter" not in body


def test_hexagon_and_area_downloads_flatten_their_counts(client, tmp_path):
    path = tmp_path / "hexes.gpkg"
    path.write_bytes(_get(client, "/api/v1/aggregates/hexes", "gpkg", resolution=6).content)
    frame = pyogrio.read_dataframe(path)
    assert "by_category.service.health_facility" in frame.columns
    assert {"h3", "reports", "suppressed"} <= set(frame.columns)
    assert pyogrio.read_info(path)["geometry_type"] == "Polygon"
    areas = tmp_path / "areas.kml"
    areas.write_bytes(_get(client, "/api/v1/aggregates/areas", "kml", level=1).content)
    assert len(pyogrio.read_dataframe(areas)) == 16


def _consume(chunks: Iterator[bytes]) -> int:
    return sum(len(c) for c in chunks)


def _peak(engine, query: ReportQuery, through: int, fmt: str) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """Peak traced memory (bytes) and size written of a download of `query` up to `through`,
    read from storage in pages of 250."""
    pages = ReportPages(engine, query, View(), through, page_size=250)
    meta = {"generated_at": "x", "filters": {}, "license": "x", "method": "x"}
    tracemalloc.start()
    try:
        size = _consume(export_chunks(fmt, Download(pages, "reports", meta)))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, size


@pytest.mark.slow
def test_memory_stays_flat_as_a_download_grows(engine):
    """Exporting 4x the reports must not take much more memory. bench/export.py measures
    100,000; here 1,000 against 4,000 (in pages of 250) keeps the suite quick."""
    with engine.connect() as conn:
        start, _ = report_pages.download_bound(conn, ReportQuery(), None)
    insert_fake(engine, 4_000, seed=7)
    query = ReportQuery(after=start)
    with engine.connect() as conn:
        small, _ = report_pages.download_bound(conn, query, 1000)
        everything, _ = report_pages.download_bound(conn, query, None)
    for fmt in ("csv", "gpkg"):
        peak_small, size_small = _peak(engine, query, small, fmt)
        peak_large, size_large = _peak(engine, query, everything, fmt)
        assert size_large > 3 * size_small, fmt
        # Linear growth would be 4x; what grows is the first pass's column set, not the rows.
        assert peak_large < 1.3 * peak_small, (fmt, peak_small, peak_large)


def test_geojson_chunks_form_one_valid_document() -> None:
    features = [
        {"type": "Feature", "id": str(i), "geometry": None, "properties": {"n": i}}
        for i in range(1203)
    ]
    meta = {"generated_at": "t", "filters": {}, "license": "l", "method": "m"}
    body = b"".join(export_chunks("geojson", Download(features, "x", meta, [], {"summary": 1})))
    document = json.load(io.BytesIO(body))
    assert document["numberReturned"] == 1203 and len(document["features"]) == 1203
    assert document["summary"] == 1 and document["metadata"]["method"] == "m"
