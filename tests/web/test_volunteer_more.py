"""The volunteer page's campaigns, photos and "I looked here", in a real Chromium against a real
server, on SpatiaLite and PostGIS.

Every wait is on a condition in the page, never a sleep. Everything the page sends goes through
the outbox, so each test also checks that it is stored once, online or after being offline.
"""

from __future__ import annotations

import base64
import io
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from PIL import ExifTags, Image

from mapping.settings import Settings
from mapping.storage import campaigns as campaign_store
from mapping.storage.tables import effort_visits, report_photos, reports
from tests.conftest import settings_for
from tests.photos import phone_jpeg
from tests.web.conftest import ACCRA, LiveServer, Visit

pytestmark = pytest.mark.slow

PHOTO_MAX_EDGE = 640


@pytest.fixture(scope="module")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The shared test settings, with photos kept in a temporary directory and a small edge, so
    that shrinking on the phone shows."""
    return settings_for(
        database_url, tmp_path_factory, photo_max_edge=PHOTO_MAX_EDGE, webhook_worker_interval_s=0
    )


@dataclass(frozen=True)
class Campaigns:
    active: dict[str, Any]
    ended: dict[str, Any]
    demo: str


def _iso(when: datetime) -> str:
    return when.isoformat().replace("+00:00", "Z")


@pytest.fixture(scope="module")
def campaigns(live_server: LiveServer, keys: dict[str, dict[str, str]]) -> Campaigns:
    """An active and an ended campaign opened by a planner through the API, and a demo one."""
    now = datetime.now(UTC)
    made = {}
    for name, start, end in [
        ("active", now - timedelta(days=2), now + timedelta(days=20)),
        ("ended", now - timedelta(days=30), now - timedelta(days=10)),
    ]:
        body = {
            "slug": f"beach-{name}-{uuid.uuid4().hex[:6]}",
            "title": f"Beach clean-up ({name})",
            "description": "Count what lies on the beach <b>between the groynes</b>.",
            "kind": "litter",
            "categories": ["cleanup"],
            "area": "T-ACC",
            "start": _iso(start),
            "end": _iso(end),
        }
        answer = httpx.post(
            live_server.url + "/api/v1/campaigns", json=body, headers=keys["planner"], timeout=30
        )
        assert answer.status_code == 201, answer.text
        made[name] = answer.json()
    demo = f"demo-{uuid.uuid4().hex[:6]}"
    with live_server.engine.begin() as conn:
        campaign_store.save_campaign(
            conn,
            slug=demo,
            title="Demonstration hotspots",
            description="Synthetic data.",
            kind="hotspot",
            categories=[],
            area=None,
            start=now - timedelta(days=1),
            end=now + timedelta(days=5),
            demo=True,
        )
    return Campaigns(made["active"], made["ended"], demo)


# ---- helpers ---------------------------------------------------------------------------------


def _ready(visit: Visit, query: str = "") -> None:
    visit.open("/report" + query)
    visit.page.wait_for_function("document.querySelectorAll('#category option').length > 0")


def _ready_offline_capable(visit: Visit) -> None:
    _ready(visit)
    visit.page.wait_for_function("navigator.serviceWorker.controller !== null")


def _pin(visit: Visit, lon: float = ACCRA[0], lat: float = ACCRA[1]) -> None:
    visit.page.fill("#lat", str(lat))
    visit.page.fill("#lon", str(lon))


def _hotspot(visit: Visit, description: str) -> None:
    page = visit.page
    _pin(visit)
    page.select_option("#kind", "hotspot")
    page.select_option("#severity", "2")
    page.fill("#description", description)


def _sent_report(visit: Visit) -> tuple[str, str]:
    """The id and receipt of the report the page says was received."""
    link = visit.page.locator("#result .notice.ok a")
    link.wait_for()
    href = link.get_attribute("href")
    report_id, receipt = href.split("/")[2].split("?receipt=")
    return report_id, receipt


def _report_row(visit: Visit, **where: Any) -> Any:
    query = sa.select(reports)
    for name, value in where.items():
        query = query.where(reports.c[name] == value)
    with visit.server.engine.connect() as conn:
        return conn.execute(query).one()


def _photo_rows(visit: Visit, report_id: uuid.UUID) -> int:
    query = sa.select(sa.func.count()).where(report_photos.c.report_id == report_id)
    with visit.server.engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


def _visits(visit: Visit, client_ids: list[str]) -> list[Any]:
    ids = [uuid.UUID(c) for c in client_ids]
    query = sa.select(effort_visits).where(effort_visits.c.client_id.in_(ids))
    with visit.server.engine.connect() as conn:
        return list(conn.execute(query).mappings())


def _outbox_empty(visit: Visit) -> None:
    visit.page.wait_for_selector("#outbox-count[data-count='0']", state="attached")


def _kept_photo_keys(visit: Visit) -> list[str]:
    return visit.page.evaluate("CivicMap.photoStore.keys()")  # type: ignore[no-any-return]


@pytest.fixture
def phone_jpeg_file(tmp_path: Path) -> Iterator[Path]:
    """A phone's photo, larger than the edge, turned on its side (EXIF orientation 6), with a
    GPS position in its EXIF."""
    path = tmp_path / "beach.jpg"
    path.write_bytes(phone_jpeg((1600, 1200), orientation=6))
    assert Image.open(path).getexif().get_ifd(ExifTags.IFD.GPSInfo)
    yield path


# ---- campaigns -------------------------------------------------------------------------------


def test_active_campaigns_are_offered_and_sent(phone: Visit, campaigns: Campaigns) -> None:
    page = phone.page
    active = campaigns.active["slug"]
    _ready(phone)
    page.wait_for_selector(f"#campaign option[value='{active}']", state="attached")
    options = page.eval_on_selector_all(
        "#campaign option", "os => os.map(o => [o.value, o.textContent])"
    )
    values = [value for value, _ in options]
    assert options[0] == ["", "No campaign"]
    assert campaigns.ended["slug"] not in values
    assert dict(options)[campaigns.demo] == "Demonstration hotspots (demo)"

    page.select_option("#campaign", active)
    assert page.input_value("#kind") == "litter"
    categories = page.eval_on_selector_all("#category option", "os => os.map(o => o.value)")
    assert categories == ["cleanup"]
    hint = page.inner_text("#campaign-hint")
    assert "Beach clean-up (active)" in hint and "Runs until" in hint
    assert "<b>between the groynes</b>" in hint  # text, not markup
    phone.screenshot("report-campaign")

    page.select_option("#campaign", "")
    categories = page.eval_on_selector_all("#category option", "os => os.map(o => o.value)")
    assert set(categories) == {"monitoring", "cleanup", "sighting"}
    assert page.inner_text("#campaign-hint") == ""

    page.select_option("#campaign", active)
    _pin(phone)
    page.click("#send")
    report_id, _ = _sent_report(phone)
    row = _report_row(phone, id=uuid.UUID(report_id))
    assert (row.kind, row.category, row.campaign) == ("litter", "cleanup", active)
    assert "outside_campaign" not in row.quality
    assert phone.console.errors == []


def test_a_campaign_from_the_link_is_sent_even_when_not_listed(
    phone: Visit, campaigns: Campaigns
) -> None:
    page = phone.page
    active = campaigns.active["slug"]
    _ready(phone, "?campaign=kept-offline-only")
    page.wait_for_selector(f"#campaign option[value='{active}']", state="attached")
    assert page.input_value("#campaign") == "kept-offline-only"
    _hotspot(phone, "from a campaign link")
    page.click("#send")
    report_id, _ = _sent_report(phone)
    row = _report_row(phone, id=uuid.UUID(report_id))
    assert row.campaign == "kept-offline-only"
    assert "unknown_campaign" in row.quality
    assert phone.console.errors == []


def test_the_campaign_list_is_kept_for_offline_use(phone: Visit, campaigns: Campaigns) -> None:
    page, context = phone.page, phone.context
    active = campaigns.active["slug"]
    _ready_offline_capable(phone)
    page.wait_for_selector(f"#campaign option[value='{active}']", state="attached")
    context.set_offline(True)
    page.reload()
    page.wait_for_selector(f"#campaign option[value='{active}']", state="attached")
    context.set_offline(False)
    assert phone.console.errors == []


# ---- photos ----------------------------------------------------------------------------------


def test_a_report_with_a_photo_arrives_without_its_gps(phone: Visit, phone_jpeg_file: Path) -> None:
    page = phone.page
    _ready(phone)
    page.set_input_files("#photos", str(phone_jpeg_file))
    page.wait_for_selector("#photo-list li")
    assert page.locator("#photo-list li").count() == 1
    assert page.is_visible("#photo-list button:has-text('Remove')")
    phone.screenshot("report-photo")
    _hotspot(phone, "with a photo")
    page.click("#send")
    report_id, receipt = _sent_report(phone)
    row = _report_row(phone, id=uuid.UUID(report_id))
    assert row.photo_count == 1
    assert _photo_rows(phone, row.id) == 1

    base = f"{phone.server.url}/api/v1/reports/{report_id}/photos/1"
    answer = httpx.get(base, params={"receipt": receipt}, timeout=30)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "image/jpeg"
    image = Image.open(io.BytesIO(answer.content))
    assert image.format == "JPEG"
    assert not image.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    # Upright (the EXIF orientation turned it) and no larger than the edge.
    assert image.size == (480, 640)
    assert _kept_photo_keys(phone) == []
    assert "1 photo" in page.inner_text("#mine")
    assert phone.console.errors == []


def test_a_photo_taken_offline_is_sent_once_back_online(
    phone: Visit, phone_jpeg_file: Path
) -> None:
    page, context = phone.page, phone.context
    _ready_offline_capable(phone)
    context.set_offline(True)
    page.set_input_files("#photos", str(phone_jpeg_file))
    page.wait_for_selector("#photo-list li")
    _hotspot(phone, "offline, with a photo")
    page.click("#send")
    page.wait_for_selector("#outbox-count[data-count='1']")
    item = page.evaluate("CivicMap.outbox.items()[0]")
    client_id = item["client_id"]
    assert item["photos"] == 1
    assert _kept_photo_keys(phone) == [client_id]
    assert page.locator("#photo-list li").count() == 0  # the form is ready for the next one
    # Shrunk on the phone, once: upright, within the edge, no EXIF left.
    kept = page.evaluate(
        """id => CivicMap.photoStore.get(id).then(blobs => {
               window.keptPhotos = blobs;
               return Promise.all([createImageBitmap(blobs[0]), blobs[0].arrayBuffer()]);
           }).then(([bitmap, buffer]) => ({
               type: window.keptPhotos[0].type, width: bitmap.width, height: bitmap.height,
               data: btoa(String.fromCharCode(...new Uint8Array(buffer))),
           }))""",
        client_id,
    )
    assert (kept["type"], kept["width"], kept["height"]) == ("image/jpeg", 480, 640)
    assert b"Exif" not in base64.b64decode(kept["data"])
    assert "No connection" in page.inner_text("#result")
    phone.screenshot("report-photo-offline")

    context.set_offline(False)
    _outbox_empty(phone)
    row = _report_row(phone, client_id=uuid.UUID(client_id))
    assert row.photo_count == 1 and _photo_rows(phone, row.id) == 1
    assert _kept_photo_keys(phone) == []

    # A send whose answer was lost: the same report and photo go again, nothing new is stored.
    page.evaluate(
        """item => CivicMap.photoStore.put(item.client_id, window.keptPhotos)
               .then(() => { CivicMap.outbox.add(item.feature, {photos: 1}); })""",
        item,
    )
    page.evaluate("CivicMap.outbox.flush()")
    _outbox_empty(phone)
    with phone.server.engine.connect() as conn:
        rows = conn.execute(
            sa.select(reports.c.id).where(reports.c.client_id == uuid.UUID(client_id))
        ).all()
    assert len(rows) == 1 and _photo_rows(phone, rows[0].id) == 1
    assert _kept_photo_keys(phone) == []
    assert phone.console.errors == []


def test_a_file_that_is_not_a_photo_is_refused_on_the_page(phone: Visit) -> None:
    page = phone.page
    _ready(phone)
    page.set_input_files(
        "#photos", files=[{"name": "notes.txt", "mimeType": "text/plain", "buffer": b"hello"}]
    )
    page.wait_for_selector("#photos-status.photo-message")
    assert "“notes.txt” is not a photo this page can send" in page.inner_text("#photos-status")
    assert page.locator("#photo-list li").count() == 0
    phone.screenshot("report-photo-refused")
    _hotspot(phone, "no photo after all")
    page.click("#send")
    report_id, _ = _sent_report(phone)
    assert _report_row(phone, id=uuid.UUID(report_id)).photo_count == 0
    assert _kept_photo_keys(phone) == []
    assert phone.console.errors == []


def test_more_photos_than_allowed_are_refused(phone: Visit, tmp_path: Path) -> None:
    page = phone.page
    _ready(phone)
    files = []
    for i in range(4):
        path = tmp_path / f"p{i}.png"
        Image.new("RGB", (40 + i, 30), (10 * i, 80, 120)).save(path, "PNG")
        files.append(str(path))
    page.set_input_files("#photos", files)
    page.wait_for_selector("#photos-status.photo-message")
    assert page.locator("#photo-list li").count() == 3
    assert "at most 3 photos" in page.inner_text("#photos-status")
    page.locator("#photo-list li").nth(1).locator("button").click()
    assert page.locator("#photo-list li").count() == 2
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert phone.console.errors == []


def test_a_photo_the_server_refuses_is_explained_and_the_report_can_be_put_back(
    phone: Visit,
) -> None:
    page = phone.page
    _ready(phone)
    # Typed as a JPEG but not one: the browser cannot decode it, so it goes as it is, and the
    # server says which part to fix.
    page.set_input_files(
        "#photos", files=[{"name": "broken.jpg", "mimeType": "image/jpeg", "buffer": b"no"}]
    )
    page.wait_for_selector("#photo-list li")
    _hotspot(phone, "keep this text")
    page.click("#send")
    notice = page.locator("#result .notice.bad")
    notice.wait_for()
    assert "Photo 1 could not be used" in notice.inner_text()
    assert page.evaluate("CivicMap.outbox.count()") == 0
    assert _kept_photo_keys(phone) == []
    phone.screenshot("report-photo-rejected")
    page.click("#result button:has-text('Put it back in the form')")
    assert page.input_value("#description") == "keep this text"
    assert page.input_value("#kind") == "hotspot"
    assert page.input_value("#severity") == "2"
    assert page.locator("#photo-list li").count() == 0  # the refused photo stays out
    # The only console error is the browser's note of the refused request.
    assert all("status of 4" in e and "/api/v1/reports" in e for e in phone.console.errors)


# ---- "I looked here" ---------------------------------------------------------------------------


def test_i_looked_here_records_a_visit_also_offline(phone: Visit, campaigns: Campaigns) -> None:
    page, context = phone.page, phone.context
    active = campaigns.active["slug"]
    _ready_offline_capable(phone)
    page.click("#looked-here")
    assert "Place the pin first" in page.inner_text("#effort-status")
    assert page.evaluate("CivicMap.outbox.count()") == 0

    page.wait_for_selector(f"#campaign option[value='{active}']", state="attached")
    page.select_option("#campaign", active)
    _pin(phone)
    context.set_offline(True)
    page.click("#looked-here")
    page.wait_for_selector("#outbox-count[data-count='1']")
    assert "Recorded: you looked here" in page.inner_text("#effort-status")
    assert "visit" in page.inner_text("#outbox-text")
    item = page.evaluate("CivicMap.outbox.items()[0]")
    assert item["type"] == "effort"
    assert _visits(phone, [item["client_id"]]) == []
    phone.screenshot("report-looked-here-offline")

    context.set_offline(False)
    _outbox_empty(phone)
    page.wait_for_selector("#effort-status .notice.ok >> text=Received")
    (stored,) = _visits(phone, [item["client_id"]])
    assert stored["campaign"] == active and stored["kind"] == "litter"
    assert stored["geometry"]["type"] == "Point"
    assert stored["geometry"]["coordinates"] == [ACCRA[0], ACCRA[1]]

    # Replayed after a lost answer: still one visit.
    page.evaluate(
        "f => CivicMap.outbox.add(f, {type: 'effort'}) || CivicMap.outbox.flush()",
        item["feature"],
    )
    _outbox_empty(phone)
    assert len(_visits(phone, [item["client_id"]])) == 1
    assert phone.console.errors == []


def test_a_report_can_count_as_a_visit(phone: Visit) -> None:
    page, context = phone.page, phone.context
    _ready_offline_capable(phone)
    assert not page.is_checked("#count-visit")
    context.set_offline(True)
    _hotspot(phone, "counted as a visit")
    page.check("#count-visit")
    page.click("#send")
    page.wait_for_selector("#outbox-count[data-count='2']")
    assert "items (1 report, 1 visit)" in page.inner_text("#outbox-text")
    queued = page.evaluate("CivicMap.outbox.items()")
    assert [i.get("type") for i in queued] == ["report", "effort"]
    report, effort = (i["feature"]["properties"] for i in queued)
    assert effort["started_at"] == effort["ended_at"] == report["observed_at"]
    assert effort["kind"] == "hotspot"
    context.set_offline(False)
    _outbox_empty(phone)
    assert len(_visits(phone, [queued[1]["client_id"]])) == 1
    assert mine_reports(page) == 1
    assert phone.console.errors == []


def mine_reports(page: Any) -> int:
    """The reports listed under "Your reports on this phone" (visits are not listed)."""
    return int(page.evaluate("CivicMap.outbox.mine().length"))


def _move(visit: Visit, lon: float, lat: float, points: int, accuracy: float = 5) -> None:
    visit.context.set_geolocation({"latitude": lat, "longitude": lon, "accuracy": accuracy})
    if points:
        visit.page.wait_for_selector(f"#walk-status[data-points='{points}']")


def test_a_recorded_walk_is_one_visit_over_many_cells(phone: Visit) -> None:
    page, context = phone.page, phone.context
    lon, lat = ACCRA
    context.grant_permissions(["geolocation"])
    context.set_geolocation({"latitude": lat, "longitude": lon, "accuracy": 5})
    _ready(phone)
    page.select_option("#kind", "litter")
    page.click("#walk-start")
    page.wait_for_selector("#walk-status[data-points='1']")
    assert page.is_visible("#walk-stop") and not page.is_visible("#walk-start")
    _move(phone, lon + 0.0005, lat, 2)
    # A vague fix is not counted.
    _move(phone, lon + 0.01, lat, 0, accuracy=500)
    page.wait_for_selector("#walk-status >> text=closer location fix")
    _move(phone, lon + 0.0010, lat + 0.0002, 3)
    # A reload (or a crash) keeps the walk, and recording goes on.
    page.reload()
    page.wait_for_selector("#walk-status[data-points='3']")
    assert "still being recorded" in page.inner_text("#effort-status")
    _move(phone, lon + 0.0015, lat + 0.0004, 4)
    assert "m walked" in page.inner_text("#walk-status")
    phone.screenshot("report-walk")
    page.click("#walk-stop")
    # "Recorded" until it is sent, "Received" after: on a quick server the first may not last.
    page.wait_for_selector("#effort-status .notice >> text=/Recorded: you walked|Received/")
    _outbox_empty(phone)
    page.wait_for_selector("#effort-status .notice.ok >> text=Received")
    assert page.evaluate("localStorage.getItem('civicmap.walk.v1')") is None
    assert page.is_visible("#walk-start")
    with phone.server.engine.connect() as conn:
        stored = (
            conn.execute(
                sa.select(effort_visits)
                .where(effort_visits.c.kind == "litter")
                .order_by(effort_visits.c.seq.desc())
            )
            .mappings()
            .first()
        )
    assert stored is not None
    assert stored["geometry"]["type"] == "LineString"
    assert len(stored["geometry"]["coordinates"]) == 4
    assert stored["cell_count"] > 1
    assert stored["length_m"] > 150
    assert stored["started_at"] <= stored["ended_at"]
    assert phone.console.errors == []


def test_a_walk_says_when_location_is_not_allowed(phone: Visit) -> None:
    page = phone.page
    _ready(phone)
    page.click("#walk-start")
    page.wait_for_selector("#effort-status .notice.bad")
    assert "Location is not allowed" in page.inner_text("#effort-status")
    assert page.is_visible("#walk-start")
    assert page.evaluate("localStorage.getItem('civicmap.walk.v1')") is None
    assert phone.console.errors == []
