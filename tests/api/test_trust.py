"""Roles, moderation with its audit trail, receipts, quotas, privacy and quality flags."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

import h3
from fastapi.testclient import TestClient

from mapping.keys import create_key
from tests.conftest import make_report


def _new(client, **kw):  # type: ignore[no-untyped-def]
    kw.setdefault("lon", -1.0 + uuid.uuid4().int % 10_000 / 10_000)
    kw.setdefault("lat", 7.5)
    response = client.post("/api/v1/reports", json=make_report(**kw))
    assert response.status_code == 201, response.text
    return response.json()


def test_every_operation_says_who_may_call_it(client):
    spec = client.get("/openapi.json").json()
    missing = [
        f"{method.upper()} {path}"
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
        if "x-civicmap-role" not in operation
    ]
    assert missing == []


def test_moderation_needs_a_moderator_key(client, keys):
    report = _new(client)
    url = f"/api/v1/reports/{report['id']}"
    change = {"status": "verified", "note": "checked on site"}
    anonymous = client.patch(url, json=change)
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"].startswith("Bearer")
    for role in ("volunteer", "planner"):
        refused = client.patch(url, json=change, headers=keys[role])
        assert refused.status_code == 403, role
        assert "moderator" in refused.json()["detail"]
    done = client.patch(url, json=change, headers=keys["moderator"])
    assert done.status_code == 200, done.text
    assert done.json()["properties"]["status"] == "verified"
    assert client.get(url).json()["properties"]["status"] == "verified"


def test_unknown_or_revoked_keys_are_refused(client):
    headers = {"Authorization": "Bearer cm_not-a-key"}
    assert client.get("/api/v1/reports?limit=1", headers=headers).status_code == 401
    batch = {"type": "FeatureCollection", "features": [make_report()]}
    assert client.post("/api/v1/reports/batch", json=batch).status_code == 401


def test_every_change_is_kept_in_the_audit_log(client, keys):
    report = _new(client)
    url = f"/api/v1/reports/{report['id']}"
    client.patch(url, json={"status": "hidden", "note": "shows a face"}, headers=keys["moderator"])
    client.patch(url, json={"status": "verified", "note": "face blurred"}, headers=keys["admin"])
    assert client.get(f"{url}/audit", headers=keys["volunteer"]).status_code == 403
    log = client.get(f"{url}/audit", headers=keys["moderator"]).json()["entries"]
    assert [e["changes"]["status"] for e in log] == [
        {"from": "pending", "to": "hidden"},
        {"from": "hidden", "to": "verified"},
    ]
    assert [e["by"] for e in log] == ["test moderator", "test admin"]
    assert [e["note"] for e in log] == ["shows a face", "face blurred"]
    assert all(e["at"].endswith("Z") for e in log)


def test_hidden_and_rejected_reports_are_not_found_by_those_who_may_not_see_them(client, keys):
    campaign = f"bola-{uuid.uuid4().hex[:8]}"
    hidden = _new(client, campaign=campaign)
    url = f"/api/v1/reports/{hidden['id']}"
    client.patch(url, json={"status": "rejected", "note": "spam"}, headers=keys["moderator"])
    for headers in ({}, keys["volunteer"], keys["planner"]):
        assert client.get(url, headers=headers).status_code == 404
        listed = client.get(
            "/api/v1/reports", params={"campaign": campaign, "status": "rejected"}, headers=headers
        ).json()
        assert listed["features"] == []
    assert client.get(url, headers=keys["moderator"]).status_code == 200
    listed = client.get(
        "/api/v1/reports",
        params={"campaign": campaign, "status": "rejected"},
        headers=keys["moderator"],
    ).json()
    assert [f["id"] for f in listed["features"]] == [hidden["id"]]
    assert listed["features"][0]["properties"]["status_note"] == "spam"


def test_the_receipt_shows_the_sender_what_became_of_the_report(client, keys):
    report = _new(client)
    other = _new(client)
    url = f"/api/v1/reports/{report['id']}"
    client.patch(
        url, json={"status": "rejected", "note": "photo missing"}, headers=keys["moderator"]
    )
    status = client.get(f"{url}/status", params={"receipt": report["receipt"]})
    assert status.status_code == 200
    assert (status.json()["status"], status.json()["status_note"]) == ("rejected", "photo missing")
    assert client.get(f"{url}/status", params={"receipt": "x" * 32}).status_code == 404
    wrong = client.get(
        f"/api/v1/reports/{other['id']}/status", params={"receipt": report["receipt"]}
    )
    assert wrong.status_code == 404
    assert "status_note" not in client.get(f"/api/v1/reports/{other['id']}").json()["properties"]


def test_moderation_takes_only_what_it_names(client, keys):
    report = _new(client)
    url = f"/api/v1/reports/{report['id']}"
    sneaky = client.patch(
        url,
        json={"status": "verified", "kind": "litter", "id": str(uuid.uuid4())},
        headers=keys["moderator"],
    )
    assert sneaky.status_code == 422
    assert {tuple(e["loc"]) for e in sneaky.json()["errors"]} == {("kind",), ("id",)}
    needs_original = client.patch(url, json={"status": "duplicate"}, headers=keys["moderator"])
    assert needs_original.status_code == 422
    original = _new(client)
    marked = client.patch(
        url,
        json={"status": "duplicate", "duplicate_of": original["id"], "note": "same pump"},
        headers=keys["moderator"],
    )
    assert marked.json()["properties"]["duplicate_of"] == original["id"]
    assert client.get(url).json()["properties"]["status"] == "duplicate"


def test_writes_are_limited_per_address_and_per_key(client, settings, engine):
    client.app.state.settings = settings.model_copy(
        update={"anonymous_writes_per_minute": 3, "key_writes_per_minute": 4}
    )
    with engine.begin() as conn:
        _, key = create_key(conn, name="quota test", role="volunteer")
    volunteer = {"Authorization": f"Bearer {key}"}
    phone = TestClient(client.app, client=(f"192.0.2.{uuid.uuid4().int % 250}", 4000))
    other_phone = TestClient(client.app, client=("198.51.100.9", 4000))
    try:
        # Quotas count per clock minute: start early in one so it does not roll over mid-test.
        second = datetime.now(UTC).second + datetime.now(UTC).microsecond / 1e6
        if second > 50:
            time.sleep(60.5 - second)
        codes = [phone.post("/api/v1/reports", json=make_report()).status_code for _ in range(5)]
        assert codes == [201, 201, 201, 429, 429]
        limited = phone.post("/api/v1/reports", json=make_report())
        assert 1 <= int(limited.headers["retry-after"]) <= 61
        assert limited.headers["content-type"] == "application/problem+json"
        assert other_phone.post("/api/v1/reports", json=make_report()).status_code == 201
        keyed = [
            phone.post("/api/v1/reports", json=make_report(), headers=volunteer).status_code
            for _ in range(5)
        ]
        assert keyed == [201, 201, 201, 201, 429]
    finally:
        client.app.state.settings = settings


def test_exact_locations_for_moderators_and_planners_only(client, keys, settings):
    lon, lat = -0.2061, 5.5913
    report = client.post(
        "/api/v1/reports",
        json=make_report(
            lon=lon, lat=lat, sensitive=True, reporter={"sex": "female", "age_group": "25-44"}
        ),
    ).json()
    url = f"/api/v1/reports/{report['id']}"
    cell = h3.latlng_to_cell(lat, lon, settings.public_h3_resolution)
    for headers in ({}, keys["volunteer"]):
        props = client.get(url, headers=headers).json()
        assert props["geometry"]["coordinates"] != [lon, lat]
        assert props["properties"]["h3"] == cell
    for role in ("moderator", "planner", "admin"):
        feature = client.get(url, headers=keys[role]).json()
        assert feature["geometry"]["coordinates"] == [lon, lat]
    for headers in ({}, *keys.values()):
        assert "reporter" not in client.get(url, headers=headers).json()["properties"]


def test_quality_flags_at_ingest(client, settings):
    lon, lat = -1.7001, 6.6001
    first = _new(client, lon=lon, lat=lat, category="school")
    near = _new(client, lon=lon + 0.0002, lat=lat, category="school")
    far = _new(client, lon=lon + 0.01, lat=lat, category="school")
    other = _new(client, lon=lon, lat=lat, category="police")
    assert "possible_duplicate" not in first["properties"]["quality"]
    assert "possible_duplicate" in near["properties"]["quality"]
    assert "possible_duplicate" not in far["properties"]["quality"]
    assert "possible_duplicate" not in other["properties"]["quality"]
    # 40 m apart east-west at 65 degrees north is 0.00085 degrees of longitude.
    _new(client, lon=25.0, lat=65.0, category="school")
    north = _new(client, lon=25.00085, lat=65.0, category="school")
    assert "possible_duplicate" in north["properties"]["quality"]
    old = (datetime.now(UTC) - timedelta(days=settings.old_observation_days + 5)).isoformat()
    assert "old_observation" in _new(client, observed_at=old)["properties"]["quality"]
    vague = _new(client, accuracy_m=settings.low_accuracy_m + 1)
    assert "low_accuracy" in vague["properties"]["quality"]


def test_a_burst_from_one_sender_is_flagged(client, settings, keys):
    client.app.state.settings = settings.model_copy(update={"burst_reports": 3})
    try:
        flags = [_new(client)["properties"]["quality"] for _ in range(5)]
    finally:
        client.app.state.settings = settings
    assert ["burst" in f for f in flags][-1] is True
