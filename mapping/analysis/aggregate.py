"""Hexagon and area aggregates: integer GROUP BYs in SQL, suppression and indicators here.

Every aggregate is grouped by (unit, kind, category) in one query on either backend; a unit is an
H3 cell (the stored resolution-15 cell turned into its parent by bit arithmetic, in SQL) or an
area code (decided at ingest). Polygons are built only for the units in the answer.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

import numpy as np
import shapely
import shapely.geometry
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mapping import hexgrid
from mapping.analysis import cells as cells_of
from mapping.analysis.bulk import paused_gc
from mapping.analysis.units import Grouping, Tally, Unit, units_of
from mapping.errors import InvalidQuery
from mapping.storage import areas as area_store
from mapping.storage import effort as effort_store
from mapping.storage.reports import ReportQuery
from mapping.storage.tables import effort_cells
from mapping.taxonomy import KINDS

KIND_COUNT = {"service": "services", "litter": "surveys", "hotspot": "hotspots"}
INDICATORS = {
    "service": (
        "rated",
        "satisfied_share",
        "mean_satisfaction",
        "status_operational",
        "status_partly",
        "status_closed",
    ),
    "litter": ("items", "surveyed_m", "items_per_100m", "plastic_share"),
    "hotspot": ("mean_severity", "people_affected"),
}


def tally_effort(
    conn: Connection,
    units: dict[Any, Unit],
    unit: sa.ColumnElement[Any],
    q: ReportQuery,
    *,
    where: Iterable[sa.ColumnElement[bool]] = (),
) -> None:
    """Set the effort of every unit in `units` (visits that touched it), adding the units that
    have effort and no reports: those are the places looked at where nothing was found."""
    visits = effort_store.visits_by(conn, unit, q, where=where)
    for key, count in visits.items():
        units.setdefault(key, Unit(key)).effort = count
    for key, target in units.items():
        if key not in visits:
            target.effort = 0


def summarise(unit: Unit, *, threshold: int, kinds: Iterable[str] = KINDS) -> dict[str, Any]:
    """A unit's published properties: counts, by_category and the indicators of each kind.

    Counts of public reports are exact: anyone can count the public reports in a hexagon or
    area, so hiding them protects nothing (and differencing them recovers only what the
    listing shows). An indicator is null where its n is below `threshold`: that is a
    precision rule, not a privacy one, and a share comes with its Wilson interval.
    """
    by_category = {
        kind: dict(sorted(categories.items()))
        for kind, categories in sorted(unit.by_category.items())
    }
    out: dict[str, Any] = {
        "reports": unit.reports,
        "suppressed": False,
        # By kind first: some category codes (sanitation, other) are used by two kinds.
        "by_category": by_category,
    }
    for kind in kinds:
        tally = unit.kind_total(kind)
        out[KIND_COUNT[kind]] = tally.reports
        out.update(indicators(kind, tally, min_n=threshold))
    if unit.effort is not None:
        out.update(effort_figures(unit.effort, out["reports"], threshold=threshold))
    return out


def effort_figures(visits: int, reports: int | None, *, threshold: int) -> dict[str, Any]:
    """`effort` (visits), hidden below the threshold, and `reports_per_visit`, null unless
    both its parts are published (so neither can be worked back from it).

    Unlike report counts, visits are not public one by one (a walk's path is never
    published), so a handful of them could trace one observer: those stay hidden.
    """
    hidden = 0 < visits < threshold
    ratio = None
    if not hidden and visits and reports is not None:
        ratio = round(reports / visits, 3)
    return {
        "effort": None if hidden else visits,
        "effort_suppressed": hidden,
        "reports_per_visit": ratio,
    }


def wilson(successes: float, n: float, z: float = 1.959964) -> list[float] | None:
    """The Wilson score interval of a share (95% by default), as [low, high]; None for n = 0.
    A weighted share gives its estimate times its effective n, and that n.

    Closed form (Wilson 1927), as scipy's binomtest(...).proportion_ci(method="wilson")
    gives it, at a fraction of the cost per hexagon.
    """
    if n <= 0:
        return None
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return [round(max(0.0, centre - half), 4), round(min(1.0, centre + half), 4)]


def indicators(kind: str, t: Tally, *, min_n: int) -> dict[str, Any]:
    """The indicators of `kind` from a tally; null where their n is below `min_n` (too few
    for a figure worth reading)."""
    if kind == "service":
        ok = t.rated >= min_n and t.rated > 0
        return {
            "rated": t.rated,
            "satisfied_share": round(t.satisfied / t.rated, 4) if ok else None,
            "satisfied_share_ci": wilson(t.satisfied, t.rated) if ok else None,
            "mean_satisfaction": round(t.satisfaction_sum / t.rated, 3) if ok else None,
            # Counts of public reports by the status they give, exact as every count of them.
            "status_operational": t.status_operational,
            "status_partly": t.status_partly,
            "status_closed": t.status_closed,
        }
    if kind == "litter":
        ok = t.reports >= min_n and t.surveyed_m > 0
        return {
            "items": t.items,
            "surveyed_m": round(t.surveyed_m, 1),
            "items_per_100m": round(100 * t.items / t.surveyed_m, 2) if ok else None,
            "plastic_share": round(t.plastic / t.items, 4) if ok and t.items else None,
        }
    ok = t.reports >= min_n and t.reports > 0
    return {
        "mean_severity": round(t.severity_sum / t.reports, 3) if ok else None,
        "people_affected": t.people_affected,
    }


def hexes(
    conn: Connection,
    q: ReportQuery,
    *,
    resolution: int,
    threshold: int,
    public_resolution: int,
    max_cells: int,
    places: Callable[[list[float], list[float]], list[str | None]] | None = None,
    tallies: bool = True,
) -> tuple[list[dict[str, Any]], str, set[str | None]]:
    """Hexagon Features at `resolution` for the reports `q` selects, the method in a line, and
    the sources of the reports they count (None for reports sent here); with `places`, each
    names the area that holds its centre (`place`).

    A bbox selects the hexagons whose centre lies in it (so no box splits a hexagon); sensitive
    reports count only at resolutions no finer than the public one. The sums come from the
    tallies where they can answer (mapping.analysis.units), unless `tallies` is False.
    """
    method = (
        f"Public reports grouped by the resolution-{resolution} H3 ancestor of their public "
        "resolution-15 cell; counts exact, as the public reports show them; indicators null "
        f"below n = {threshold} (a precision rule), shares with a 95% Wilson interval."
    )
    # Many small objects, no cycles among them: collecting meanwhile costs more than the rest.
    with paused_gc():
        query, sensitive = cells_of.selection(q, resolution, public_resolution)
        method += sensitive
        units = units_of(conn, Grouping(resolution=resolution), query, tallies=tallies)
        method += _tally_hex_effort(conn, units, q, resolution=resolution)
        cells = cells_of.in_view(units, q.boxes, max_cells)
        kinds = [q.kind] if q.kind else list(KINDS)
        named: list[str | None] = [None] * len(cells)
        if places is not None and cells:
            lon, lat = hexgrid.centres(np.array(cells, dtype=np.uint64))
            named = places(lon.tolist(), lat.tolist())
        features = []
        for cell, place in zip(cells, named, strict=True):
            props: dict[str, Any] = {"h3": hexgrid.to_str(cell), "resolution": resolution}
            if places is not None:
                props["place"] = place
            props.update(summarise(units[cell], threshold=threshold, kinds=kinds))
            features.append(
                {
                    "type": "Feature",
                    "id": props["h3"],
                    "geometry": {"type": "Polygon", "coordinates": [hexgrid.boundary(cell)]},
                    "properties": props,
                }
            )
    return features, method, sources_of(units[cell] for cell in cells)


def sources_of(units: Iterable[Unit]) -> set[str | None]:
    """The sources of the reports counted in `units`."""
    return {source for unit in units if unit.reports for source in unit.sources}


def _tally_hex_effort(
    conn: Connection, units: dict[Any, Unit], q: ReportQuery, *, resolution: int
) -> str:
    """Effort per hexagon, when effort is stored at `resolution` or finer; the method's words.

    Effort cells are stored at one resolution, so a finer hexagon cannot be told; cells stored
    at a coarser resolution (the setting changed since) are left out rather than misplaced.
    """
    effort_cell = effort_cells.c.h3
    finest = effort_store.stored_resolution(conn)
    if finest is not None and resolution > finest:
        return f" Effort is recorded at H3 resolution {finest} and not shown finer."
    tally_effort(
        conn,
        units,
        hexgrid.sql_parent(effort_cell, resolution),
        q,
        where=[hexgrid.sql_at_least(effort_cell, resolution)],
    )
    return (
        " Effort: distinct observer visits whose track touched the hexagon; "
        "reports_per_visit divides its reports by them."
    )


def areas(
    conn: Connection, q: ReportQuery, *, level: int, threshold: int, tallies: bool = True
) -> tuple[list[dict[str, Any]], str, set[str | None]]:
    """Area Features of `level` with their aggregates, the method in a line, and the sources of
    the reports they count.

    Every area of the level is listed, those without reports with zero counts; a bbox selects
    the areas whose outline meets it.
    """
    listed = area_store.list_areas(conn, level=level)
    if not listed:
        raise InvalidQuery(
            f"No areas of level {level} are stored; import them with `civicmap areas import`.",
            [{"loc": ["query", "level"], "msg": f"no areas of level {level}"}],
        )
    with paused_gc():
        units = units_of(conn, Grouping(level=level), replace(q, boxes=()), tallies=tallies)
        tally_effort(conn, units, effort_cells.c[f"area_{level}"], replace(q, boxes=()))
        window = shapely.union_all([shapely.box(*b) for b in q.boxes]) if q.boxes else None
        kinds = [q.kind] if q.kind else list(KINDS)
        features = []
        shown: list[Unit] = []
        for area in listed:
            geometry = json.loads(area["display"])
            if window is not None and not shapely.intersects(
                window, shapely.geometry.shape(geometry)
            ):
                continue
            props = {
                "code": area["code"],
                "name": area["name"],
                "level": area["level"],
                "parent": area["parent"],
            }
            unit = units.get(area["code"]) or Unit(area["code"], effort=0)
            shown.append(unit)
            props.update(summarise(unit, threshold=threshold, kinds=kinds))
            features.append(
                {"type": "Feature", "id": area["code"], "geometry": geometry, "properties": props}
            )
    method = (
        f"Public reports grouped by the level-{level} area that holds their public position "
        "(decided at submission; a sensitive report's is its public cell's centre); counts "
        f"exact; indicators null below n = {threshold} (a precision rule), shares with a 95% "
        "Wilson interval. Effort: distinct observer visits that touched the area, hidden "
        f"below {threshold}."
    )
    return features, method, sources_of(shown)
