"""The reporter's status page lists their own photos, with links that carry the receipt, so the
sender sees them whatever became of the report; without the receipt those links give nothing."""

from __future__ import annotations

import io
import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from mapping.settings import Settings
from tests.conftest import make_report, settings_for
from tests.photos import assert_no_metadata, phone_jpeg


@pytest.fixture(scope="module")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Photos in a directory of this module's own."""
    return settings_for(database_url, tmp_path_factory, webhook_worker_interval_s=0)


def send(client: TestClient, feature: dict[str, Any], photos: list[bytes]) -> dict[str, Any]:
    files = [("photo", (f"p{i}.jpg", data, "image/jpeg")) for i, data in enumerate(photos)]
    response = client.post(
        "/api/v1/reports", data={"feature": json.dumps(feature)}, files=files or None
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def status_of(client: TestClient, report: dict[str, Any]) -> dict[str, Any]:
    answer = client.get(
        f"/api/v1/reports/{report['id']}/status", params={"receipt": report["receipt"]}
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "no-store"
    return answer.json()  # type: ignore[no-any-return]


def without_query(url: str) -> str:
    return urlsplit(url).path


def assert_jpeg(response: Any) -> None:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/jpeg"
    assert response.headers["cache-control"] == "private, no-store"
    assert Image.open(io.BytesIO(response.content)).format == "JPEG"
    assert_no_metadata(response.content)


def test_the_status_lists_the_photos_with_the_receipt_in_each_link(client):
    report = send(client, make_report(), [phone_jpeg(), phone_jpeg((60, 40))])
    photos = status_of(client, report)["photos"]
    base = f"/api/v1/reports/{report['id']}/photos"
    assert [without_query(p["url"]) for p in photos] == [f"{base}/1", f"{base}/2"]
    assert [without_query(p["thumb"]) for p in photos] == [f"{base}/1/thumb", f"{base}/2/thumb"]
    for link in (photos[0]["url"], photos[1]["thumb"]):
        assert parse_qs(urlsplit(link).query) == {"receipt": [report["receipt"]]}
        served = client.get(link)
        assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"


@pytest.mark.parametrize("made", ["sensitive", "hidden", "rejected"])
def test_the_sender_sees_photos_the_public_may_not(client, keys, made):
    report = send(client, make_report(sensitive=made == "sensitive"), [phone_jpeg()])
    if made != "sensitive":
        change = {"status": made, "note": "shows a face"}
        moderated = client.patch(
            f"/api/v1/reports/{report['id']}", json=change, headers=keys["moderator"]
        )
        assert moderated.status_code == 200, moderated.text
    status = status_of(client, report)
    assert status["status"] == ("pending" if made == "sensitive" else made)
    [photo] = status["photos"]
    assert_jpeg(client.get(photo["url"]))
    assert_jpeg(client.get(photo["thumb"]))
    # The same photo without the receipt, or with another report's: nothing to see.
    for link in (photo["url"], photo["thumb"]):
        assert client.get(without_query(link)).status_code == 404
        assert client.get(without_query(link), headers=keys["planner"]).status_code == 404
    other = client.post("/api/v1/reports", json=make_report()).json()
    stolen = client.get(without_query(photo["url"]), params={"receipt": other["receipt"]})
    assert stolen.status_code == 404


def test_a_receipt_with_url_characters_stays_one_parameter():
    """Receipts are URL-safe tokens today; the links must not depend on it."""
    from mapping.disclosure.publish import View, photo_links

    row = {"id": "r1", "photo_count": 1, "sensitive": True, "status": "hidden"}
    [link] = photo_links(row, View(), receipt="a+b&c=d/e?f")
    assert parse_qs(urlsplit(link["url"]).query) == {"receipt": ["a+b&c=d/e?f"]}
    assert photo_links(row, View()) == []


def test_a_report_without_photos_lists_none(client):
    plain = client.post("/api/v1/reports", json=make_report())
    assert status_of(client, plain.json())["photos"] == []
    as_multipart = client.post(
        "/api/v1/reports",
        files={"feature": ("f.json", json.dumps(make_report()).encode(), "application/json")},
    )
    assert status_of(client, as_multipart.json())["photos"] == []
