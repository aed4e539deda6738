"""Which reports a hexagon answer counts, and which hexagons it lists; and the compact answer of
the map, report counts per H3 cell with no outlines, which the browser draws from the cell ids.

Both the GeoJSON hexagons (mapping.analysis.aggregate.hexes) and the compact cells follow the
same rules, set here once: a bbox selects the hexagons whose centre lies in it (so no box splits
a hexagon's count), sensitive reports count only at resolutions no finer than the public one,
and an answer holds at most `max_cells` hexagons.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import replace

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mapping import hexgrid
from mapping.errors import InvalidQuery
from mapping.storage.reports import ReportQuery, report_filters

Box = tuple[float, float, float, float]


def selection(q: ReportQuery, resolution: int, public_resolution: int) -> tuple[ReportQuery, str]:
    """The query whose reports count in the hexagons of `q` at `resolution`, and the method's
    words on sensitive reports."""
    query = replace(q, boxes=widened(q.boxes, resolution) if q.boxes else ())
    if resolution > public_resolution:
        return replace(query, include_sensitive=False), (
            f" Sensitive reports count only at resolutions up to {public_resolution}, "
            "in their public cell."
        )
    return query, " A sensitive report counts in its public cell."


def in_view(cells: Iterable[int], boxes: Sequence[Box], max_cells: int) -> list[int]:
    """The cells whose centre lies in one of `boxes` (all, without boxes), sorted; a problem
    when they are more than one answer may hold."""
    kept = sorted(c for c in cells if not boxes or _centre_in(c, boxes))
    if len(kept) > max_cells:
        raise InvalidQuery(
            f"The answer would hold {len(kept)} hexagons, more than {max_cells}; "
            "narrow it with bbox or area, or ask for a coarser resolution.",
            [{"loc": ["query", "resolution"], "msg": "too many hexagons for one answer"}],
        )
    return kept


def widened(boxes: Sequence[Box], resolution: int) -> list[Box]:
    """Boxes grown by more than the distance from any point to its hexagon's centre, so that
    they select every report of each hexagon whose centre lies in the box."""
    margin = 3 * hexgrid.edge_length_km(resolution) / 111.0
    grown = []
    for x0, y0, x1, y1 in boxes:
        lat = min(max(abs(y0), abs(y1)) + margin, 89.0)
        lon_margin = min(margin / math.cos(math.radians(lat)), 360.0)
        grown.append(
            (
                max(x0 - lon_margin, -180),
                max(y0 - margin, -90),
                min(x1 + lon_margin, 180),
                min(y1 + margin, 90),
            )
        )
    return grown


def _centre_in(cell: int, boxes: Iterable[Box]) -> bool:
    lon, lat = hexgrid.centre(cell)
    return any(x0 <= lon <= x1 and y0 <= lat <= y1 for x0, y0, x1, y1 in boxes)


def counts(
    conn: Connection, q: ReportQuery, *, resolution: int, public_resolution: int, max_cells: int
) -> tuple[list[tuple[str, int]], str]:
    """(cell id, reports) for every hexagon at `resolution` that holds reports `q` selects,
    sorted by cell, and the method in a line. The counts are those of the GeoJSON hexagons."""
    query, sensitive = selection(q, resolution, public_resolution)
    cell = hexgrid.sql_parent(q.placement.h3_column, resolution).label("cell")
    rows = conn.execute(
        sa.select(cell, sa.func.count()).where(*report_filters(conn, query)).group_by(cell)
    ).all()
    found = {int(c): int(n) for c, n in rows if c is not None}
    kept = in_view(found, q.boxes, max_cells)
    method = (
        f"Public reports per resolution-{resolution} H3 cell, the ancestor of their public "
        "resolution-15 cell; counts exact, as the public reports show them." + sensitive
    )
    return [(hexgrid.to_str(c), found[c]) for c in kept], method
