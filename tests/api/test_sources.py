"""Sources, licences and credits in every answer and download, on both backends: EEA Marine
LitterWatch data is credited to the EEA under CC BY 4.0, the Ghana health facility list says
its licence is not stated, citizen reports carry the installation's licence; and a CSV download
comes with CSV on the Web metadata that the `csvw` package validates it against."""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path
from typing import Any

import csvw
import pytest

from mapping.cli.reports import run_import
from mapping.imports.importer import ColumnMapping
from mapping.imports.sources import GHANA_HEALTH_FACILITIES
from mapping.settings import Settings
from tests.api.test_downloads import REQUIRED
from tests.conftest import make_report, settings_for
from tests.data import EEA_LITTERWATCH_EVENTS
from tests.data import GHANA_HEALTH_FACILITIES as GHANA_CSV

# The Ghana list as an organisation might import it as reports: one per facility.
GHANA_AS_REPORTS = ColumnMapping(
    kind="service",
    category="health_facility",
    lon_column="Longitude",
    lat_column="Latitude",
    observed_at="2016-02-05T00:00:00+00:00",
    attributes={"name": "FacilityName"},
    constants={"status": "operational"},
    campaign="ghana-health-facilities-2016",
)

# Not the EEA's CC-BY-4.0, so that an answer's licence shows where it came from.
INSTALLATION_LICENSE = "CC0-1.0"
EEA_CREDIT = "© European Environment Agency (EEA)"
GHANA_CREDIT = "Ghana Open Data Initiative / Ghana Health Service"
EEA_ROWS = 40
GHANA_ROWS = 60
KML = "{http://www.opengis.net/kml/2.2}"


@pytest.fixture(scope="module")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return settings_for(database_url, tmp_path_factory, data_license=INSTALLATION_LICENSE)


def _head(path: Path, rows: int) -> bytes:
    """The header and the first `rows` rows of a shared CSV, as they are in the file."""
    with path.open(newline="", encoding="utf-8-sig") as f:
        reader = csv.reader(f)
        out = io.StringIO()
        writer = csv.writer(out)
        for i, row in enumerate(reader):
            if i > rows:
                break
            writer.writerow(row)
    return out.getvalue().encode()


@pytest.fixture(scope="module", autouse=True)
def data(client, keys, ghana_regions, settings, run, tmp_path_factory):  # type: ignore[no-untyped-def]
    citizen = [
        make_report("service", lon=-0.19 + i * 0.003, lat=5.60, campaign="citizen")
        for i in range(6)
    ]
    created = client.post(
        "/api/v1/reports/batch",
        json={"type": "FeatureCollection", "features": citizen},
        headers=keys["volunteer"],
    ).json()["created"]
    assert created == 6
    imported = client.post(
        "/api/v1/reports/import",
        files={"file": (EEA_LITTERWATCH_EVENTS.name, _head(EEA_LITTERWATCH_EVENTS, EEA_ROWS))},
        data={"mapping": json.dumps({"preset": "eea-litterwatch"})},
        headers=keys["planner"],
    )
    assert imported.status_code == 200, imported.text
    assert imported.json()["created"] > 10
    subset = tmp_path_factory.mktemp("ghana") / "ghana_health_facilities.csv"
    subset.write_bytes(_head(GHANA_CSV, GHANA_ROWS))
    # An official list imported as reports, as `civicmap reports import` can.
    run_import(settings, subset, GHANA_AS_REPORTS, source=GHANA_HEALTH_FACILITIES)
    # And as the facility list coverage measures to, named as the file is.
    result = run("facilities", "import", str(subset))
    assert result.exit_code == 0, result.output
    assert "licence not stated" in result.output


def _meta(client, path: str = "/api/v1/reports", **query: Any) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    response = client.get(path, params=query)
    assert response.status_code == 200, response.text
    return response.json()["metadata"]


def _by_id(sources: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {s["id"]: s for s in sources}


def test_eea_data_is_credited_to_the_eea_under_cc_by(client):
    meta = _meta(client, kind="litter")
    assert meta["sources"] == [
        {
            "id": "eea-litterwatch",
            "title": "EEA Marine LitterWatch",
            "license": "CC-BY-4.0",
            "credit": EEA_CREDIT,
            "url": meta["sources"][0]["url"],
        }
    ]
    # Only EEA data: its licence, not this installation's.
    assert meta["license"] == "CC-BY-4.0"


def test_beaches_from_the_eea_file_are_credited_to_the_eea(client, keys):
    listed = client.get("/api/v1/beaches").json()
    assert [s["id"] for s in listed["metadata"]["sources"]] == ["eea-litterwatch"]
    assert listed["metadata"]["license"] == "CC-BY-4.0"
    code = listed["features"][0]["properties"]["code"]
    one = client.get(f"/api/v1/beaches/{code}").json()["properties"]
    assert [s["id"] for s in one["sources"]] == ["eea-litterwatch"]
    # A beach recorded here is the installation's, and says so.
    made = client.post(
        "/api/v1/beaches",
        json={
            "name": "Labadi",
            "point": {"type": "Point", "coordinates": [-0.15, 5.56]},
            "reference_m": 100,
            "water": "marine",
        },
        headers=keys["planner"],
    )
    assert made.status_code == 201, made.text
    here = client.get(made.headers["location"]).json()["properties"]
    assert [s["id"] for s in here["sources"]] == ["civicmap"]
    mixed = client.get("/api/v1/beaches").json()["metadata"]
    assert [s["id"] for s in mixed["sources"]] == ["civicmap", "eea-litterwatch"]
    assert mixed["license"] == "see sources"


def test_citizen_reports_carry_the_installation_licence(client):
    meta = _meta(client, campaign="citizen")
    assert meta["license"] == INSTALLATION_LICENSE
    assert [(s["id"], s["license"]) for s in meta["sources"]] == [
        ("civicmap", INSTALLATION_LICENSE)
    ]


def test_the_ghana_facility_list_says_its_licence_is_not_stated(client):
    meta = _meta(client, campaign=GHANA_AS_REPORTS.campaign)
    ghana = _by_id(meta["sources"])["ghana-health-facilities"]
    assert ghana["license"] is None and ghana["credit"] == GHANA_CREDIT
    assert meta["license"] == "see sources"
    coverage = _meta(
        client,
        "/api/v1/coverage",
        category="health_facility",
        resolution=5,
        max_distance_m=5000,
        area="GH-AA",
        source="facilities",
    )
    listed = _by_id(coverage["sources"])["ghana-health-facilities"]
    assert listed["license"] is None and listed["credit"] == GHANA_CREDIT
    assert coverage["license"] == "see sources"


def test_mixed_answers_name_every_source_and_point_to_them(client):
    every = {"civicmap", "eea-litterwatch", "ghana-health-facilities"}
    for path, query, named in [
        ("/api/v1/reports", {}, every),
        ("/api/v1/aggregates/hexes", {"resolution": 5}, every),
        ("/api/v1/aggregates/cells", {"resolution": 5}, every),
        # The EEA's surveys lie outside every region: no area counts them, nor names them.
        ("/api/v1/aggregates/areas", {"level": 1}, every - {"eea-litterwatch"}),
        ("/api/v1/hotspots", {"resolution": 6}, every),
    ]:
        meta = _meta(client, path, **query)
        assert set(_by_id(meta["sources"])) == named, path
        assert meta["license"] == "see sources", path


def _csvw_of(response) -> str:  # type: ignore[no-untyped-def]
    link = response.headers["link"]
    found = re.search(r'<([^>]+)>; rel="describedby"; type="application/csvm\+json"', link)
    assert found, link
    return found.group(1)


def test_every_download_format_names_its_sources(client, tmp_path):
    query = {"kind": "litter"}
    geojson = client.get("/api/v1/reports", params={**query, "format": "geojson"})
    assert _by_id(geojson.json()["metadata"]["sources"])["eea-litterwatch"]["credit"] == EEA_CREDIT

    gpkg = client.get("/api/v1/reports", params={**query, "format": "gpkg"})
    path = tmp_path / "reports.gpkg"
    path.write_bytes(gpkg.content)
    with sqlite3.connect(path) as db:
        (xml,) = db.execute("SELECT metadata FROM gpkg_metadata").fetchone()
    items = {m.get("key"): m.text for m in ET.fromstring(xml).iter("MDI")}
    assert json.loads(items["sources"])[0]["credit"] == EEA_CREDIT
    assert items["license"] == "CC-BY-4.0"

    kml = ET.fromstring(client.get("/api/v1/reports", params={**query, "format": "kml"}).content)
    document = kml.find(f"{KML}Document")
    assert document is not None
    description = document.findtext(f"{KML}description") or ""
    assert "EEA Marine LitterWatch (CC-BY-4.0, © European Environment Agency (EEA))" in description
    data = {d.get("name"): d.findtext(f"{KML}value") for d in document.iter(f"{KML}Data")}
    assert json.loads(data["sources"] or "[]")[0]["id"] == "eea-litterwatch"

    response = client.get("/api/v1/reports", params={**query, "format": "csv"})
    sidecar = client.get(_csvw_of(response))
    assert sidecar.status_code == 200
    assert sidecar.headers["content-type"].startswith("application/csvm+json")
    doc = sidecar.json()
    assert doc["dc:license"] == "CC-BY-4.0"
    assert doc["dc:source"][0]["dc:rights"] == EEA_CREDIT
    assert EEA_CREDIT in doc["dc:rights"]


def _validated(client, tmp_path: Path, path: str, **query: Any):  # type: ignore[no-untyped-def]
    """The CSV of `path` and its CSVW metadata, read through csvw: (metadata, csv header,
    typed rows). Every row must validate (strict reading raises on any invalid cell)."""
    response = client.get(path, params={**query, "format": "csv"})
    assert response.status_code == 200, response.text
    doc = client.get(_csvw_of(response)).json()
    assert doc["url"].startswith("http") and "format=csv" in doc["url"]
    data = tmp_path / "download.csv"
    data.write_bytes(response.content)
    # Read from the saved file, as a user does who keeps the two side by side.
    doc["url"] = data.name
    meta = tmp_path / "download.csv-metadata.json"
    meta.write_text(json.dumps(doc))
    table = csvw.Table.from_file(meta)
    rows = list(table.iterdicts(strict=True))
    header = next(csv.reader(io.StringIO(response.text)))
    assert len(rows) == len(list(csv.reader(io.StringIO(response.text)))) - 1
    return doc, header, rows


def test_the_csvw_metadata_validates_the_reports_csv(client, tmp_path):
    doc, header, rows = _validated(
        client, tmp_path, "/api/v1/reports", kind="litter", since="2014-01-01T00:00:00Z"
    )
    columns = doc["tableSchema"]["columns"]
    assert [c["titles"] for c in columns] == header
    by_title = {c["titles"]: c for c in columns}
    assert by_title["attributes.survey_length_m"]["schema:unitText"] == "metres"
    assert by_title["lon"]["datatype"] == "double"
    assert doc["dc:temporal"] == "2014-01-01T00:00:00Z/.."
    assert {"schema:name": "filter kind", "schema:value": "litter"} in [
        {k: p[k] for k in ("schema:name", "schema:value")} for p in doc["schema:additionalProperty"]
    ]
    assert doc["dc:description"].startswith("Citizen reports as submitted")
    assert len(rows) >= 10
    names = {c["titles"]: c["name"] for c in columns}
    first = rows[0]
    assert isinstance(first[names["lon"]], float)
    assert isinstance(first[names["observed_at"]], datetime)
    assert isinstance(first[names["sensitive"]], bool)
    assert isinstance(first[names["attributes.survey_length_m"]], int | float)


def test_the_csvw_metadata_validates_the_indicator_csv(client, tmp_path):
    doc, header, rows = _validated(client, tmp_path, "/api/v1/indicators", level=1)
    assert [c["titles"] for c in doc["tableSchema"]["columns"]] == header
    assert rows and all(isinstance(r["suppressed"], bool) for r in rows)
    assert all(r["n"] is None or isinstance(r["n"], int) for r in rows)
    assert doc["dc:license"] == "see sources"
    assert {s["schema:identifier"] for s in doc["dc:source"]} >= {"civicmap", "eea-litterwatch"}


def test_the_command_line_import_records_the_source_it_is_told(client, run, tmp_path):
    survey = tmp_path / "walk.csv"
    survey.write_text("lon,lat,severity\n-0.20,5.61,3\n-0.21,5.62,4\n")
    result = run(
        "reports", "import", str(survey), "--kind", "hotspot", "--category", "flooding",
        "--set", "severity=3", "--source", "walk-2025", "--source-title", "Flood walk 2025",
        "--license", "CC-BY-SA-4.0", "--credit", "Accra flood group",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    meta = _meta(client, category="flooding")
    assert meta["sources"] == [
        {
            "id": "walk-2025",
            "title": "Flood walk 2025",
            "license": "CC-BY-SA-4.0",
            "credit": "Accra flood group",
            "url": None,
        }
    ]
    assert meta["license"] == "CC-BY-SA-4.0"


def test_an_import_form_may_say_a_licence_is_not_stated(client, keys):
    response = client.post(
        "/api/v1/reports/import",
        files={"file": ("spots.csv", b"lon,lat\n-0.25,5.65\n")},
        data={
            "mapping": json.dumps({"kind": "hotspot", "category": "waste_dumping",
                                   "constants": {"severity": 2}}),
            "source": "spots",
            "license": "not stated",
        },
        headers=keys["planner"],
    )  # fmt: skip
    assert response.status_code == 200, response.text
    meta = _meta(client, category="waste_dumping")
    assert [(s["id"], s["license"]) for s in meta["sources"]] == [("spots", None)]
    assert meta["license"] == "see sources"
    bad = client.post(
        "/api/v1/reports/import",
        files={"file": ("spots.csv", b"lon,lat\n-0.25,5.65\n")},
        data={"mapping": json.dumps({"preset": "civicmap"}), "source": "Not An Id!"},
        headers=keys["planner"],
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["loc"] == ["source"]


# A form's downloads need a form: tests/api/test_forms.py reads their CSVW.
@pytest.mark.parametrize("path", sorted(p for p in REQUIRED if "{" not in p))
def test_every_csv_download_is_described_by_csvw_metadata_that_validates(client, tmp_path, path):
    doc, header, _ = _validated(client, tmp_path, path, **REQUIRED[path])
    assert [c["titles"] for c in doc["tableSchema"]["columns"]] == header
    assert "dc:license" in doc and isinstance(doc["dc:source"], list)
    for column in doc["tableSchema"]["columns"]:
        if column["titles"].endswith("distance_m"):
            assert column["schema:unitText"] == "metres"


def test_an_area_names_the_sources_of_its_figures(client):
    area = client.get("/api/v1/areas/GH-AA").json()["properties"]
    named = _by_id(area["sources"])
    assert "civicmap" in named and "eea-litterwatch" not in named  # EEA beaches are in Europe
    only_citizen = set(named) == {"civicmap"}
    assert area["license"] == (INSTALLATION_LICENSE if only_citizen else "see sources")
