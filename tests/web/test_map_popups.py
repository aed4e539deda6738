"""Popups on the planner map stay open: the pan a popup makes to show itself whole is not a new
view, and reloads nothing (in a real Chromium, on SpatiaLite and PostGIS)."""

from __future__ import annotations

import pytest

from mapping.settings import Settings
from tests.conftest import settings_for
from tests.web.conftest import Visit
from tests.web.test_browser import _toggle_overlay, _wait_layer


@pytest.fixture(scope="module")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return settings_for(database_url, tmp_path_factory, max_aggregate_cells=1000)


# Move a hexagon to the top edge of the map, and say where it is, in page pixels.
TO_THE_TOP = """() => {
  const m = CivicMap.planner.map();
  let target = null;
  m.eachLayer(l => {
    if (!target && l.feature && l.feature.properties.h3 && l.getBounds) target = l;
  });
  const centre = m.latLngToContainerPoint(target.getBounds().getCenter());
  m.panBy([0, centre.y - 12], {animate: false});
  return target.feature.properties.h3;
}"""
WHERE = """(h3) => {
  const m = CivicMap.planner.map();
  let found = null;
  m.eachLayer(l => { if (l.feature && l.feature.properties.h3 === h3 && l.getBounds) found = l; });
  const p = m.latLngToContainerPoint(found.getBounds().getCenter());
  const box = m.getContainer().getBoundingClientRect();
  return [box.left + p.x, box.top + p.y];
}"""
DRAWN = "k => CivicMap.planner.timings.drawn[k] || 0"
WEIGHT = """(h3) => {
  let weight = null;
  CivicMap.planner.map().eachLayer(l => {
    if (l.feature && l.feature.properties.h3 === h3 && l.getBounds) weight = l.options.weight;
  });
  return weight;
}"""


def test_a_popup_at_the_top_edge_stays_open(desktop: Visit) -> None:
    page = desktop.page
    desktop.open("/map")
    _wait_layer(desktop, "hexes")
    before = page.evaluate(DRAWN, "hexes")
    cell = page.evaluate(TO_THE_TOP)
    page.wait_for_function(f"CivicMap.planner.timings.drawn.hexes > {before}")
    page.wait_for_function("CivicMap.planner.state('hexes').status === 'drawn'")
    # The other layers done too: while one loads, its status line lies over the map's top edge.
    page.wait_for_function("document.getElementById('map-status').hidden")
    drawn = page.evaluate(DRAWN, "hexes")
    x, y = page.evaluate(WHERE, cell)
    page.mouse.click(x, y)
    page.locator(".leaflet-popup").wait_for()
    page.wait_for_timeout(2000)
    # Still open two seconds on, after the popup's pan to show itself, with nothing reloaded.
    assert page.locator(".leaflet-popup").count() == 1
    assert page.evaluate(DRAWN, "hexes") == drawn
    # Titled by its place, in words (escaped as text), not by its H3 id.
    title = page.locator(".leaflet-popup-content h3").inner_text()
    assert title in {"Accra test area", "Tricky <b>&amp;</b> name"}
    # What the popup is about stays marked while it is open, and unmarked once it closes.
    assert page.evaluate(WEIGHT, cell) == 3
    page.keyboard.press("Escape")
    page.wait_for_function("document.querySelectorAll('.leaflet-popup').length === 0")
    assert page.evaluate(WEIGHT, cell) < 3
    assert desktop.console.errors == []


OVERLAP = """() => {
  const a = document.querySelector('.leaflet-control-scale').getBoundingClientRect();
  const b = document.querySelector('.leaflet-control-attribution').getBoundingClientRect();
  return !(a.right <= b.left || b.right <= a.left || a.bottom <= b.top || b.bottom <= a.top);
}"""


def test_on_a_phone_the_scale_bar_clears_the_attribution(phone: Visit) -> None:
    phone.open("/map")
    _wait_layer(phone, "hexes")
    assert phone.page.evaluate(OVERLAP) is False


def test_only_hexagon_sizes_the_server_answers_are_offered(desktop: Visit) -> None:
    # The seeded study area (two boxes, about 2,000 km²) holds some 2,700 hexagons at size 8,
    # more than this module's limit of 1,000, and some 390 at size 7.
    desktop.open("/map")
    _wait_layer(desktop, "hexes")
    config = "JSON.parse(document.getElementById('civicmap-config').textContent)"
    assert 2000 < desktop.page.evaluate(config + ".analysisCells")["8"] < 3000
    offered = desktop.page.evaluate(
        "Array.from(document.querySelectorAll('#f-analysis-res option')).map(o => o.disabled)"
    )
    assert offered == [False, False, False, False, True]
    # Asked for anyway (a shared link), the answer is one line that says what to do.
    desktop.open("/map?analysis_resolution=8")
    _wait_layer(desktop, "hexes")
    _toggle_overlay(desktop, "Coverage gaps")
    state = _wait_layer(desktop, "coverage", "error")
    assert state["note"] == "Too many hexagons at this size: choose a larger hexagon size."


def test_a_litter_popup_gives_items_per_100_m_and_the_items_most_found(desktop: Visit) -> None:
    page = desktop.page
    desktop.open("/map")
    _wait_layer(desktop, "hexes")
    _toggle_overlay(desktop, "Litter surveys")
    _wait_layer(desktop, "litter")
    # The seeded surveys lie 55 m apart 2 km south of Accra: close enough in to see each one.
    before = page.evaluate(DRAWN, "litter")
    page.evaluate("CivicMap.planner.map().setView([5.58, -0.1985], 18, {animate: false})")
    page.wait_for_function(f"CivicMap.planner.timings.drawn.litter > {before}")
    # Markers are titled in words: the category's label, not its code.
    page.evaluate(
        """() => {
          let marker = null;
          CivicMap.planner.map().eachLayer(l => {
            const title = l.options.title || "";
            if (!marker && l.getLatLng && title.startsWith("Monitoring survey")) marker = l;
          });
          marker.openPopup();
        }"""
    )
    text = page.locator(".leaflet-popup-content").inner_text()
    # make_report's survey: G1 x 2 and G21 x 5 over 100 m.
    assert "Items counted\t7" in text and "Items per 100 m\t7" in text
    assert text.index("Most found") < text.index(": 5") < text.index(": 2")
    assert "G21" not in text  # its label from the taxonomy, not its code


def test_legend_classes_never_overlap_and_a_narrow_range_is_one_class(desktop: Visit) -> None:
    desktop.open("/map")
    _wait_layer(desktop, "hexes")
    labels = desktop.page.evaluate(
        "CivicMap.classes.legendRows([5, 6, 9], ['a', 'b', 'c'], String).map(r => r.label)"
    )
    assert labels == ["up to 5", "6", "7 to 9"]
    fractions = desktop.page.evaluate(
        "CivicMap.classes.legendRows([2.5, 7.5], ['a', 'b'], String).map(r => r.label)"
    )
    assert fractions == ["up to 2.5", "over 2.5 to 7.5"]
    # Litter from 236 to 259 items per 100 m: one class, not five shades of nothing.
    narrow = desktop.page.evaluate("CivicMap.classes.quantiles([236, 240, 244, 251, 255, 259], 5)")
    assert narrow == [259]
    # Counts: mapclassify's quantiles (1.8, 2.6, 17.8, 42, 50), as whole numbers hold them.
    assert desktop.page.evaluate("CivicMap.classes.quantiles([1, 2, 3, 40, 50], 5)") == [
        1, 2, 17, 42, 50,
    ]  # fmt: skip


def test_grouped_reports_are_in_a_neutral_grey_and_in_the_legend(desktop: Visit) -> None:
    page = desktop.page
    desktop.open("/map")
    _wait_layer(desktop, "service")
    before = page.evaluate(DRAWN, "service")
    # Zoomed in to where the 24 seeded service reports lie close together: they group.
    page.evaluate("CivicMap.planner.map().setView([5.6008, -0.1954], 13, {animate: false})")
    page.wait_for_function(f"CivicMap.planner.timings.drawn.service > {before}")
    page.locator(".marker-cluster").first.wait_for()
    colour = page.evaluate(
        "getComputedStyle(document.querySelector('.marker-cluster div')).backgroundColor"
    )
    # Not the library's green (110, 204, 57) or yellow (240, 194, 12): a neutral grey.
    assert colour.startswith("rgba(82, 82, 82"), colour
    legend = page.locator(".legend-section", has_text="reports close together").inner_text()
    assert "the number says how many" in legend
