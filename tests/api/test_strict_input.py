"""Strict input: a value of the wrong type or past its domain is a 422 naming the field, never a
stored report and never a 500 later, in a single post, a batch and Open311 alike."""

from __future__ import annotations

import base64
import copy
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from tests.conftest import count_reports, make_report

BIG = 2**63 - 1


def _with(path: list[str | int], value: Any, kind: str = "service") -> dict[str, Any]:
    feature = make_report(kind)
    target: Any = feature
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return feature


CASES = {
    "coordinates as strings": (["geometry", "coordinates"], ["-0.187", "5.6037"], "service"),
    "a longitude of true": (["geometry", "coordinates", 0], True, "service"),
    "a subnormal latitude": (["geometry", "coordinates", 1], 5e-324, "service"),
    "accuracy as a string": (["properties", "accuracy_m"], "5", "service"),
    "accuracy of true": (["properties", "accuracy_m"], True, "service"),
    "an epoch as observed_at": (["properties", "observed_at"], 1_764_600_000, "service"),
    "people affected past any town": (
        ["properties", "attributes", "people_affected"],
        BIG,
        "hotspot",
    ),
    "a survey length of true": (["properties", "attributes", "survey_length_m"], True, "litter"),
    "a survey length as a string": (
        ["properties", "attributes", "survey_length_m"],
        "100",
        "litter",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_value_of_the_wrong_type_or_out_of_domain_is_422_naming_it(client, engine, case):
    path, value, kind = CASES[case]
    before = count_reports(engine)
    answer = client.post("/api/v1/reports", json=_with(path, value, kind))
    assert answer.status_code == 422, answer.text
    named = [e["loc"] for e in answer.json()["errors"]]
    field = [p for p in path if isinstance(p, str)][-1]
    assert any(field in loc for loc in named), named
    assert count_reports(engine) == before


def test_a_batch_refuses_the_feature_and_keeps_the_others(client, engine, keys):
    good = make_report()
    bad = _with(["properties", "attributes", "people_affected"], BIG, "hotspot")
    before = count_reports(engine)
    result = client.post(
        "/api/v1/reports/batch",
        json={"type": "FeatureCollection", "features": [good, bad]},
        headers=keys["volunteer"],
    ).json()
    assert [r["outcome"] for r in result["results"]] == ["created", "rejected"]
    assert count_reports(engine) == before + 1
    # Every aggregate still answers: nothing out of range was stored.
    assert client.get("/api/v1/aggregates/hexes", params={"resolution": 6}).status_code == 200


def test_open311_refuses_a_count_past_its_domain(client, engine):
    before = count_reports(engine)
    answer = client.post(
        "/open311/v2/requests.json",
        data={
            "service_code": "hotspot-flooding",
            "lat": "5.61",
            "long": "-0.21",
            "attribute[severity]": "4",
            "attribute[people_affected]": str(BIG),
        },
    )
    assert answer.status_code == 400 and answer.json()[0]["code"] == 400
    assert count_reports(engine) == before


def test_the_same_instant_with_another_utc_offset_is_the_same_report(client, engine):
    when = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)
    feature = make_report(observed_at=when.isoformat())
    first = client.post("/api/v1/reports", json=feature)
    assert first.status_code == 201
    accra_in_summer_time_elsewhere = when.astimezone(timezone(timedelta(hours=2)))
    again = copy.deepcopy(feature)
    again["properties"]["observed_at"] = accra_in_summer_time_elsewhere.isoformat()
    replay = client.post("/api/v1/reports", json=again)
    assert (replay.status_code, replay.json()["id"]) == (200, first.json()["id"])


@pytest.mark.parametrize(
    ("member", "value"),
    [("coordinates", [["-0.162", "5.556"], [-0.154, 5.558]]), ("started_at", 1_764_600_000)],
)
def test_an_effort_visit_takes_numbers_and_times_as_json_gives_them(client, member, value):
    now = datetime.now(UTC)
    geometry: dict[str, Any] = {
        "type": "LineString",
        "coordinates": [[-0.162, 5.556], [-0.154, 5.558]],
    }
    properties: dict[str, Any] = {
        "kind": "litter",
        "started_at": (now - timedelta(hours=2)).isoformat(),
        "ended_at": (now - timedelta(hours=1)).isoformat(),
    }
    (geometry if member == "coordinates" else properties)[member] = value
    answer = client.post(
        "/api/v1/effort", json={"type": "Feature", "geometry": geometry, "properties": properties}
    )
    assert answer.status_code == 422
    assert any(member in e["loc"] for e in answer.json()["errors"])


@pytest.mark.parametrize(
    "path",
    ["/api/v1/reports", "/api/v1/reports?f=csv", "/ogc/collections/reports/items"],
)
def test_a_cursor_past_any_row_is_400_naming_it(client, path):
    past = base64.urlsafe_b64encode(f"r{2**63}".encode()).decode().rstrip("=")
    answer = client.get(path, params={"cursor": past})
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["loc"] == ["query", "cursor"]


def test_an_offset_past_any_row_is_400(client):
    answer = client.get("/ogc/collections/reports/items", params={"offset": 2**63})
    assert answer.status_code == 400


def test_a_nul_in_text_a_person_writes_is_422_and_stores_nothing(client, keys):
    report = client.post("/api/v1/reports", json=make_report()).json()
    url = f"/api/v1/reports/{report['id']}"
    noted = client.patch(url, json={"note": "seen\x00"}, headers=keys["moderator"])
    assert noted.status_code == 422
    assert noted.json()["errors"][0]["loc"][-1] == "note"
    assert client.get(url, headers=keys["moderator"]).json()["properties"]["status_note"] is None
    now = datetime.now(UTC)
    slug = f"nul-{uuid.uuid4().hex[:8]}"
    body = {
        "slug": slug,
        "title": "Beach\x00 clean",
        "kind": "litter",
        "start": now.isoformat(),
        "end": (now + timedelta(days=7)).isoformat(),
    }
    made = client.post("/api/v1/campaigns", json=body, headers=keys["planner"])
    assert made.status_code == 422
    assert made.json()["errors"][0]["loc"][-1] == "title"
    assert client.get(f"/api/v1/campaigns/{slug}").status_code == 404
    fixed = client.post(
        "/api/v1/campaigns", json={**body, "title": "Beach clean"}, headers=keys["planner"]
    )
    assert fixed.status_code == 201


def test_after_a_500_the_connection_is_closed_and_the_cause_is_not_told(settings):
    app = create_app(settings)

    @app.get("/api/v1/broken-for-the-test")
    def broken() -> None:
        raise RuntimeError("secret detail of the failure")

    with TestClient(app, raise_server_exceptions=False) as quiet:
        answer = quiet.get("/api/v1/broken-for-the-test")
    assert answer.status_code == 500
    assert answer.headers["connection"] == "close"
    assert "secret detail" not in answer.text
