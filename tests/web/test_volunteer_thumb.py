"""The volunteer page held in one hand: a phone of 320 and 390 px with a touch screen, in a real
Chromium against a real server, on SpatiaLite and PostGIS.

What is checked is what a thumb meets: targets of 44 px, nothing wider than the screen, the send
button in reach wherever the page is scrolled, a pin that stays in sight and can be dragged, a
tap on a zoomed-out map that is not sent as if it were exact, and an outbox of one line.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.web.conftest import ACCRA, Visit

pytestmark = pytest.mark.slow

TARGET_PX = 44

# Every control a finger may need, as it is drawn: inputs that a label wraps are reached through
# the label (the checkbox and radio), so the label is what is measured.
CONTROLS_JS = """() => {
  const seen = [];
  const picks = 'button, select, textarea, summary, header a, .leaflet-bar a,' +
    ' input:not([type=checkbox]):not([type=radio]):not([type=hidden]),' +
    ' label.check, .radios label, .aspect .taps label';
  for (const el of document.querySelectorAll(picks)) {
    const r = el.getBoundingClientRect();
    if (!r.width || !r.height || getComputedStyle(el).visibility === 'hidden') continue;
    if (el.closest('[hidden]')) continue;
    const what = el.id || el.getAttribute('for') || el.textContent.trim().slice(0, 30);
    seen.push({what: what || el.tagName,
               w: Math.round(r.width), h: Math.round(r.height), right: Math.round(r.right)});
  }
  return seen;
}"""


def _open(visit: Visit, place: dict[str, float] | None = None) -> None:
    if place:
        visit.open("/report")
        visit.page.evaluate(
            "p => localStorage.setItem('civicmap.lastplace.v1', JSON.stringify(p))", place
        )
    visit.open("/report")
    visit.page.wait_for_function("document.querySelectorAll('#category option').length > 0")


def _send_in_view(page: Any) -> bool:
    box = page.locator("#send").bounding_box()
    height = page.viewport_size["height"]
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height


@pytest.mark.parametrize("width", [320, 390])
def test_every_control_fits_a_thumb(sized: Any, width: int) -> None:
    visit = sized(width, 844)
    page = visit.page
    _open(visit)
    page.locator("details summary").first.click()
    for kind in ("service", "litter", "hotspot"):
        page.select_option("#kind", kind)
        controls = page.evaluate(CONTROLS_JS)
        small = [c for c in controls if c["h"] < TARGET_PX or c["w"] < TARGET_PX]
        assert not small, f"{kind}: targets under {TARGET_PX} px at {width} px: {small}"
        wide = [c for c in controls if c["right"] > width]
        assert not wide, f"{kind}: controls beyond the screen's edge at {width} px: {wide}"
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert visit.console.errors == []


def test_send_stays_within_reach_while_scrolling(sized: Any) -> None:
    visit = sized(390, 844)
    page = visit.page
    _open(visit)
    page.locator("details summary").first.click()
    form_height = page.evaluate("document.getElementById('report-form').offsetHeight")
    assert form_height > 844, "the form fits one screen: nothing to prove"
    for y in (0, form_height // 3, (2 * form_height) // 3):
        page.evaluate("y => window.scrollTo(0, y)", y)
        assert _send_in_view(page), f"'Send report' out of sight scrolled to {y} px"
    # The secondary actions come after it.
    assert (
        page.locator("#looked-here").bounding_box()["y"] > page.locator("#send").bounding_box()["y"]
    )
    visit.screenshot("report-thumb", full_page=False)


def test_my_location_at_zoom_15_keeps_the_pin_inside_the_map(sized: Any) -> None:
    """A returning volunteer opens at zoom 15 on the last place, kilometres from where they are
    now; the pin of the new fix is in the map's box, inside the box of its accuracy circle."""
    visit = sized(390, 844)
    page, context = visit.page, visit.context
    lon, lat = ACCRA
    context.grant_permissions(["geolocation"])
    context.set_geolocation({"latitude": lat, "longitude": lon, "accuracy": 40})
    _open(visit, place={"lat": lat + 0.05, "lon": lon + 0.05})
    assert page.evaluate("CivicMap.pin.map().getZoom()") == 15
    page.click("#locate")
    page.wait_for_function("document.querySelector('#accuracy').value !== ''")
    pin = page.locator("#pin-map .leaflet-marker-icon").bounding_box()
    frame = page.locator("#pin-map").bounding_box()
    centre = (pin["x"] + pin["width"] / 2, pin["y"] + pin["height"])  # the pin's tip
    assert frame["x"] <= centre[0] <= frame["x"] + frame["width"], (pin, frame)
    assert frame["y"] <= centre[1] <= frame["y"] + frame["height"], (pin, frame)
    ring = page.locator("#pin-map .leaflet-overlay-pane path").bounding_box()
    assert ring["x"] <= centre[0] <= ring["x"] + ring["width"], (pin, ring)
    assert ring["y"] <= centre[1] <= ring["y"] + ring["height"], (pin, ring)
    assert visit.console.errors == []


def test_a_tap_on_the_zoomed_out_map_is_checked_before_it_is_sent(sized: Any) -> None:
    visit = sized(390, 844)
    page = visit.page
    _open(visit)
    zoom = page.evaluate("CivicMap.pin.map().getZoom()")
    assert zoom < 14, f"the page opened at zoom {zoom}: not a zoomed-out view"
    box = page.locator("#pin-map").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    assert page.input_value("#lat")
    assert page.evaluate("CivicMap.pin.map().getZoom()") >= 14, "the tap did not zoom in"
    page.select_option("#kind", "hotspot")
    page.click("#send")
    page.locator("#send-as-placed").wait_for()
    assert page.evaluate("CivicMap.outbox.items().length") == 0, "sent without asking"
    page.click("#send-as-placed")
    page.locator("#result .notice.ok").wait_for()
    sent = json.loads(page.evaluate("JSON.stringify(CivicMap.outbox.mine()[0])"))
    assert sent["kind"] == "hotspot"
    # Listed on the phone in words, not codes.
    mine = page.inner_text("#mine")
    assert sent["category"] not in mine and "hotspot" not in mine, mine
    # The next tap is at the close zoom: it is precise, and sends without asking.
    page.mouse.click(box["x"] + box["width"] / 3, box["y"] + box["height"] / 3)
    page.click("#send")
    page.wait_for_function("CivicMap.outbox.mine().length === 2")
    assert page.locator("#send-as-placed").count() == 0
    assert visit.console.errors == []


def test_the_pin_can_be_dragged_and_forgets_the_device_accuracy(sized: Any) -> None:
    visit = sized(390, 844)
    page, context = visit.page, visit.context
    lon, lat = ACCRA
    context.grant_permissions(["geolocation"])
    context.set_geolocation({"latitude": lat, "longitude": lon, "accuracy": 15})
    _open(visit)
    page.click("#locate")
    page.wait_for_function("document.querySelector('#accuracy').value !== ''")
    pin = page.locator("#pin-map .leaflet-marker-icon").bounding_box()
    x, y = pin["x"] + pin["width"] / 2, pin["y"] + pin["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 40, y + 30, steps=8)
    page.mouse.up()
    page.wait_for_function("document.querySelector('#accuracy').value === ''")
    assert float(page.input_value("#lon")) > lon
    assert float(page.input_value("#lat")) < lat
    assert visit.console.errors == []


def test_the_offline_outbox_is_one_line(sized: Any) -> None:
    visit = sized(390, 844)
    page, context = visit.page, visit.context
    _open(visit)
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    context.set_offline(True)
    lon, lat = ACCRA
    page.fill("#lat", str(lat))
    page.fill("#lon", str(lon))
    page.select_option("#kind", "hotspot")
    page.click("#send")
    page.wait_for_selector("#outbox-count[data-count='1']")
    notice = page.locator("#outbox-notice").bounding_box()
    line = page.evaluate(
        "parseFloat(getComputedStyle(document.getElementById('outbox-text')).lineHeight)"
    )
    assert notice["height"] <= line + 24, f"the outbox takes {notice['height']} px"
    assert "offline" in page.inner_text("#outbox-text")
    visit.screenshot("report-offline-line", full_page=False)
    context.set_offline(False)
    page.wait_for_selector("#outbox-count[data-count='0']", state="attached")
    assert visit.console.errors == []


def test_a_visit_at_a_zoomed_out_pin_asks_first_and_checking_the_pin_is_enough(
    sized: Any,
) -> None:
    visit = sized(390, 844)
    page = visit.page
    _open(visit)
    box = page.locator("#pin-map").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.click("#looked-here")
    page.locator("#effort-check-pin").wait_for()
    assert page.evaluate("CivicMap.outbox.counts().effort") == 0, "counted without asking"
    # Looking at the pin close up is the check: the visit, and a report, go without asking.
    page.click("#effort-check-pin")
    page.click("#looked-here")
    page.locator("#effort-status .notice.ok").wait_for()
    page.select_option("#kind", "hotspot")
    page.click("#send")
    page.locator("#result .notice.ok").wait_for()
    assert page.locator("#send-as-placed").count() == 0
    assert visit.console.errors == []
