"""The planner map without a mouse or a big screen: a list of the reports in view beside the map,
the layer control and the list reached by keyboard before any marker, and a long analysis that
shows it is at work and can be stopped (a real Chromium, on SpatiaLite and PostGIS)."""

from __future__ import annotations

import contextlib
from typing import Any

import httpx
import pytest

from tests.web.conftest import Visit
from tests.web.test_browser import _toggle_overlay, _wait_layer

pytestmark = pytest.mark.slow

ITEMS = "#report-list .list-item"
FOCUSED = """(() => {
  const e = document.activeElement;
  return e.id || (e.classList.contains('leaflet-marker-icon') ? 'marker' : e.tagName);
})()"""


def _list_loaded(visit: Visit) -> None:
    visit.page.wait_for_function(
        "!document.getElementById('report-list').hasAttribute('aria-busy')"
        " && document.querySelector('#report-list .list-note').textContent.length > 0"
    )


def test_the_list_pages_through_the_reports_in_view_and_opens_their_popups(
    desktop: Visit,
) -> None:
    page = desktop.page
    desktop.open("/map")
    _list_loaded(desktop)
    first = page.locator(ITEMS).all_inner_texts()
    ids = page.eval_on_selector_all("#report-list li", "els => els.map(e => e.dataset.id)")
    # The same reports as the API gives for the view and the filters: its first page of 20.
    href = page.get_attribute("#report-list .list-data", "href")
    api = httpx.get(desktop.server.url + href).json()
    assert ids == [f["id"] for f in api["features"]] and len(ids) == 20
    assert "Health facility" in first[0] and "health_facility" not in " ".join(first)
    page.click("#report-list [data-page=next]")
    page.wait_for_function(
        "document.querySelector('#report-list ol').getAttribute('start') === '21'"
    )
    _list_loaded(desktop)
    second = page.eval_on_selector_all("#report-list li", "els => els.map(e => e.dataset.id)")
    assert second and not set(second) & set(ids)
    # A double click moves one page, never past the first.
    page.dblclick("#report-list [data-page=prev]")
    page.wait_for_function(
        "document.querySelector('#report-list ol').getAttribute('start') === '1'"
    )
    _list_loaded(desktop)
    assert page.eval_on_selector_all("#report-list li", "els => els.map(e => e.dataset.id)") == ids
    # An item opens its report's popup on the map, in words.
    page.locator(ITEMS).first.click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert "Category" in popup.inner_text()
    # Filtered as the layers are.
    page.select_option("#f-kind", "litter")
    page.click("#filters button[type=submit]")
    page.wait_for_function(
        f"[...document.querySelectorAll('{ITEMS}')].every(b => b.textContent.includes('litter'))"
        f" && document.querySelectorAll('{ITEMS}').length === 6"
    )
    # The legend says which filter is on in words.
    page.wait_for_function(
        "document.querySelector('.legend').innerText.includes('litter surveys.')"
    )
    assert "kind litter" not in page.inner_text(".legend")
    assert desktop.console.errors == []


def test_on_a_phone_the_list_is_one_tap_away(sized: Any) -> None:
    visit = sized(390, 844)
    page = visit.page
    visit.open("/map")
    assert not page.locator("#report-list .list-note").is_visible()
    page.click("#show-list")
    page.locator(ITEMS).first.wait_for()
    assert page.evaluate("document.activeElement.id") == "report-list-h"
    visit.screenshot("map-list", full_page=False)
    assert visit.console.errors == []


def test_the_keyboard_reaches_the_layer_control_before_any_marker(desktop: Visit) -> None:
    page = desktop.page
    desktop.open("/map")
    _wait_layer(desktop, "service")
    page.evaluate("CivicMap.planner.map().setView([5.6008, -0.1954], 13, {animate: false})")
    page.locator(".leaflet-marker-icon").first.wait_for()
    # The skip link: two keys from the top of the page.
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to the layer control"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "layer-control"
    # Tabbing from the top, the layer control comes before every marker.
    page.reload()
    _wait_layer(desktop, "service")
    page.evaluate("CivicMap.planner.map().setView([5.6008, -0.1954], 13, {animate: false})")
    page.locator(".leaflet-marker-icon").first.wait_for()
    for presses in range(1, 81):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        assert focused != "marker", f"a marker took the focus after {presses} Tabs"
        if focused == "layer-control":
            break
    else:
        pytest.fail("the layer control was not reached in 80 Tabs")
    assert desktop.console.errors == []


def test_a_long_analysis_shows_its_progress_and_can_be_cancelled(desktop: Visit) -> None:
    page = desktop.page
    held: list[Any] = []
    page.route("**/api/v1/hotspots?**", lambda route: held.append(route))
    failed: list[str] = []
    page.on("requestfailed", lambda r: failed.append(r.url) if "/hotspots?" in r.url else None)
    desktop.open("/map")
    _wait_layer(desktop, "hexes")
    _toggle_overlay(desktop, "Hotspot analysis (Gi*)")
    page.locator("#cancel-analysis").wait_for()
    assert page.locator("#map-status progress").count() == 1
    assert "Computing hotspot analysis" in page.inner_text("#map-status")
    page.wait_for_function(
        "parseInt(document.querySelector('#map-status .elapsed').textContent) >= 1"
    )
    # The Cancel button keeps the keyboard while the other layers reload.
    page.focus("#cancel-analysis")
    before = page.evaluate("CivicMap.planner.timings.drawn.hexes")
    page.evaluate("CivicMap.planner.map().panBy([40, 0], {animate: false})")
    page.wait_for_function(f"CivicMap.planner.timings.drawn.hexes > {before}")
    assert page.evaluate("document.activeElement.id") == "cancel-analysis"
    page.click("#cancel-analysis")
    page.wait_for_function("CivicMap.planner.state('hotspots').status === 'off'")
    page.wait_for_function("!document.querySelector('#cancel-analysis')")
    assert failed, "the analysis request was not stopped"
    for route in held:
        with contextlib.suppress(Exception):  # the page gave it up already
            route.abort()
    assert desktop.console.errors == []
