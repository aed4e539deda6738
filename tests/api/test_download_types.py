"""Downloads keep types and time as GIS tools read them: GeoPackage date-times are DateTime,
KML placemarks carry a TimeStamp and every schema field, and one filtered download agrees in
GeoJSON, CSV, GeoPackage and KML column by column and row by row, as GDAL reads each (pyogrio
and ogrinfo, readers we did not write), on both backends."""

from __future__ import annotations

import math
import re
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyogrio
import pytest

from tests.conftest import make_report

FORMATS = ("geojson", "csv", "gpkg", "kml")
CAMPAIGN = "types"
# Fields GDAL's KML drivers add to every layer, and the CSV's own position columns.
KML_BUILT_IN = {"Name", "timestamp", "begin", "end", "altitudeMode"}
KML_BUILT_IN |= {"tessellate", "extrude", "visibility", "drawOrder", "icon", "id"}
CSV_OWN = {"lon", "lat", "WKT", "id"}
needs_ogrinfo = pytest.mark.skipif(shutil.which("ogrinfo") is None, reason="needs ogrinfo")


@pytest.fixture(scope="module", autouse=True)
def data(client, keys):  # type: ignore[no-untyped-def]
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=3)
    features = []
    for i in range(12):
        kind = "litter" if i % 3 else "service"
        extra: dict[str, Any] = {"campaign": CAMPAIGN, "description": f"seen {i}"}
        if kind == "litter":  # G21 only in some rows, so that column has nulls
            items = {"G1": i} if i % 2 else {"G1": i, "G21": 2 * i}
            extra["attributes"] = {"survey_length_m": 50 + i, "items": items}
        extra["observed_at"] = (start + timedelta(hours=i, minutes=7)).isoformat()
        features.append(make_report(kind, lon=-0.2 + i * 0.003, lat=5.6 + i * 0.002, **extra))
    result = client.post(
        "/api/v1/reports/batch",
        json={"type": "FeatureCollection", "features": features},
        headers=keys["volunteer"],
    ).json()
    assert result["created"] == 12, result


@pytest.fixture(scope="module")
def files(client, tmp_path_factory) -> dict[str, Path]:  # type: ignore[no-untyped-def]
    """The same filtered download (litter reports of the campaign) in every format."""
    folder = tmp_path_factory.mktemp("types")
    out = {}
    for fmt in FORMATS:
        response = client.get(
            "/api/v1/reports", params={"campaign": CAMPAIGN, "kind": "litter", "format": fmt}
        )
        assert response.status_code == 200, response.text
        out[fmt] = folder / f"reports.{fmt}"
        out[fmt].write_bytes(response.content)
    return out


def _ogrinfo(path: Path) -> str:
    run = subprocess.run(
        ["ogrinfo", "-ro", "-al", str(path)], capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr
    return run.stdout


def _field_types(listing: str) -> dict[str, str]:
    """The layer's fields and their types as ogrinfo lists them (`name: Type (w.p)`)."""
    return dict(re.findall(r"^([\w.]+): (\w+) \(\d+\.\d+\)$", listing, re.MULTILINE))


@needs_ogrinfo
def test_geopackage_times_are_datetime_and_numbers_are_numbers(files):
    listing = _ogrinfo(files["gpkg"])
    types = _field_types(listing)
    assert types["observed_at"] == "DateTime" and types["received_at"] == "DateTime", types
    assert types["attributes.survey_length_m"] in ("Integer", "Integer64", "Real")
    assert types["attributes.items.G21"] in ("Integer", "Integer64")
    assert "Non-conformant" not in listing  # the form GeoPackage asks of a DATETIME
    frame = pyogrio.read_dataframe(files["gpkg"])
    assert str(frame["observed_at"].dtype).startswith("datetime64")


@needs_ogrinfo
def test_kml_placemarks_carry_their_time_and_every_field(files):
    text = files["kml"].read_text()
    placemarks = text.count("<Placemark>")
    assert placemarks == 8
    assert text.count("<TimeStamp><when>") == placemarks
    # A null text is an empty SimpleData, so every placemark lists each text field.
    assert text.count('<SimpleData name="campaign">') == placemarks
    listing = _ogrinfo(files["kml"])
    assert _field_types(listing)["timestamp"] == "DateTime"
    frame = pyogrio.read_dataframe(files["kml"])
    geojson = pyogrio.read_dataframe(files["geojson"])
    assert frame["timestamp"].notna().all()
    assert sorted(frame["timestamp"]) == sorted(geojson["observed_at"])


def _rows(fmt: str, path: Path) -> tuple[list[str], dict[str, dict[str, Any]]]:
    """The columns of the file (ours, in its order) and its rows by id, as GDAL reads them."""
    options = {"FLATTEN_NESTED_ATTRIBUTES": "YES", "NESTED_ATTRIBUTE_SEPARATOR": "."}
    frame = pyogrio.read_dataframe(path, **(options if fmt == "geojson" else {}))
    if fmt == "kml":  # KML's own description holds it too; GDAL renames the field's copy
        frame = frame.drop(columns="description").rename(columns={"description2": "description"})
    extra = {"csv": CSV_OWN, "kml": KML_BUILT_IN}.get(fmt, {"id"})
    columns = [c for c in frame.columns if c not in extra and c != "geometry"]
    ids = frame["Name"] if fmt == "kml" else frame["id"]
    rows = {}
    for ident, record in zip(ids, frame[columns].to_dict("records"), strict=True):
        rows[str(ident)] = record
    return columns, rows


def _same(value: Any) -> Any:
    """A value as every format can hold it: a null, empty text and NaN alike; a list as its
    `;`-joined items; a time as UTC to the millisecond (as GDAL holds it); a whole float as an
    int."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value == "":
        return None
    if hasattr(value, "to_pydatetime"):
        value = value.to_pydatetime()
    if isinstance(value, datetime):
        value = value.astimezone(UTC).replace(tzinfo=None) + timedelta(microseconds=500)
        return value.replace(microsecond=value.microsecond // 1000 * 1000)
    if isinstance(value, list) or (hasattr(value, "tolist") and not hasattr(value, "item")):
        return ";".join(str(v) for v in list(value)) or None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _parsed(text: Any, like: Any) -> Any:
    """A CSV cell parsed as the type GeoJSON gives that column."""
    if text is None or text == "":
        return None
    if isinstance(like, bool):
        return text == "true"
    if isinstance(like, int | float):
        return float(text)
    if isinstance(like, datetime):
        return (
            datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC).replace(tzinfo=None)
        )
    return text.removeprefix("'")


def test_the_four_downloads_agree_column_by_column(files):
    columns = {}
    rows = {}
    for fmt in FORMATS:
        columns[fmt], rows[fmt] = _rows(fmt, files[fmt])
    # The same columns; in the same order where the format has one.
    assert set(columns["geojson"]) == set(columns["gpkg"]), columns
    assert columns["csv"] == columns["gpkg"] == columns["kml"]
    assert {"observed_at", "received_at", "attributes.items.G21"} <= set(columns["gpkg"])
    # The same types where the format has them (KML has no date-time type: text there).
    types = {fmt: pyogrio.read_info(files[fmt])["dtypes"] for fmt in ("gpkg", "kml")}
    gpkg_types = dict(zip(pyogrio.read_info(files["gpkg"])["fields"], types["gpkg"], strict=True))
    kml_info = pyogrio.read_info(files["kml"])
    kml_types = dict(zip(kml_info["fields"], kml_info["dtypes"], strict=True))
    for name in columns["gpkg"]:
        want = re.sub(r"\d+|\[.*\]", "", gpkg_types[name])
        got = re.sub(r"\d+|\[.*\]", "", kml_types[name])
        assert got == ("object" if want == "datetime" else want), name
    # The same rows, value by value.
    reference = rows["geojson"]
    assert len(reference) == 8
    for fmt in ("csv", "gpkg", "kml"):
        assert set(rows[fmt]) == set(reference), fmt
        for ident, want_row in reference.items():
            for name in columns["gpkg"]:
                want = _same(want_row[name])
                got = rows[fmt][ident][name]
                if fmt == "csv" or (fmt == "kml" and isinstance(want, datetime)):
                    got = _parsed(got, want)
                assert _same(got) == want, (fmt, ident, name)
