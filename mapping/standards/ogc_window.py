"""Which polygons a bbox selects: those whose outline meets it, edges and corners included.

Boxes are WGS84 (minLon, minLat, maxLon, maxLat), already split at the antimeridian. An
outline that crosses the antimeridian comes as a ring whose longitudes jump from +180 to -180;
it is tested shifted east by 360 degrees, against the boxes as given and shifted alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import shapely

Box = tuple[float, float, float, float]


def meeting(features: Sequence[dict[str, Any]], boxes: Sequence[Box]) -> list[dict[str, Any]]:
    """The Polygon `features` whose outline meets any of `boxes` (a shared edge or a box
    inside the outline counts), in their order."""
    if not features:
        return []
    window = _window(boxes)
    outlines = [_outline(f["geometry"]["coordinates"][0]) for f in features]
    hits = shapely.intersects(np.array(outlines, dtype=object), window)
    return [f for f, hit in zip(features, hits, strict=True) if hit]


def _window(boxes: Sequence[Box]) -> shapely.Geometry:
    """The boxes as one geometry, also shifted east by 360 degrees; a box of no width or height
    becomes the line or point it is (a zero-area polygon meets nothing reliably)."""
    parts = []
    for x0, y0, x1, y1 in boxes:
        for shift in (0.0, 360.0):
            a, b = x0 + shift, x1 + shift
            if a == b and y0 == y1:
                parts.append(shapely.Point(a, y0))
            elif a == b or y0 == y1:
                parts.append(shapely.LineString([(a, y0), (b, y1)]))
            else:
                parts.append(shapely.box(a, y0, b, y1))
    return shapely.union_all(parts)


def _outline(ring: Sequence[Sequence[float]]) -> shapely.Polygon:
    lons = [p[0] for p in ring]
    if max(lons) - min(lons) > 180:
        ring = [[p[0] + 360 if p[0] < 0 else p[0], p[1]] for p in ring]
    return shapely.Polygon(ring)
