"""`POST /api/v1/reports/import`: a file and its column mapping, for planners, capped in size."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from api.app import create_app
from tests.conftest import count_reports
from tests.data import EEA_LITTERWATCH_EVENTS

CSV = (
    "Longitude,Latitude,FacilityName,Seen\n"
    "-0.2,5.6,Ridge clinic,2025-04-01T10:00:00Z\n"
    ",,No place clinic,2025-04-01T10:00:00Z\n"
    "-0.3,5.7,Late clinic,not a time\n"
)
MAPPING = {
    "kind": "service",
    "category": "health_facility",
    "lon_column": "Longitude",
    "lat_column": "Latitude",
    "observed_column": "Seen",
    "attributes": {"name": "FacilityName"},
}


def _send(client, headers, mapping=MAPPING, name="clinics.csv", content=CSV):  # type: ignore[no-untyped-def]
    return client.post(
        "/api/v1/reports/import",
        files={"file": (name, content.encode() if isinstance(content, str) else content)},
        data={"mapping": json.dumps(mapping)},
        headers=headers,
    )


def test_planners_import_a_file_and_get_a_report_per_row(client, keys):
    response = _send(client, keys["planner"])
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["rows"], body["created"], body["refused"]) == (3, 1, 2)
    by_row = {r["row"]: r for r in body["results"]}
    assert by_row[2]["outcome"] == "created" and by_row[2]["id"]
    assert by_row[3]["reasons"] == ["no coordinates"]
    assert "not a time" in by_row[4]["reasons"][0]
    stored = client.get(f"/api/v1/reports/{by_row[2]['id']}").json()
    assert stored["properties"]["attributes"]["name"] == "Ridge clinic"


def test_imports_need_a_planner_key(client, keys):
    assert _send(client, {}).status_code == 401
    assert _send(client, keys["volunteer"]).status_code == 403
    assert _send(client, keys["moderator"]).status_code == 403


def test_a_bad_mapping_or_file_is_explained(client, keys):
    response = _send(client, keys["planner"], mapping={"kind": "service", "colour": "red"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["mapping", "colour"]
    response = _send(client, keys["planner"], name="clinics.xlsx")
    assert response.status_code == 422 and "format" in response.json()["detail"]
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE kml [<!ENTITY a "ha"><!ENTITY b "&a;&a;&a;">]>'
        "<kml><Placemark><name>&b;</name></Placemark></kml>"
    )
    response = _send(client, keys["planner"], name="x.kml", content=laughs)
    assert response.status_code == 422 and "DTD" in response.json()["detail"]


def test_the_body_is_capped_at_the_bulk_size(settings, keys):
    small = settings.model_copy(update={"max_bulk_body_bytes": 2000})
    with TestClient(create_app(small)) as capped:
        response = _send(capped, keys["planner"], content=CSV + "-0.2,5.6,x,y\n" * 200)
        assert response.status_code == 413


def test_the_eea_litterwatch_csv_imports_with_its_preset(client, keys):
    path = EEA_LITTERWATCH_EVENTS
    response = _send(
        client,
        keys["planner"],
        mapping={"preset": "eea-litterwatch"},
        name=path.name,
        content=path.read_bytes(),
    )
    assert response.status_code == 200, response.text[:500]
    body = response.json()
    assert body["rows"] == 3607 == len(body["results"])
    refused = [r for r in body["results"] if r["outcome"] == "rejected"]
    assert len(refused) == body["refused"] and all(r["reasons"] for r in refused)
    created = next(r for r in body["results"] if r["outcome"] == "created")
    report = client.get(f"/api/v1/reports/{created['id'].split(';')[0]}").json()
    assert report["properties"]["kind"] == "litter"
    assert report["properties"]["attributes"]["items"]


def test_a_kml_in_an_encoding_expat_cannot_read_is_422(client, keys, engine):
    before = count_reports(engine)
    kml = (
        '<?xml version="1.0" encoding="UTF-7"?><kml xmlns="http://www.opengis.net/kml/2.2">'
        "<Placemark><name>a</name><Point><coordinates>-0.2,5.6</coordinates></Point>"
        "</Placemark></kml>"
    )
    response = _send(
        client,
        keys["planner"],
        mapping={"kind": "service", "category": "health_facility"},
        name="x.kml",
        content=kml,
    )
    assert response.status_code == 422 and "UTF-8" in response.json()["detail"]
    assert count_reports(engine) == before


def test_a_csv_row_too_long_to_read_is_refused_alone(client, keys):
    huge = "x" * 140_000
    content = (
        "Longitude,Latitude,FacilityName,Seen\n"
        "-0.2,5.6,Ridge clinic,2025-04-01T10:00:00Z\n"
        f"-0.21,5.61,{huge},2025-04-01T10:00:00Z\n"
        "-0.22,5.62,Korle Bu,2025-04-01T10:00:00Z\n"
    )
    response = _send(client, keys["planner"], content=content)
    assert response.status_code == 200, response.text
    body = response.json()
    # The rows around it are imported (or found again: an earlier test imported Ridge clinic).
    assert [r["outcome"] == "rejected" for r in body["results"]] == [False, True, False]
    assert "field limit" in body["results"][1]["reasons"][0]
