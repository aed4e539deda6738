"""Open311 GeoReport v2 at /open311/v2, in JSON and XML, as a client following the spec would."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from api.app import create_app
from mapping.taxonomy import HOTSPOT_THEMES, LITTER_SURVEYS, SERVICE_CATEGORIES
from tests.conftest import make_report

BASE = "/open311/v2"
FLOOD = {
    "service_code": "hotspot-flooding",
    "lat": "5.61",
    "long": "-0.21",
    "description": "Street under water",
    "attribute[severity]": "4",
    "attribute[people_affected]": "30",
    "email": "someone@example.org",  # contact details are not kept
}


def test_discovery_lists_the_endpoint_and_formats(client):
    found = client.get(f"{BASE}/discovery.json").json()
    endpoint = found["endpoints"][0]
    assert endpoint["url"].endswith(BASE) and "text/xml" in endpoint["formats"]
    xml = ET.fromstring(client.get(f"{BASE}/discovery.xml").content)
    assert xml.tag == "discovery" and xml.find("endpoints/endpoint/url") is not None


def test_service_codes_are_the_taxonomy_with_unique_codes(client):
    services = client.get(f"{BASE}/services.json").json()
    codes = [s["service_code"] for s in services]
    assert len(codes) == len(set(codes))
    expected = len(SERVICE_CATEGORIES) + len(HOTSPOT_THEMES) + len(LITTER_SURVEYS)
    assert len(codes) == expected
    assert {"service-sanitation", "hotspot-sanitation", "service-other", "hotspot-other"} <= set(
        codes
    )
    xml = ET.fromstring(client.get(f"{BASE}/services.xml").content)
    assert [s.findtext("service_code") for s in xml.findall("service")] == codes


def test_definitions_list_the_attributes_of_the_kind(client):
    flood = client.get(f"{BASE}/services/hotspot-flooding.json").json()
    by_code = {a["code"]: a for a in flood["attributes"]}
    assert by_code["severity"]["required"] is True
    assert [v["key"] for v in by_code["severity"]["values"]] == ["1", "2", "3", "4", "5"]
    litter = client.get(f"{BASE}/services/litter-cleanup.json").json()
    codes = {a["code"] for a in litter["attributes"]}
    assert {"survey_length_m", "items.G1", "items.G21"} <= codes
    xml = ET.fromstring(client.get(f"{BASE}/services/service-water_point.xml").content)
    assert xml.findtext("attributes/attribute/code") == "name"
    missing = client.get(f"{BASE}/services/nothing.json")
    assert missing.status_code == 404
    assert missing.json() == [{"code": 404, "description": missing.json()[0]["description"]}]


def test_a_request_is_posted_read_back_and_found_by_token(client, keys):
    response = client.post(f"{BASE}/requests.json", data=FLOOD)
    assert response.status_code == 201, response.text
    [created] = response.json()
    request_id, token = created["service_request_id"], created["token"]
    assert "receipt=" in created["service_notice"]
    [one] = client.get(f"{BASE}/requests/{request_id}.json").json()
    assert one["service_code"] == "hotspot-flooding" and one["status"] == "open"
    assert (one["lat"], one["long"]) == (5.61, -0.21)
    assert one["description"] == "Street under water"
    xml = ET.fromstring(client.get(f"{BASE}/requests/{request_id}.xml").content)
    assert xml.findtext("request/service_request_id") == request_id
    tokens = client.get(f"{BASE}/tokens/{token}.json").json()
    assert tokens == [{"service_request_id": request_id, "token": token}]
    report = client.get(f"/api/v1/reports/{request_id}").json()
    assert report["properties"]["attributes"] == {"severity": 4, "people_affected": 30}
    assert "someone@example.org" not in str(report)
    # With an API key the request is the key holder's; a bad key is refused with 403.
    keyed = client.post(f"{BASE}/requests.json", data={**FLOOD, "api_key": _key(keys)})
    assert keyed.status_code == 201
    bad = client.post(f"{BASE}/requests.xml", data={**FLOOD, "api_key": "cm_nothing"})
    assert bad.status_code == 403
    assert ET.fromstring(bad.content).findtext("error/code") == "403"


def _key(keys: dict[str, dict[str, str]]) -> str:
    return keys["volunteer"]["Authorization"].removeprefix("Bearer ")


def test_requests_filter_by_code_status_and_window(client, keys):
    old = make_report(
        "hotspot",
        category="water",
        observed_at=(datetime.now(UTC) - timedelta(days=200)).isoformat(),
    )
    recent = make_report("hotspot", category="water")
    for feature in (old, recent):
        assert client.post("/api/v1/reports", json=feature).status_code == 201
    water = client.get(f"{BASE}/requests.json", params={"service_code": "hotspot-water"}).json()
    assert len(water) == 1  # the default window is the last 90 days
    start = (datetime.now(UTC) - timedelta(days=210)).isoformat()
    end = (datetime.now(UTC) - timedelta(days=150)).isoformat()
    back = client.get(
        f"{BASE}/requests.json",
        params={"service_code": "hotspot-water", "start_date": start, "end_date": end},
    ).json()
    assert len(back) == 1
    too_long = client.get(
        f"{BASE}/requests.json",
        params={"start_date": start, "end_date": datetime.now(UTC).isoformat()},
    )
    assert too_long.status_code == 400 and too_long.json()[0]["code"] == 400
    both = client.get(
        f"{BASE}/requests.json", params={"service_code": "hotspot-water,hotspot-flooding"}
    )
    assert {r["service_code"] for r in both.json()} <= {"hotspot-water", "hotspot-flooding"}
    closed = client.get(f"{BASE}/requests.json", params={"status": "closed"}).json()
    assert all(r["status"] == "closed" for r in closed)
    assert client.get(f"{BASE}/requests.json", params={"status": "done"}).status_code == 400
    listed = client.get(f"{BASE}/requests.json").json()
    times = [r["requested_datetime"] for r in listed]
    assert times == sorted(times, reverse=True)  # newest first


def test_errors_take_the_spec_shape(client):
    missing = client.post(f"{BASE}/requests.json", data={"service_code": "hotspot-flooding"})
    assert missing.status_code == 400
    assert [e["description"].split(":")[0] for e in missing.json()] == ["lat", "long"]
    unknown = client.post(f"{BASE}/requests.json", data={**FLOOD, "service_code": "nope"})
    assert unknown.status_code == 400
    invalid = client.post(f"{BASE}/requests.json", data={**FLOOD, "attribute[severity]": "9"})
    assert invalid.status_code == 400 and invalid.json()[0]["code"] == 400
    assert client.get(f"{BASE}/requests/{'0' * 8}.json").status_code == 404
    assert client.get(f"{BASE}/services.yaml").status_code == 400


def test_anonymous_requests_follow_the_anonymous_policy(settings):
    closed = settings.model_copy(update={"anonymous_writes_per_minute": 0})
    with TestClient(create_app(closed)) as client:
        refused = client.post(f"{BASE}/requests.json", data=FLOOD)
        assert refused.status_code == 403
    limited = settings.model_copy(update={"anonymous_writes_per_minute": 1})
    with TestClient(create_app(limited)) as client:
        answers = [client.post(f"{BASE}/requests.json", data=FLOOD).status_code for _ in range(3)]
        assert 429 in answers


def test_a_request_too_large_is_413_in_the_spec_shape_however_it_is_sent(client, settings):
    """The one error table decides the status; GeoReport only gives it its body."""
    big = "x" * (settings.max_body_bytes + 1)
    declared = client.post(f"{BASE}/requests.json", data={**FLOOD, "description": big})
    assert declared.status_code == 413

    def chunks():  # no Content-Length: the cap is found while the body streams in
        yield b"service_code=hotspot-flooding&lat=5.61&long=-0.21&description="
        for _ in range(settings.max_body_bytes // 65536 + 2):
            yield b"x" * 65536

    streamed = client.post(
        f"{BASE}/requests.json",
        content=chunks(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert streamed.status_code == 413
    assert all(error["code"] == 413 for error in streamed.json())
