"""Which reports a hexagon answer counts, and which hexagons it lists; and the compact answer of
the map, report counts per H3 cell with no outlines, which the browser draws from the cell ids.

Both the GeoJSON hexagons (mapping.analysis.aggregate.hexes) and the compact cells follow the
same rules, set here once: a bbox selects the hexagons whose centre lies in it (so no box splits
a hexagon's count), sensitive reports count only at resolutions no finer than the public one,
and an answer holds at most `max_cells` hexagons.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

from sqlalchemy.engine import Connection

from mapping import hexgrid
from mapping.analysis.bulk import paused_gc
from mapping.analysis.units import Grouping, counts_of
from mapping.errors import InvalidQuery
from mapping.hexgrid import widened
from mapping.storage.reports import ReportQuery

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


def _centre_in(cell: int, boxes: Iterable[Box]) -> bool:
    lon, lat = hexgrid.centre(cell)
    return any(x0 <= lon <= x1 and y0 <= lat <= y1 for x0, y0, x1, y1 in boxes)


def counts(
    conn: Connection,
    q: ReportQuery,
    *,
    resolution: int,
    public_resolution: int,
    max_cells: int,
    tallies: bool = True,
) -> tuple[list[tuple[str, int]], str, set[str | None]]:
    """(cell id, reports) for every hexagon at `resolution` that holds reports `q` selects,
    sorted by cell, the method in a line, and the sources of the reports counted. The counts
    are those of the GeoJSON hexagons."""
    query, sensitive = selection(q, resolution, public_resolution)
    with paused_gc():
        found, sources = counts_of(conn, Grouping(resolution=resolution), query, tallies=tallies)
    kept = in_view(found, q.boxes, max_cells)
    method = (
        f"Public reports per resolution-{resolution} H3 cell, the ancestor of their public "
        "resolution-15 cell; counts exact, as the public reports show them." + sensitive
    )
    counted = {source for cell in kept for source in sources[cell]}
    return [(hexgrid.to_str(c), found[c]) for c in kept], method, counted
