"""A form bound to a report kind files a report of that kind with each response, through the
same checks as any report, once per instance id."""

from __future__ import annotations

import uuid

import pytest

from tests.forms import workbook

HEADER = ["type", "name", "label", "required", "constraint"]
SERVICE_FORM = [
    ["geopoint", "where", "Where is it?", "yes", ""],
    ["select_one places", "category", "What is it?", "yes", ""],
    ["text", "name", "Its name", "", ""],
    ["select_one states", "status", "Is it working?", "", ""],
    ["integer", "satisfaction", "How satisfied are you (1-4)?", "", ". >= 1 and . <= 4"],
    ["integer", "queue_minutes", "Minutes waited", "", ". >= 0"],
]
CHOICES = [
    ["list_name", "name", "label"],
    ["places", "health_facility", "Health facility"],
    ["places", "water_point", "Water point"],
    ["states", "operational", "Working"],
    ["states", "closed", "Closed"],
]
CLINIC = [-0.1870, 5.6037]


@pytest.fixture(scope="module", autouse=True)
def campaign(client, keys):  # type: ignore[no-untyped-def]
    made = client.post(
        "/api/v1/campaigns",
        json={
            "slug": "clinics",
            "title": "Clinic check",
            "description": "Clinics.",
            "kind": "service",
            "start": "2026-01-01T00:00:00Z",
            "end": "2030-01-01T00:00:00Z",
        },
        headers=keys["planner"],
    )
    assert made.status_code == 201, made.text


def upload(client, keys, rows, kind: str, form_id: str = "clinic_check"):  # type: ignore[no-untyped-def]
    data = workbook(rows, choices=CHOICES, header=HEADER, form_id=form_id)
    return client.post(
        "/api/v1/campaigns/clinics/forms",
        files={"file": ("f.xlsx", data)},
        data={"kind": kind},
        headers=keys["planner"],
    )


def reports_of(client) -> list[dict]:  # type: ignore[type-arg]
    listed = client.get("/api/v1/reports", params={"campaign": "clinics"}).json()
    return listed["features"]  # type: ignore[no-any-return]


def test_a_service_form_files_a_service_report_once(client, keys):
    assert upload(client, keys, SERVICE_FORM, "service").status_code == 201
    body = {
        "client_id": str(uuid.uuid4()),
        "answers": {
            "where": CLINIC,
            "category": "health_facility",
            "name": "Adabraka Clinic",
            "status": "operational",
            "satisfaction": 3,
            "queue_minutes": 40,
        },
    }
    sent = client.post("/api/v1/forms/clinic_check/responses", json=body)
    assert sent.status_code == 201, sent.text
    again = client.post("/api/v1/forms/clinic_check/responses", json=body)
    assert again.status_code == 200
    filed = reports_of(client)
    assert len(filed) == 1
    properties = filed[0]["properties"]
    assert (properties["kind"], properties["category"]) == ("service", "health_facility")
    assert properties["attributes"] == {
        "name": "Adabraka Clinic",
        "status": "operational",
        "satisfaction": 3,
        "aspects": {},
    }
    assert filed[0]["geometry"]["coordinates"] == pytest.approx(CLINIC)


def test_a_form_that_cannot_make_reports_of_its_kind_is_refused(client, keys):
    answer = upload(client, keys, SERVICE_FORM, "hotspot", form_id="clinic_hotspots")
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["loc"] == ["choices"]
    optional_place = [["geopoint", "where", "Where?", "", ""], *SERVICE_FORM[1:]]
    answer = upload(client, keys, optional_place, "service", form_id="clinic_optional")
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["loc"] == ["survey", 2, "required"]


def test_a_personal_place_never_becomes_a_report(client, keys):
    # The respondent's home, marked personal and asked first, is no report's public position.
    header = [*HEADER, "civicmap::personal"]
    home = ["geopoint", "home", "Where do you live?", "yes", "", "yes"]
    rows = [home, *([*row, ""] for row in SERVICE_FORM)]
    data = workbook(rows, choices=CHOICES, header=header, form_id="clinic_homes")
    made = client.post(
        "/api/v1/campaigns/clinics/forms",
        files={"file": ("f.xlsx", data)},
        data={"kind": "service"},
        headers=keys["planner"],
    )
    assert made.status_code == 201, made.text
    before = {f["id"] for f in reports_of(client)}
    answers = {"home": [-1.6244, 6.6885], "where": CLINIC, "category": "health_facility"}
    sent = client.post("/api/v1/forms/clinic_homes/responses", json={"answers": answers})
    assert sent.status_code == 201, sent.text
    (filed,) = [f for f in reports_of(client) if f["id"] not in before]
    assert filed["geometry"]["coordinates"] == pytest.approx(CLINIC)
    only_home = [home, *([*row, ""] for row in SERVICE_FORM[1:])]
    data = workbook(only_home, choices=CHOICES, header=header, form_id="clinic_home_only")
    refused = client.post(
        "/api/v1/campaigns/clinics/forms",
        files={"file": ("f.xlsx", data)},
        data={"kind": "service"},
        headers=keys["planner"],
    )
    assert refused.status_code == 422, refused.text
