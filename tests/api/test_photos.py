"""Reports with photos (multipart): stored clean or not at all, shown as privacy allows."""

from __future__ import annotations

import io
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import ExifTags, Image

from mapping.settings import Settings
from tests.conftest import count_reports, make_report, settings_for
from tests.photos import SVG, assert_no_metadata, phone_jpeg

MAX_PHOTO_BYTES = 300_000
MAX_PIXELS = 4_000_000


@pytest.fixture(scope="module")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Small photo caps, so that oversized files and bombs are cheap to make."""
    return settings_for(
        database_url,
        tmp_path_factory,
        max_photo_bytes=MAX_PHOTO_BYTES,
        max_photo_pixels=MAX_PIXELS,
        webhook_worker_interval_s=0,
    )


def stored_files(settings: Settings) -> list[Path]:
    return sorted(p for p in Path(settings.photo_dir).rglob("*") if p.is_file())


def post(
    client: TestClient,
    feature: dict[str, Any],
    photos: list[bytes],
    headers: dict[str, str] | None = None,
) -> Any:
    files = [("photo", (f"p{i}.jpg", data, "image/jpeg")) for i, data in enumerate(photos)]
    return client.post(
        "/api/v1/reports",
        data={"feature": json.dumps(feature)},
        files=files or None,
        headers=headers,
    )


def png(size: tuple[int, int], mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size).save(out, "PNG")
    return out.getvalue()


def noise_png(nbytes: int) -> bytes:
    side = int((nbytes / 3) ** 0.5) + 8
    out = io.BytesIO()
    Image.frombytes("RGB", (side, side), uuid.uuid4().bytes * (side * side * 3 // 16 + 1)).save(
        out, "PNG", compress_level=0
    )
    return out.getvalue()


def webp() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "orange").save(out, "WEBP")
    return out.getvalue()


def test_a_phone_photo_is_stored_without_its_gps_and_served_with_caching_headers(client):
    response = post(client, make_report("litter", lon=-0.1486, lat=5.5600), [phone_jpeg()])
    assert response.status_code == 201, response.text
    report = response.json()
    links = report["properties"]["photos"]
    assert links == [
        {
            "url": f"/api/v1/reports/{report['id']}/photos/1",
            "thumb": f"/api/v1/reports/{report['id']}/photos/1/thumb",
        }
    ]
    photo = client.get(links[0]["url"])
    assert photo.status_code == 200
    assert photo.headers["content-type"] == "image/jpeg"
    assert photo.headers["cache-control"].startswith("public, max-age=")
    assert photo.headers["x-content-type-options"] == "nosniff"
    assert_no_metadata(photo.content)
    assert not Image.open(io.BytesIO(photo.content)).getexif().get_ifd(ExifTags.IFD.GPSInfo)
    again = client.get(links[0]["url"], headers={"If-None-Match": photo.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    thumb = client.get(links[0]["thumb"])
    assert thumb.status_code == 200 and thumb.headers["etag"] != photo.headers["etag"]
    assert_no_metadata(thumb.content)
    assert (
        client.get(report["id"] and f"/api/v1/reports/{report['id']}").json()["properties"][
            "photos"
        ]
        == links
    )
    assert client.get(f"/api/v1/reports/{report['id']}/photos/2").status_code == 404


def test_up_to_three_photos_of_any_accepted_format(client, settings):
    photos = [phone_jpeg(), png((50, 40), "RGBA"), webp()]
    report = post(client, make_report(), photos).json()
    assert len(report["properties"]["photos"]) == 3
    for n in (1, 2, 3):
        served = client.get(f"/api/v1/reports/{report['id']}/photos/{n}")
        assert Image.open(io.BytesIO(served.content)).format == "JPEG"
    before, files = count_reports(client.app.state.engine), stored_files(settings)
    four = post(client, make_report(), [*photos, webp()])
    assert four.status_code == 422
    assert four.headers["content-type"] == "application/problem+json"
    assert count_reports(client.app.state.engine) == before and stored_files(settings) == files


def test_a_report_without_photos_may_come_as_multipart_too(client):
    feature = make_report()
    as_file = client.post(
        "/api/v1/reports",
        files={"feature": ("f.json", json.dumps(feature).encode(), "application/json")},
    )
    assert as_file.status_code == 201, as_file.text
    assert as_file.json()["properties"]["photos"] == []
    # An HTML form's empty file input: a part with no name and no bytes.
    empty = client.post(
        "/api/v1/reports",
        data={"feature": json.dumps(make_report())},
        files=[("photo", ("", b"", "application/octet-stream"))],
    )
    assert empty.status_code == 201, empty.text
    stray = client.post(
        "/api/v1/reports",
        data={"feature": json.dumps(make_report()), "comment": "hi"},
        files=[("photo", ("p.jpg", phone_jpeg(), "image/jpeg"))],
    )
    assert stray.status_code == 422
    assert stray.json()["errors"][0]["loc"] == ["body", "comment"]
    assert post(client, {"type": "Feature"}, [phone_jpeg()]).status_code == 422
    # A plain HTML form post (urlencoded) cannot carry photos: it is not accepted.
    form = client.post("/api/v1/reports", data={"feature": json.dumps(make_report())})
    assert form.status_code == 415


def _truncated() -> bytes:
    whole = phone_jpeg((400, 300))
    return whole[: len(whole) * 2 // 3]  # headers whole, image data cut


@pytest.mark.parametrize(
    ("bad", "status"),
    [
        (lambda: b"%PDF-1.4 not an image", 415),
        (lambda: SVG, 415),
        (_truncated, 422),
        (lambda: noise_png(MAX_PHOTO_BYTES + 10_000), 413),
        (lambda: png((2500, 2500), "1"), 413),  # 6.25 million pixels in a few kilobytes
    ],
    ids=["not-an-image", "svg", "truncated", "oversized", "decompression-bomb"],
)
def test_bad_files_are_refused_and_nothing_is_stored(client, settings, bad, status):
    engine = client.app.state.engine
    before, files = count_reports(engine), stored_files(settings)
    feature = make_report()
    response = post(client, feature, [phone_jpeg(), bad()])
    assert response.status_code == status, response.text
    problem = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    assert problem["status"] == status and problem["errors"][0]["loc"] == ["photo", 2]
    assert count_reports(engine) == before
    assert stored_files(settings) == files
    # The same client id is still free: the report was not kept without its photos.
    assert post(client, feature, [phone_jpeg()]).status_code == 201


def test_a_failure_after_the_files_are_written_removes_them(client, settings, monkeypatch):
    from mapping.storage import photos as photo_rows

    def fail(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(photo_rows, "insert_photos", fail)
    engine = client.app.state.engine
    before, files = count_reports(engine), stored_files(settings)
    quiet = TestClient(client.app, raise_server_exceptions=False)
    response = post(quiet, make_report(), [phone_jpeg(), webp()])
    assert response.status_code == 500
    assert "disk full" not in response.text
    assert count_reports(engine) == before and stored_files(settings) == files


def test_a_replayed_multipart_submission_stores_nothing_new(client, settings):
    feature, photo = make_report(), phone_jpeg()
    first = post(client, feature, [photo])
    assert first.status_code == 201
    before, files = count_reports(client.app.state.engine), stored_files(settings)
    again = post(client, feature, [photo])
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert "receipt" not in again.json()
    other_photo = post(client, feature, [webp()])
    assert other_photo.status_code == 409
    without_photo = client.post("/api/v1/reports", json=feature)
    assert without_photo.status_code == 409
    assert count_reports(client.app.state.engine) == before and stored_files(settings) == files


def test_photos_of_sensitive_hidden_and_rejected_reports_are_for_moderators(client, keys):
    sensitive = post(client, make_report(sensitive=True), [phone_jpeg()]).json()
    url = f"/api/v1/reports/{sensitive['id']}/photos/1"
    assert client.get(f"/api/v1/reports/{sensitive['id']}").json()["properties"]["photos"] == []
    for headers in ({}, keys["volunteer"], keys["planner"]):
        assert client.get(url, headers=headers).status_code == 404
        assert client.get(f"{url}/thumb", headers=headers).status_code == 404
    seen = client.get(url, headers=keys["moderator"])
    assert seen.status_code == 200 and seen.headers["cache-control"] == "private, no-store"
    listed = client.get(f"/api/v1/reports/{sensitive['id']}", headers=keys["moderator"]).json()
    assert len(listed["properties"]["photos"]) == 1
    # Its sender holds the receipt and may look at it.
    own = client.get(url, params={"receipt": sensitive["receipt"]})
    assert own.status_code == 200 and own.headers["cache-control"] == "private, no-store"
    assert client.get(url, params={"receipt": "x" * 32}).status_code == 404

    for status in ("hidden", "rejected"):
        report = post(client, make_report(), [phone_jpeg()]).json()
        url = f"/api/v1/reports/{report['id']}/photos/1"
        assert client.get(url).status_code == 200
        change = {"status": status, "note": "shows a face"}
        moderated = client.patch(
            f"/api/v1/reports/{report['id']}", json=change, headers=keys["moderator"]
        )
        assert moderated.status_code == 200
        assert client.get(url).status_code == 404
        assert client.get(url, headers=keys["volunteer"]).status_code == 404
        assert client.get(url, headers=keys["moderator"]).status_code == 200


def test_the_photo_body_cap_applies_only_to_multipart_reports(client, settings):
    too_big = b"x" * (settings.max_upload_body_bytes + 1)
    multipart = client.post(
        "/api/v1/reports",
        content=too_big,
        headers={"content-type": "multipart/form-data; boundary=x"},
    )
    assert multipart.status_code == 413
    json_body = b'{"type": "Feature", "pad": "' + b"x" * settings.max_body_bytes + b'"}'
    plain = client.post(
        "/api/v1/reports", content=json_body, headers={"content-type": "application/json"}
    )
    assert plain.status_code == 413
