"""The pages in a real headless Chromium against a real server, on SpatiaLite and PostGIS.

Every wait is on a condition in the page (a layer's state, a count on screen), never a sleep.
"""

from __future__ import annotations

import json
import uuid

import httpx
import pytest
import sqlalchemy as sa

from mapping.storage.tables import reports
from tests.conftest import make_report
from tests.web.conftest import ACCRA, Visit

pytestmark = pytest.mark.slow
PlaywrightTimeout = pytest.importorskip("playwright.sync_api").TimeoutError


def _stored(visit: Visit, client_ids: list[str]) -> dict[str, int]:
    """How many rows each client id has."""
    ids = [uuid.UUID(c) for c in client_ids]
    query = (
        sa.select(reports.c.client_id, sa.func.count())
        .where(reports.c.client_id.in_(ids))
        .group_by(reports.c.client_id)
    )
    with visit.server.engine.connect() as conn:
        found = {str(cid): int(n) for cid, n in conn.execute(query)}
    return {c: found.get(c, 0) for c in client_ids}


def _ready_volunteer_page(visit: Visit) -> None:
    visit.open("/report")
    visit.page.wait_for_function("document.querySelectorAll('#category option').length > 0")


def _wait_layer(visit: Visit, key: str, status: str = "drawn") -> dict:
    """The layer's state once it reaches `status`; on a timeout, fail with the state it had."""
    try:
        visit.page.wait_for_function(
            "([k, s]) => window.CivicMap && CivicMap.planner"
            " && CivicMap.planner.state(k).status === s",
            arg=[key, status],
        )
    except PlaywrightTimeout:
        state = visit.page.evaluate("k => window.CivicMap && CivicMap.planner.state(k)", key)
        pytest.fail(f"layer {key} never became {status}: {state}; console: {visit.console.errors}")
    return visit.page.evaluate("k => CivicMap.planner.state(k)", key)


def _toggle_overlay(visit: Visit, label: str) -> None:
    page = visit.page
    page.locator(".leaflet-control-layers").hover()
    page.locator(".leaflet-control-layers-overlays label", has_text=label).locator("input").click()


def test_volunteer_pins_and_submits_a_report(phone: Visit) -> None:
    page = phone.page
    _ready_volunteer_page(phone)
    box = page.locator("#pin-map").bounding_box()
    # The first tap, on the zoomed-out map, zooms in there; the second puts the pin exactly.
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    assert page.input_value("#lat") and page.input_value("#lon")
    page.select_option("#kind", "service")
    page.select_option("#category", "water_point")
    page.fill("#service-name", "Pump <by the school>")
    page.check("#sat-3")
    page.click("#send")
    link = page.locator("#result .notice.ok a")
    link.wait_for()
    report_id = link.get_attribute("href").split("/")[2].split("?")[0]
    with phone.server.engine.connect() as conn:
        row = conn.execute(sa.select(reports).where(reports.c.id == uuid.UUID(report_id))).one()
    assert (row.kind, row.category, row.satisfaction) == ("service", "water_point", 3)
    assert row.attributes["name"] == "Pump <by the school>"
    phone.screenshot("report-sent")
    link.click()
    page.locator("#report-status .notice.ok").wait_for()
    assert "Status: pending" in page.inner_text("#report-status")
    assert "What the data shows in" in page.inner_text("#report-status")
    # Words, not codes: the taxonomy's labels for the kind and category.
    facts = page.inner_text("#report-status .facts")
    assert "Public service" in facts and "Water point" in facts and "water_point" not in facts
    phone.screenshot("report-status")
    assert phone.console.errors == []


def _fill_offline_report(visit: Visit, description: str) -> None:
    page = visit.page
    lon, lat = ACCRA
    page.fill("#lat", str(lat))
    page.fill("#lon", str(lon))
    page.select_option("#kind", "hotspot")
    page.select_option("#severity", "4")
    page.fill("#description", description)
    page.click("#send")


def test_offline_reports_wait_and_are_sent_once_back_online(phone: Visit) -> None:
    page, context = phone.page, phone.context
    _ready_volunteer_page(phone)
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    context.set_offline(True)
    _fill_offline_report(phone, "first, offline")
    _fill_offline_report(phone, "second, offline")
    page.wait_for_selector("#outbox-count[data-count='2']")
    assert page.is_visible("#outbox-notice")
    queued = page.evaluate("CivicMap.outbox.items()")
    waiting = [item["client_id"] for item in queued]
    assert _stored(phone, waiting) == {c: 0 for c in waiting}
    phone.screenshot("report-offline-queue")

    context.set_offline(False)
    page.wait_for_selector("#outbox-count[data-count='0']", state="attached")
    assert _stored(phone, waiting) == {c: 1 for c in waiting}

    # A send whose answer was lost: the same report goes again and is not stored twice.
    page.evaluate("f => CivicMap.outbox.add(f) || CivicMap.outbox.flush()", queued[0]["feature"])
    page.wait_for_selector("#outbox-count[data-count='0']", state="attached")
    assert _stored(phone, waiting) == {c: 1 for c in waiting}
    assert phone.console.errors == []


def test_volunteer_page_opens_offline(phone: Visit) -> None:
    page, context = phone.page, phone.context
    _ready_volunteer_page(phone)
    page.wait_for_function("navigator.serviceWorker && navigator.serviceWorker.controller !== null")
    context.set_offline(True)
    page.reload()
    page.wait_for_function("document.querySelectorAll('#category option').length > 0")
    assert page.is_visible("#send")
    context.set_offline(False)
    assert phone.console.errors == []


def test_planner_map_draws_its_layers(desktop: Visit) -> None:
    page = desktop.page
    desktop.open("/map")
    hexes = _wait_layer(desktop, "hexes")
    service = _wait_layer(desktop, "service")
    assert hexes["count"] > 0 and service["count"] > 0
    assert page.locator(".leaflet-overlay-pane path.leaflet-interactive").count() >= hexes["count"]
    assert page.locator(".cm-bubble").count() == service["count"]
    # The lone report far off is drawn with its count, not hatched as suppressed: the public
    # point shows it anyway.
    assert page.locator("path[stroke-dasharray='3 3']").count() == 0
    assert page.locator(".legend-section h3", has_text="Reports per hexagon").count() == 1

    _toggle_overlay(desktop, "Areas")
    areas = _wait_layer(desktop, "areas")
    assert areas["count"] == 2
    page.select_option("#f-indicator", "satisfied_share")
    _wait_layer(desktop, "areas")
    assert (
        page.locator(
            ".legend-section h3", has_text="Satisfied with services (SDG 16.6.2) by area"
        ).count()
        == 1
    )
    desktop.screenshot("map-layers", full_page=False)

    # Zoomed in, service points come one by one, clustered, and their popups escape user text.
    page.evaluate("CivicMap.planner.map().setView([5.70, 0.20], 15)")
    page.wait_for_function("document.querySelectorAll('.cm-dot').length > 0")
    page.locator(".cm-dot").first.click()
    page.locator(".leaflet-popup-content .quote").wait_for()
    assert "<img src=x" in page.inner_text(".leaflet-popup-content")
    assert page.evaluate("window.pwned") is None
    assert desktop.console.errors == []


def test_filters_reload_the_layers(desktop: Visit) -> None:
    page = desktop.page
    desktop.open("/map")
    before = _wait_layer(desktop, "hexes")
    page.locator("#filters-panel summary").scroll_into_view_if_needed()
    page.select_option("#f-kind", "litter")
    page.fill("#f-campaign", "no-such-campaign")
    page.click("#filters button[type=submit]")
    _wait_layer(desktop, "service", "skipped")
    after = _wait_layer(desktop, "hexes")
    assert after["count"] == 0 < before["count"]
    assert "campaign=no-such-campaign" in page.url
    assert desktop.console.errors == []


def _analysis_exists(visit: Visit, path: str) -> bool:
    answer = httpx.get(visit.server.url + path, timeout=30)
    return answer.status_code != 404


@pytest.mark.parametrize(
    ("key", "label", "path"),
    [
        ("coverage", "Coverage gaps", "/api/v1/coverage?category=health_facility&resolution=5"),
        ("hotspots", "Hotspot analysis", "/api/v1/hotspots?resolution=5"),
    ],
)
def test_analysis_layers(desktop: Visit, key: str, label: str, path: str) -> None:
    """Drawn with a legend when the analysis exists; a quiet note in the layer control when not."""
    exists = _analysis_exists(desktop, path)
    desktop.open("/map")
    _wait_layer(desktop, "hexes")
    control = desktop.page.locator(".leaflet-control-layers-overlays label", has_text=label)
    if not exists:
        assert "not available yet" in control.inner_text()
    _toggle_overlay(desktop, label)
    state = _wait_layer(desktop, key, "drawn" if exists else "unavailable")
    if exists:
        assert state["count"] > 0
        legend = desktop.page.locator(".legend-section", has_text="resolution 5")
        assert legend.count() >= 1
    assert desktop.console.errors == []


def _receipt_link(visit: Visit) -> str:
    feature = make_report("service", *ACCRA)
    answer = httpx.post(visit.server.url + "/api/v1/reports", json=feature, timeout=30)
    assert answer.status_code == 201, answer.text
    body = answer.json()
    return f"/reports/{body['id']}?receipt={body['receipt']}"


PAGES = ["/", "/map", "/report", "/areas/T-ACC", "/areas/T-ESC", "status"]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_at_phone_width(phone: Visit, path: str) -> None:
    page = phone.page
    phone.open(_receipt_link(phone) if path == "status" else path)
    page.wait_for_load_state("load")
    if path == "/map":
        _wait_layer(phone, "hexes")
    elif path == "/report":
        page.wait_for_function("document.querySelectorAll('#category option').length > 0")
    elif path == "status":
        page.locator("#report-status .notice").wait_for()
    # Nothing wider than the phone: no sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    # Every form field has a label a screen reader can read.
    unlabelled = page.evaluate(
        """() => [...document.querySelectorAll('input, select, textarea')]
                  .filter(f => f.type !== 'hidden' && !f.closest('.leaflet-control-layers'))
                  .filter(f => !(f.labels && f.labels.length) && !f.getAttribute('aria-label'))
                  .map(f => f.id || f.name)"""
    )
    assert unlabelled == []
    name = "status" if path == "status" else path.strip("/").replace("/", "-") or "index"
    phone.screenshot(f"page-{name}", full_page=path != "/map")
    assert phone.console.errors == []


def test_user_text_is_escaped_on_pages(phone: Visit) -> None:
    phone.open("/")
    assert phone.page.locator("a", has_text="Tricky <b>&amp;</b> name").count() == 1
    phone.open("/areas/T-ESC")
    assert phone.page.inner_text("h1") == "Tricky <b>&amp;</b> name"
    assert phone.page.locator("h1 b").count() == 0


def test_keyboard_reaches_the_form_and_sends(phone: Visit) -> None:
    page = phone.page
    _ready_volunteer_page(phone)
    page.focus("#lat")
    page.keyboard.type(str(ACCRA[1]))
    page.keyboard.press("Tab")
    page.keyboard.type(str(ACCRA[0]))
    page.focus("#kind")
    page.keyboard.press("ArrowDown")  # litter
    page.wait_for_function("!document.querySelector('[data-kind=litter]').hidden")
    page.focus("#send")
    page.keyboard.press("Enter")
    page.locator("#result .notice.ok").wait_for()
    stored = json.loads(page.evaluate("JSON.stringify(CivicMap.outbox.mine()[0])"))
    assert stored["kind"] == "litter"
    assert phone.console.errors == []


def test_device_location_keeps_its_accuracy(phone: Visit) -> None:
    lon, lat = ACCRA
    phone.context.grant_permissions(["geolocation"])
    phone.context.set_geolocation({"latitude": lat, "longitude": lon, "accuracy": 12.5})
    _ready_volunteer_page(phone)
    phone.page.click("#locate")
    phone.page.wait_for_function("document.querySelector('#accuracy').value !== ''")
    assert float(phone.page.input_value("#accuracy")) == 12.5
    assert float(phone.page.input_value("#lat")) == lat
    assert phone.page.locator(".leaflet-interactive").count() >= 1  # the accuracy circle
    assert phone.console.errors == []
