"""Issue 8 as a new user tries it, end to end on a real server, in Chromium, on both backends.

A planner opens a campaign for Greater Accra's beaches; a volunteer on a phone picks it, counts
litter and attaches a phone photo that carries GPS in its EXIF; the stored photo has none. A walk
along a beach where nothing was found, recorded on the phone, shows on /map as "looked, nothing
found". A webhook receiver gets the signed report after failing twice, and the region's Atom
feed lists it.
"""

from __future__ import annotations

import io
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser
import httpx
import pytest
import shapely
import sqlalchemy as sa
from PIL import ExifTags, Image

from mapping.areas.files import Boundaries
from mapping.settings import Settings
from mapping.storage.tables import effort_visits, reports
from tests.api.test_alerts import SECRET, Receiver
from tests.conftest import settings_for
from tests.photos import jpeg_segments, phone_jpeg
from tests.web.conftest import Visit
from tests.web.test_browser import _toggle_overlay, _wait_layer

pytestmark = pytest.mark.slow

LABADI = (-0.1486, 5.5600)  # Labadi beach, Greater Accra
# A stretch of shore east of Labadi, walked without finding anything to report.
WALK = [(-0.130, 5.570), (-0.125, 5.575), (-0.120, 5.580), (-0.115, 5.585)]
CAMPAIGN = "accra-beaches"
APP1 = 0xE1  # the JPEG segment that carries EXIF (and XMP)


@pytest.fixture(scope="module")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Webhook retries within a second, so the test sees two failures and a success."""
    return settings_for(
        database_url,
        tmp_path_factory,
        webhook_worker_interval_s=0.1,
        webhook_backoff_base_s=0.2,
        webhook_backoff_max_s=1.0,
    )


@pytest.fixture(scope="module")
def seeded(ghana_regions: Boundaries) -> None:
    """Ghana's real regions, nothing else."""
    accra = ghana_regions.frame.set_index("code").geometry["GH-AA"]
    assert accra.contains(shapely.Point(LABADI))
    assert all(accra.contains(shapely.Point(p)) for p in WALK)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    made = Receiver(failures=2)
    yield made
    made.close()


def _gps_of(jpeg: bytes) -> dict:
    return dict(Image.open(io.BytesIO(jpeg)).getexif().get_ifd(ExifTags.IFD.GPSInfo))


def test_a_beach_campaign_from_opening_to_alerts(
    phone: Visit, desktop: Visit, keys: dict, receiver: Receiver, tmp_path: Path
) -> None:
    url = phone.server.url
    now = datetime.now(UTC)

    # The planner opens the campaign; an admin points a webhook at the receiver.
    campaign = {
        "slug": CAMPAIGN,
        "title": "Greater Accra beaches",
        "description": "Count litter on 100 m of beach.",
        "kind": "litter",
        "categories": ["monitoring"],
        "area": "GH-AA",
        "start": (now - timedelta(days=1)).isoformat(),
        "end": (now + timedelta(days=30)).isoformat(),
    }
    answer = httpx.post(f"{url}/api/v1/campaigns", json=campaign, headers=keys["planner"])
    assert answer.status_code == 201, answer.text
    hook = {"url": receiver.url, "secret": SECRET, "filter": {"campaign": CAMPAIGN}}
    answer = httpx.post(f"{url}/api/v1/webhooks", json=hook, headers=keys["admin"])
    assert answer.status_code == 201, answer.text

    # The volunteer picks the campaign, counts litter at Labadi and attaches a phone photo.
    photo = tmp_path / "IMG_0001.jpg"
    photo.write_bytes(phone_jpeg(size=(1600, 1200)))
    assert _gps_of(photo.read_bytes())
    page = phone.page
    phone.open("/report")
    page.wait_for_function(f"!!document.querySelector('#campaign option[value=\"{CAMPAIGN}\"]')")
    page.select_option("#campaign", CAMPAIGN)
    assert page.input_value("#kind") == "litter"
    page.fill("#lat", str(LABADI[1]))
    page.fill("#lon", str(LABADI[0]))
    page.locator("#items .item-count").first.fill("12")
    page.set_input_files("#photos", str(photo))
    page.click("#send")
    link = page.locator("#result .notice.ok a")
    link.wait_for()
    report_id, receipt = link.get_attribute("href").split("/")[2].split("?receipt=")
    phone.screenshot("story-report-sent")

    with phone.server.engine.connect() as conn:
        row = conn.execute(sa.select(reports).where(reports.c.id == uuid.UUID(report_id))).one()
    assert (row.kind, row.campaign, row.area_1) == ("litter", CAMPAIGN, "GH-AA")
    assert "outside_campaign" not in row.quality
    stored = httpx.get(f"{url}/api/v1/reports/{report_id}/photos/1?receipt={receipt}")
    assert stored.status_code == 200 and stored.headers["content-type"] == "image/jpeg"
    assert _gps_of(stored.content) == {} and APP1 not in jpeg_segments(stored.content)

    # The status page shows the photo to the volunteer.
    link.click()
    page.wait_for_function(
        "() => { const img = document.querySelector('#report-status img');"
        " return img && img.complete && img.naturalWidth > 0; }"
    )

    # A walk along an empty stretch of beach, recorded on the phone as effort.
    phone.open("/report")
    page.wait_for_function(f"!!document.querySelector('#campaign option[value=\"{CAMPAIGN}\"]')")
    page.select_option("#campaign", CAMPAIGN)
    phone.context.grant_permissions(["geolocation"])
    lon, lat = WALK[0]
    phone.context.set_geolocation({"latitude": lat, "longitude": lon, "accuracy": 8})
    page.click("#walk-start")
    page.wait_for_selector("#walk-status[data-points='1']")
    for n, (lon, lat) in enumerate(WALK[1:], start=2):
        phone.context.set_geolocation({"latitude": lat, "longitude": lon, "accuracy": 8})
        page.wait_for_selector(f"#walk-status[data-points='{n}']")
    page.click("#walk-stop")
    page.wait_for_selector("#outbox-count[data-count='0']", state="attached")
    with phone.server.engine.connect() as conn:
        walks = conn.execute(
            sa.select(effort_visits.c.geometry, effort_visits.c.cell_count).where(
                effort_visits.c.campaign == CAMPAIGN
            )
        ).all()
    assert len(walks) == 1 and walks[0].geometry["type"] == "LineString"

    # The planner sees where people looked and found nothing.
    desktop.open(f"/map?campaign={CAMPAIGN}&resolution=8")
    _wait_layer(desktop, "hexes")
    _toggle_overlay(desktop, "Observer effort")
    _wait_layer(desktop, "effort")
    assert desktop.page.locator("path.cm-effort-empty").count() >= 2
    desktop.page.evaluate("CivicMap.planner.map().setView([5.575, -0.135], 13)")
    _wait_layer(desktop, "effort")
    desktop.screenshot("story-effort", full_page=False)

    # The receiver got the signed report after two failures; the region's feed lists it.
    deadline = time.monotonic() + 30
    while len(receiver.requests) < 3 and time.monotonic() < deadline:
        time.sleep(0.1)
    bodies = receiver.verified()
    assert len(bodies) == 3 and {b["report"]["id"] for b in bodies} == {report_id}
    assert bodies[-1]["event"] == "report.created"
    feed = feedparser.parse(httpx.get(f"{url}/api/v1/areas/GH-AA/feed.atom").content)
    assert not feed.bozo and report_id in " ".join(e.id for e in feed.entries)
    assert phone.console.errors == [] and desktop.console.errors == []
