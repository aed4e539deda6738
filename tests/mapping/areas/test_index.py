"""Deciding which area a point is in."""

from __future__ import annotations

from shapely.geometry import box

from mapping.areas.index import AreaIndex


def test_a_point_on_a_shared_border_goes_to_the_first_code():
    index = AreaIndex([("B", 1, box(1, 0, 2, 1)), ("A", 1, box(0, 0, 1, 1))])
    assert index.assign([1.0, 0.5, 1.5, 5.0], [0.5, 0.5, 0.5, 5.0]) == {1: ["A", "A", "B", None]}
