"""The map's colours stay apart for people with colour-blindness: each palette is checked under
simulated deuteranomaly, protanomaly and tritanomaly at full severity (colorspacious, in the
CAM02-UCS space), beside normal vision.

A difference (ΔE) below about 10 is hard to tell on a map; RdYlGn's four satisfaction classes,
which the map once used, come within 3 of each other under deuteranomaly.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from colorspacious import cspace_convert

from web.planner import palettes

VISIONS = [None] + [
    {"name": "sRGB1+CVD", "cvd_type": kind, "severity": 100}
    for kind in ("deuteranomaly", "protanomaly", "tritanomaly")
]
PALETTES = palettes()


def _seen(colour: str, vision: dict | None) -> np.ndarray:
    rgb = np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)]) / 255
    if vision:
        rgb = np.clip(cspace_convert(rgb, vision, "sRGB1"), 0, 1)
    return cspace_convert(rgb, "sRGB1", "CAM02-UCS")


def _closest(pairs: list[tuple[str, str]]) -> tuple[float, str, str, str]:
    """The smallest difference of any pair under any vision, with the pair and the vision."""
    return min(
        (
            float(np.linalg.norm(_seen(a, v) - _seen(b, v))),
            a,
            b,
            v["cvd_type"] if v else "normal",
        )
        for a, b in pairs
        for v in VISIONS
    )


@pytest.mark.parametrize(
    "name", ["count", "share", "litter", "severity", "demand", "gistar", "effort"]
)
def test_neighbouring_classes_of_a_scale_stay_apart(name: str) -> None:
    colours = PALETTES[name]["found"] if name == "effort" else PALETTES[name]
    low, a, b, vision = _closest(list(itertools.pairwise(colours)))
    assert low >= 8, f"{name}: {a} and {b} differ by {low:.1f} under {vision}"


@pytest.mark.parametrize("name", ["status", "satisfaction"])
def test_every_category_differs_from_every_other(name: str) -> None:
    """Service status and the four answers on satisfaction are read one dot at a time, so
    every pair must differ, not only neighbours; the reports with no status too."""
    colours = PALETTES[name]
    if name == "status":
        colours = [*colours.values(), PALETTES["status_unknown"]]
    low, a, b, vision = _closest(list(itertools.combinations(colours, 2)))
    assert low >= 12, f"{name}: {a} and {b} differ by {low:.1f} under {vision}"


def test_satisfaction_and_status_share_no_colour() -> None:
    """A hexagon coloured by satisfaction never looks like a service point's status beside it.
    The closest pair, BrBG's pale brown and the yellow of "partly working", differ by 9 under
    tritanomaly: near the limit, but drawn as a fill and as a dot."""
    status = [*PALETTES["status"].values()]
    low, a, b, vision = _closest(list(itertools.product(PALETTES["share"], status)))
    assert low >= 8, f"{a} (satisfaction) and {b} (status) differ by {low:.1f} under {vision}"
