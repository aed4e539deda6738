"""Observer effort on the planner map, and photos in map popups and on the status page, in a real
Chromium against a real server, on SpatiaLite and PostGIS.

Effort is recorded through the API: five walks along the beach between Teshie and Nungua, east of
the seeded reports (looked, nothing found), two stops inland (looked, nothing found, with the
visits suppressed), and five stops among the seeded service reports (looked and found). The
seeded hotspot and litter reports have no visit (reports, no recorded visit).
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from mapping.settings import Settings
from tests.conftest import make_report, settings_for
from tests.photos import phone_jpeg
from tests.web.conftest import ACCRA, LiveServer, Visit
from tests.web.test_browser import _toggle_overlay, _wait_layer

pytestmark = pytest.mark.slow

EFFORT_RESOLUTION = 9  # effort cells; hexagons finer than this carry no effort
BEACH = [[-0.120, 5.575], [-0.095, 5.583], [-0.070, 5.590]]  # about 5.5 km of shore
INLAND = [-0.080, 5.700]
NOBODY = (5.50, 0.10)  # lat, lon: no report and no visit near it
PHOTO_SPOT = (0.10, 5.66)  # lon, lat: in T-ESC, away from the seeded reports


@pytest.fixture(scope="module")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return settings_for(
        database_url,
        tmp_path_factory,
        effort_h3_resolution=EFFORT_RESOLUTION,
        webhook_worker_interval_s=0,
    )


def _visit_feature(coordinates: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    kind = "Point" if isinstance(coordinates[0], float) else "LineString"
    return {
        "type": "Feature",
        "geometry": {"type": kind, "coordinates": coordinates},
        "properties": {
            "kind": "litter",
            "started_at": (now - timedelta(hours=2)).isoformat(),
            "ended_at": (now - timedelta(hours=1)).isoformat(),
            "client_id": str(uuid.uuid4()),
        },
    }


@pytest.fixture(scope="module")
def effort(live_server: LiveServer) -> None:
    """The module's visits, recorded once through the API."""
    lon, lat = ACCRA
    walks = [BEACH] * 5 + [INLAND] * 2 + [[lon + 0.004, lat + 0.0008]] * 5
    with httpx.Client(base_url=live_server.url, timeout=30) as http:
        for coordinates in walks:
            answer = http.post("/api/v1/effort", json=_visit_feature(coordinates))
            assert answer.status_code == 201, answer.text


def _case(p: dict[str, Any]) -> str | None:
    """The class a hexagon is drawn in, by the rules the legend states."""
    looked = (p["effort"] or 0) > 0 or p["effort_suppressed"]
    if looked:
        return "empty" if p["reports"] == 0 else "found"
    return "unvisited" if p["reports"] != 0 else None


def _expected_cases(visit: Visit, resolution: int) -> dict[str, int]:
    answer = httpx.get(
        f"{visit.server.url}/api/v1/aggregates/hexes", params={"resolution": resolution}
    )
    assert answer.status_code == 200, answer.text
    counts: dict[str, int] = {}
    for feature in answer.json()["features"]:
        case = _case(feature["properties"])
        if case:
            counts[case] = counts.get(case, 0) + 1
    return counts


def _popup_shown(visit: Visit) -> None:
    """Wait for the popup's fade-in to end, so that screenshots show it as people do."""
    visit.page.wait_for_function(
        "() => getComputedStyle(document.querySelector('.leaflet-popup')).opacity === '1'"
    )


def _effort_palette(visit: Visit) -> dict[str, Any]:
    config = visit.page.evaluate(
        "JSON.parse(document.getElementById('civicmap-config').textContent)"
    )
    return config["palettes"]["effort"]  # type: ignore[no-any-return]


def test_effort_layer_tells_nothing_found_from_nobody_looked(desktop: Visit, effort: None) -> None:
    page = desktop.page
    desktop.open("/map?resolution=7")
    _wait_layer(desktop, "hexes")
    assert page.evaluate("CivicMap.planner.state('effort').status") == "off"
    _toggle_overlay(desktop, "Observer effort")
    state = _wait_layer(desktop, "effort")
    expected = _expected_cases(desktop, 7)
    assert expected["empty"] >= 3 and expected["found"] >= 1 and expected["unvisited"] >= 1
    assert state["count"] == sum(expected.values())

    palette = _effort_palette(desktop)
    empty = page.locator("path.cm-effort-empty")
    assert empty.count() == expected["empty"]
    fills = {empty.nth(i).get_attribute("fill") for i in range(empty.count())}
    assert fills == {palette["empty"]}
    outlines = page.locator("path.cm-effort-unvisited")
    assert outlines.count() == expected["unvisited"]
    assert {outlines.nth(i).get_attribute("fill") for i in range(outlines.count())} == {"none"}
    assert page.locator("path.cm-effort-found").count() == expected["found"]
    # The reports layer leaves the looked-at-and-empty hexagons to this one.
    teal = page.locator(f".leaflet-overlay-pane path[fill='{palette['empty']}']")
    assert teal.count() == expected["empty"]

    legend = page.locator(".legend-section", has_text="Observer effort (H3 resolution 7)")
    for row in ("looked, nothing found", "reports, but no recorded visit"):
        assert legend.locator("li", has_text=row).count() == 1
    assert legend.locator("li", has_text="no colour: nobody recorded looking here").count() == 1

    # Where nobody reported or looked, nothing is drawn: the map itself is what is there.
    drawn_there = page.evaluate(
        """([lat, lon]) => {
            const map = CivicMap.planner.map();
            const at = map.latLngToContainerPoint([lat, lon]);
            const box = map.getContainer().getBoundingClientRect();
            const hit = document.elementFromPoint(box.left + at.x, box.top + at.y);
            return hit && hit.tagName.toLowerCase() === 'path';
        }""",
        list(NOBODY),
    )
    assert drawn_there is False
    # Nor do the report layers draw an empty bubble where the litter walks found nothing.
    _toggle_overlay(desktop, "Litter surveys")
    litter = _wait_layer(desktop, "litter")
    bubbles = page.locator(".cm-bubble").all_inner_texts()
    assert "0" not in bubbles and litter["count"] >= 1
    _toggle_overlay(desktop, "Litter surveys")
    _wait_layer(desktop, "litter", "off")
    page.mouse.move(700, 700)  # let the layer control fold, to see the map
    desktop.screenshot("map-effort", full_page=False)

    # A beach hexagon's popup says what was found there: nothing, by five visits.
    lon, lat = BEACH[1]
    before = page.evaluate("CivicMap.planner.timings.drawn.effort")
    page.evaluate("([lat, lon]) => CivicMap.planner.map().setView([lat, lon], 12)", [lat, lon])
    page.wait_for_function("t => CivicMap.planner.timings.drawn.effort > t", arg=before)
    x, y = page.evaluate(
        """([lat, lon]) => {
            const map = CivicMap.planner.map();
            const at = map.latLngToContainerPoint([lat, lon]);
            const rect = map.getContainer().getBoundingClientRect();
            return [rect.left + at.x, rect.top + at.y];
        }""",
        [lat, lon],
    )
    page.mouse.click(x, y)
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert "Looked at, nothing found" in popup.inner_text()
    cells = popup.evaluate(
        "box => Object.fromEntries([...box.querySelectorAll('tr')]"
        ".map(r => [r.querySelector('th').textContent, r.querySelector('td').textContent]))"
    )
    h3_cell = cells.pop("H3 cell")
    assert cells == {"Reports": "0", "Visits": "5", "Reports per visit": "0"}
    # Titled by its place, in words; its H3 id is only a row.
    title = popup.locator("h3").inner_text()
    assert h3_cell not in title and "Hexagon" not in title, title
    _popup_shown(desktop)
    desktop.screenshot("map-effort-popup", full_page=False)
    assert desktop.console.errors == []


def test_effort_finer_than_recorded_is_said_to_be_unavailable(desktop: Visit, effort: None) -> None:
    page = desktop.page
    desktop.open(f"/map?resolution={EFFORT_RESOLUTION + 1}")
    _wait_layer(desktop, "hexes")
    _toggle_overlay(desktop, "Observer effort")
    state = _wait_layer(desktop, "effort")
    assert state["count"] == 0
    assert state["note"].startswith("not available at this hexagon size")
    assert f"H3 resolution {EFFORT_RESOLUTION}" in state["note"]
    assert page.locator("path.cm-effort").count() == 0
    assert "not available at this hexagon size" in page.inner_text(".legend-body")
    assert desktop.console.errors == []


def _post_with_photo(visit: Visit, feature: dict[str, Any]) -> dict[str, Any]:
    answer = httpx.post(
        f"{visit.server.url}/api/v1/reports",
        data={"feature": json.dumps(feature)},
        files=[("photo", ("pump.jpg", phone_jpeg((400, 300)), "image/jpeg"))],
        timeout=30,
    )
    assert answer.status_code == 201, answer.text
    return answer.json()  # type: ignore[no-any-return]


def test_a_reports_photo_shows_in_its_popup(desktop: Visit) -> None:
    page = desktop.page
    lon, lat = PHOTO_SPOT
    report = _post_with_photo(desktop, make_report("service", lon, lat))
    [photo] = report["properties"]["photos"]
    desktop.open("/map")
    _wait_layer(desktop, "service")
    page.evaluate("([lat, lon]) => CivicMap.planner.map().setView([lat, lon], 15)", [lat, lon])
    page.wait_for_function("document.querySelectorAll('.cm-dot').length > 0")
    page.locator(".cm-dot").first.click()
    image = page.locator(".leaflet-popup-content .popup-photos img")
    image.wait_for()
    page.wait_for_function(
        "() => { const i = document.querySelector('.popup-photos img');"
        " return i && i.complete && i.naturalWidth > 0; }"
    )
    assert image.get_attribute("alt") == "Photo 1 of this report"
    assert image.get_attribute("src") == photo["thumb"]
    link = page.locator(".leaflet-popup-content .popup-photos a")
    assert link.get_attribute("href") == photo["url"]
    assert link.get_attribute("target") == "_blank" and "noopener" in link.get_attribute("rel")
    size = image.bounding_box()
    assert size["width"] <= 100 and size["height"] <= 100
    _popup_shown(desktop)
    desktop.screenshot("map-photo-popup", full_page=False)
    assert desktop.console.errors == []


def test_the_status_page_shows_the_senders_photos(phone: Visit) -> None:
    page = phone.page
    lon, lat = ACCRA
    report = _post_with_photo(phone, make_report("hotspot", lon, lat, sensitive=True))
    referers: list[str | None] = []
    page.on(
        "request",
        lambda r: referers.append(r.headers.get("referer")) if "/photos/" in r.url else None,
    )
    phone.open(f"/reports/{report['id']}?receipt={report['receipt']}")
    section = page.locator(".status-photos")
    section.wait_for()
    assert section.locator("h2").inner_text() == "Your photos"
    page.wait_for_function(
        "() => { const i = document.querySelector('.status-photos img');"
        " return i && i.complete && i.naturalWidth > 0; }"
    )
    href = section.locator("a").get_attribute("href")
    assert href.startswith(f"/api/v1/reports/{report['id']}/photos/1?receipt=")
    # A sensitive report's photo: nobody without the receipt gets it.
    public = httpx.get(phone.server.url + href.split("?")[0], timeout=30)
    assert public.status_code == 404
    assert referers and all(r is None for r in referers)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    phone.screenshot("status-photos")
    assert phone.console.errors == []


def test_the_effort_layer_fits_a_phone(phone: Visit, effort: None) -> None:
    page = phone.page
    phone.open("/map?resolution=7")
    _wait_layer(phone, "hexes")
    _toggle_overlay(phone, "Observer effort")
    assert _wait_layer(phone, "effort")["count"] > 0
    page.locator(".legend > summary").click()
    page.locator(".legend-section h3", has_text="Observer effort (").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    phone.screenshot("map-effort", full_page=False)
    assert phone.console.errors == []
