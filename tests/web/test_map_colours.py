"""One colour language on the planner map, in a real Chromium on SpatiaLite and PostGIS: classes
as mapclassify computes them on the values drawn, service points coloured by status at every
zoom, and no colour that means two things in the legends of one screen."""

from __future__ import annotations

import itertools
import random

import mapclassify
import numpy as np
import pytest
from colorspacious import cspace_convert

from tests.web.conftest import Visit
from tests.web.test_browser import _toggle_overlay, _wait_layer

pytestmark = pytest.mark.slow

DRAWN = "k => CivicMap.planner.timings.drawn[k] || 0"
# Legend colours the sections share by design: "suppressed" grey, and no fill at all.
SHARED = {"rgb(158, 158, 158)", "rgba(0, 0, 0, 0)", "rgb(255, 255, 255)"}


def _mapclassify_breaks(values: list[float], k: int = 5) -> list[float]:
    """mapclassify's Quantiles, with no more classes than distinct values, whole bounds for
    whole numbers and one class for a narrow range, as the map's legend promises."""
    low, high = min(values), max(values)
    if high - low <= 0.1 * abs(high):
        return [high]
    k = min(k, len(set(values)))
    bins = [float(b) for b in mapclassify.Quantiles(np.array(values, dtype=float), k=k).bins]
    if all(float(v).is_integer() for v in values):
        bins = [float(np.floor(b + 1e-9)) for b in bins]
    return list(dict.fromkeys(bins))


def test_hexagon_classes_are_mapclassify_quantiles_of_the_values_drawn(desktop: Visit) -> None:
    page = desktop.page
    desktop.open("/map")
    _wait_layer(desktop, "hexes")
    classes = page.evaluate("CivicMap.planner.state('hexes').classes")
    assert classes["values"], "no hexagon drawn"
    assert classes["breaks"] == _mapclassify_breaks(classes["values"])
    # And on values of every shape: counts and measures, ties, long tails.
    rng = random.Random(7)
    samples = [[rng.randint(1, 400) for _ in range(rng.randint(2, 60))] for _ in range(15)]
    samples += [[round(rng.lognormvariate(2, 1.5), 2) for _ in range(40)] for _ in range(10)]
    samples += [[1, 1, 1, 1, 2, 3, 50], [3, 3, 3, 3], [1, 2]]
    got = page.evaluate("ss => ss.map(s => CivicMap.classes.quantiles(s, 5))", samples)
    for values, breaks in zip(samples, got, strict=True):
        assert breaks == pytest.approx(_mapclassify_breaks(values)), values
    assert desktop.console.errors == []


def test_service_points_are_coloured_by_status_at_every_zoom(desktop: Visit) -> None:
    page = desktop.page
    desktop.open("/map")
    _wait_layer(desktop, "service")
    assert page.input_value("#f-colour") == "status"
    # Zoomed out: each bubble is a pie of the statuses its reports give.
    paint = page.evaluate(
        "getComputedStyle(document.querySelector('.cm-bubble span')).backgroundImage"
    )
    assert "conic-gradient" in paint and "rgb(77, 175, 74)" in paint, paint
    legend = page.locator(".legend-section", has_text="status of service points").inner_text()
    assert "working" in legend and "closed" in legend
    # Zoomed in: each report a dot in its status colour.
    before = page.evaluate(DRAWN, "service")
    page.evaluate("CivicMap.planner.map().setView([5.6008, -0.1954], 16, {animate: false})")
    page.wait_for_function(f"CivicMap.planner.timings.drawn.service > {before}")
    page.locator(".cm-dot span").first.wait_for()
    dot = page.evaluate("getComputedStyle(document.querySelector('.cm-dot span')).backgroundColor")
    assert dot == "rgb(77, 175, 74)"
    # By satisfaction instead: the seeded reports' "satisfied" (3 of 4) in BrBG's blue-green.
    before = page.evaluate(DRAWN, "service")
    page.select_option("#f-colour", "satisfaction")
    page.click("#filters button[type=submit]")
    page.wait_for_function(f"CivicMap.planner.timings.drawn.service > {before}")
    dot = page.evaluate("getComputedStyle(document.querySelector('.cm-dot span')).backgroundColor")
    assert dot == "rgb(128, 205, 193)"
    assert desktop.console.errors == []


LEGEND_ROWS = """() => [...document.querySelectorAll('.legend-section')].map(s => ({
  title: s.querySelector('h3').textContent,
  rows: [...s.querySelectorAll('li')].map(li => ({
    colour: getComputedStyle(li.querySelector('.swatch')).backgroundColor,
    border: getComputedStyle(li.querySelector('.swatch')).borderTopColor,
    outline: li.querySelector('.swatch').style.background === 'transparent',
    label: li.textContent.trim()}))}))"""


def _seen(css: str) -> np.ndarray:
    rgb = [int(x) for x in css[css.index("(") + 1 : css.index(")")].split(",")[:3]]
    return cspace_convert(np.array(rgb) / 255, "sRGB1", "CAM02-UCS")


def _clashes(sections: list[dict]) -> list[str]:
    """Pairs of legend rows of different layers whose colours look alike (CAM02-UCS ΔE under
    3: the same colour to the eye), beyond the greys and white that every layer shares and the
    rows that say the same thing in two legends."""
    rows = [
        (section["title"], row["label"], row["border"] if row["outline"] else row["colour"])
        for section in sections
        for row in section["rows"]
    ]
    found = []
    for (t1, l1, c1), (t2, l2, c2) in itertools.combinations(rows, 2):
        if t1 == t2 or l1 == l2 or c1 in SHARED or c2 in SHARED:
            continue
        gap = float(np.linalg.norm(_seen(c1) - _seen(c2)))
        if gap < 3:
            found.append(f"'{l1}' ({t1}) and '{l2}' ({t2}): {c1} and {c2}, ΔE {gap:.1f}")
    return found


def test_no_colour_means_two_things_in_one_view(desktop: Visit) -> None:
    """Every report layer on at once, with the areas by satisfaction and observer effort,
    zoomed out (hexagons and bubbles) and zoomed in (dots and groups)."""
    page = desktop.page
    desktop.open("/map")
    page.select_option("#f-indicator", "satisfied_share")
    page.click("#filters button[type=submit]")
    for label in (
        "Areas: chosen indicator",
        "Hotspot reports",
        "Litter surveys",
        "Observer effort: where people looked",
    ):
        _toggle_overlay(desktop, label)
    keys = ("hexes", "areas", "service", "hotspot", "litter", "effort")
    for key in keys:
        _wait_layer(desktop, key)
    sections = page.evaluate(LEGEND_ROWS)
    assert len(sections) >= 6, [s["title"] for s in sections]
    assert _clashes(sections) == []
    desktop.screenshot("map-colours")
    before = page.evaluate(DRAWN, "service")
    page.evaluate("CivicMap.planner.map().setView([5.6008, -0.1954], 13, {animate: false})")
    page.wait_for_function(f"CivicMap.planner.timings.drawn.service > {before}")
    for key in keys:
        _wait_layer(desktop, key)
    assert _clashes(page.evaluate(LEGEND_ROWS)) == []
    assert desktop.console.errors == []
