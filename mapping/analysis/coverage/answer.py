"""Coverage as published: hexagon Features, the summary, and the table per area.

Demand that counts reports is a count like any aggregate: a hexagon's demand below the
threshold is null with `suppressed: true`, and the published totals (all demand, uncovered
demand, hence covered demand by difference) are protected with secondary suppression
(disclosure.suppress.protect_tree), so no total minus the published hexagons gives a hidden one
away. (The hexagon aggregates publish the same counts exactly, since the public listing shows
them; this caution is kept until coverage is reworked.) Zero is published as zero. Population
demand is an estimate spread over cells, not a count of people who reported, and is published
rounded to one decimal.
"""

from __future__ import annotations

import json
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import numpy as np
import shapely
from sqlalchemy.engine import Connection

from mapping import hexgrid
from mapping.analysis.bulk import paused_gc
from mapping.analysis.coverage.gaps import Coverage, CoverageQuery, analyse
from mapping.analysis.coverage.register import STATES, check_register
from mapping.analysis.studyarea import Box, analysed_codes, area_grid, codes_within
from mapping.disclosure.suppress import protect_tree
from mapping.errors import InvalidQuery
from mapping.storage import areas as area_store
from mapping.storage import facilities as facility_store
from mapping.storage import population as population_store


def summary_and_demand(cov: Coverage, *, threshold: int) -> tuple[dict[str, Any], list[Any]]:
    """The `summary` member and each hexagon's published demand (None where suppressed)."""
    covered = cov.covered
    hexes = len(cov.grid)
    summary: dict[str, Any] = {
        "hexes": hexes,
        "covered_hexes": int(covered.sum()),
        "covered_share": round(float(covered.mean()), 4) if hexes else None,
        "service_points": len(cov.supply_lon),
        "demand_kind": cov.demand_kind,
    }
    if cov.demand_kind == "population":
        total, uncovered = float(cov.demand.sum()), float(cov.demand[~covered].sum())
        summary.update(
            demand=round(total, 1),
            demand_uncovered=round(uncovered, 1),
            demand_covered_share=round(1 - uncovered / total, 4) if total else None,
            suppressed=False,
            **_people(total, uncovered, cov.max_distance_m),
            unknown_population_hexes=int((~cov.known).sum()) if cov.known is not None else 0,
            population=cov.population.about() if cov.population else None,
        )
        return summary, np.round(cov.demand, 1).tolist()

    demand = cov.demand.astype(np.int64)
    nonzero = np.flatnonzero(demand)
    parts: dict[Hashable, dict[Hashable, int]] = {"covered": {}, "uncovered": {}}
    for i in nonzero.tolist():
        parts["covered" if covered[i] else "uncovered"][i] = int(demand[i])
    total = int(demand.sum())
    hidden_total, hidden_groups, hidden_cells = protect_tree(total, parts, threshold)
    uncovered = sum(parts["uncovered"].values())
    show_uncovered = not hidden_total and "uncovered" not in hidden_groups
    summary.update(
        demand=None if hidden_total else total,
        demand_uncovered=uncovered if show_uncovered else None,
        demand_covered_share=round(1 - uncovered / total, 4) if show_uncovered and total else None,
        suppressed=bool(hidden_total or hidden_groups or hidden_cells),
    )
    published: list[Any] = demand.tolist()
    for _, cell in hidden_cells:
        published[int(cell)] = None  # type: ignore[call-overload]
    return summary, published


def _people(total: float, beyond: float, distance_m: float) -> dict[str, Any]:
    """People, people beyond the distance, and the share within it (population demand)."""
    return {
        "people": round(total),
        "people_out_of_reach": round(beyond),
        "share_within_reach": round(1 - beyond / total, 4) if total else None,
        "reach_km": round(distance_m / 1000, 3),
    }


def hexagon_features(
    cov: Coverage, *, threshold: int
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """A Feature per hexagon (its polygon, distance, covered, demand) and the summary."""
    summary, demand = summary_and_demand(cov, threshold=threshold)
    grid = cov.grid
    # NaN (no service point at all) becomes None.
    distance = [None if d != d else d for d in np.round(cov.distance_m, 1).tolist()]
    codes = [grid.codes[a] for a in grid.area.tolist()]
    covered = cov.covered.tolist()
    people = _hexagon_people(cov)
    supply = cov.supply
    nearest = cov.nearest.tolist()
    with paused_gc():
        rings = hexgrid.boundaries(grid.cells)
        features = []
        for i, cell in enumerate(grid.cells.tolist()):
            cell_id = format(cell, "x")
            features.append(
                {
                    "type": "Feature",
                    "id": cell_id,
                    "geometry": {"type": "Polygon", "coordinates": [rings[i]]},
                    "properties": {
                        "h3": cell_id,
                        "resolution": grid.resolution,
                        "area": codes[i],
                        "distance_m": distance[i],
                        "covered": covered[i],
                        "demand": demand[i],
                        "suppressed": demand[i] is None,
                        "population": people[i][0],
                        "people_out_of_reach": people[i][1],
                        "nearest_name": supply.name[nearest[i]] if nearest[i] >= 0 else None,
                        "nearest_code": supply.code[nearest[i]] if nearest[i] >= 0 else None,
                        "nearest_origin": supply.origin[nearest[i]] if nearest[i] >= 0 else None,
                    },
                }
            )
    return features, summary


def _hexagon_people(cov: Coverage) -> list[tuple[float | None, float | None]]:
    """(people, people out of reach) per hexagon; None without a population layer, or where
    the layer says nothing of the hexagon."""
    if cov.demand_kind != "population" or cov.known is None:
        return [(None, None)] * len(cov.grid)
    people = np.round(cov.demand, 1)
    beyond = np.where(cov.covered, 0.0, people)
    return [
        (p, b) if k else (None, None)
        for p, b, k in zip(people.tolist(), beyond.tolist(), cov.known.tolist(), strict=True)
    ]


def area_rows(cov: Coverage, *, threshold: int) -> list[dict[str, Any]]:
    """Per analysed area: hexagons, covered share of hexagons and of demand, service points
    inside it. Each area's demand, uncovered and covered demand are protected together."""
    grid = cov.grid
    n = len(grid.codes)
    hexes = np.bincount(grid.area, minlength=n)
    covered_hexes = np.bincount(grid.area, weights=cov.covered, minlength=n)
    demand = np.bincount(grid.area, weights=cov.demand, minlength=n)
    uncovered = np.bincount(grid.area, weights=np.where(cov.covered, 0, cov.demand), minlength=n)
    rows = []
    for a, code in enumerate(grid.codes):
        row: dict[str, Any] = {
            "code": code,
            "hexes": int(hexes[a]),
            "covered_hexes": int(covered_hexes[a]),
            "covered_share": round(float(covered_hexes[a] / hexes[a]), 4) if hexes[a] else None,
            "service_points": _inside(grid.outlines[a], cov.supply_lon, cov.supply_lat),
            "demand_kind": cov.demand_kind,
        }
        row.update(_area_demand(cov.demand_kind, float(demand[a]), float(uncovered[a]), threshold))
        if cov.demand_kind == "population":
            row.update(_people(float(demand[a]), float(uncovered[a]), cov.max_distance_m))
        rows.append(row)
    return rows


def _area_demand(kind: str, total: float, uncovered: float, threshold: int) -> Mapping[str, Any]:
    if kind == "population":
        hidden_total, hidden_groups = False, set[Hashable]()
        total, uncovered = round(total, 1), round(uncovered, 1)
    else:
        total, uncovered = round(total), round(uncovered)
        parts: dict[Hashable, dict[Hashable, int]] = {
            "covered": {"all": total - uncovered},
            "uncovered": {"all": uncovered},
        }
        hidden_total, hidden_groups, _ = protect_tree(total, parts, threshold)
    show = not hidden_total and "uncovered" not in hidden_groups
    return {
        "demand": None if hidden_total else total,
        "demand_uncovered": uncovered if show else None,
        "demand_covered_share": round(1 - uncovered / total, 4) if show and total else None,
        "suppressed": bool(hidden_total or hidden_groups),
    }


def _inside(outline: shapely.Geometry, lon: np.ndarray, lat: np.ndarray) -> int:
    if len(lon) == 0:
        return 0
    return int(shapely.contains_xy(outline, np.asarray(lon), np.asarray(lat)).sum())


def coverage_hexes(
    conn: Connection,
    q: CoverageQuery,
    *,
    area: str | None,
    boxes: Sequence[Box],
    threshold: int,
    max_cells: int,
    max_features: int,
) -> tuple[list[dict[str, Any]], dict[str, Any], str]:
    """Hexagon Features of the analysed areas (`area`, else the coarsest level's), their
    summary and the method. More than `max_features` hexagons is refused before any polygon is
    built: the summary of a bigger study area is what /coverage/areas gives."""
    grid = area_grid(
        conn,
        analysed_codes(conn, area=area),
        resolution=q.resolution,
        boxes=boxes,
        max_cells=max_cells,
    )
    if len(grid) > max_features:
        raise InvalidQuery(
            f"The answer would hold {len(grid)} hexagons, more than {max_features}; choose one "
            "area (area=), a bbox or a coarser resolution, or ask /api/v1/coverage/areas for "
            "the covered shares per area at this resolution.",
            [{"loc": ["query", "resolution"], "msg": "too many hexagons for one answer"}],
        )
    cov = analyse(conn, grid, q)
    features, summary = hexagon_features(cov, threshold=threshold)
    return features, summary, cov.method


def coverage_areas(
    conn: Connection,
    q: CoverageQuery,
    *,
    level: int,
    area: str | None,
    boxes: Sequence[Box],
    threshold: int,
    max_cells: int,
) -> tuple[list[dict[str, Any]], dict[str, Any], str]:
    """Area Features of `level` with their coverage, a summary of hexagons, and the method."""
    codes = codes_within(conn, level=level, area=area, boxes=boxes)
    grid = area_grid(conn, codes, resolution=q.resolution, max_cells=max_cells)
    cov = analyse(conn, grid, q)
    listed = {a["code"]: a for a in area_store.list_areas(conn, level=level)}
    features = []
    for row in area_rows(cov, threshold=threshold):
        stored = listed[row["code"]]
        props = {"name": stored["name"], "level": stored["level"], "parent": stored["parent"]}
        features.append(
            {
                "type": "Feature",
                "id": row["code"],
                "geometry": json.loads(stored["display"]),
                "properties": {"code": row["code"], **props, **row},
            }
        )
    covered = int(cov.covered.sum())
    summary: dict[str, Any] = {
        "hexes": len(grid),
        "covered_hexes": covered,
        "covered_share": round(covered / len(grid), 4) if len(grid) else None,
        "service_points": len(cov.supply_lon),
        "demand_kind": cov.demand_kind,
    }
    if cov.demand_kind == "population":
        total, beyond = float(cov.demand.sum()), float(cov.demand[~cov.covered].sum())
        summary.update(
            **_people(total, beyond, cov.max_distance_m),
            population=cov.population.about() if cov.population else None,
        )
    return features, summary, cov.method + " Shares per area of its hexagons and demand."


AREA_REACH_KM = 5.0
AREA_REACH_RESOLUTION = 8


def area_reach(
    conn: Connection,
    code: str,
    level: int,
    *,
    category: str = "health_facility",
    threshold: int,
    max_cells: int,
) -> dict[str, Any] | None:
    """An area's scorecard figures of reach: people beyond `AREA_REACH_KM` of an open facility
    of `category` (resolution-8 hexagons, straight-line distance), the share within reach, and
    the register's facilities in the area by their state. None where there is neither a
    register nor a population layer to speak of."""
    if not facility_store.count_by_category(conn).get(category) and (
        population_store.current_layer(conn) is None
    ):
        return None
    q = CoverageQuery(
        category=category,
        resolution=AREA_REACH_RESOLUTION,
        max_distance_m=AREA_REACH_KM * 1000,
        source="both",
    )
    try:
        features, summary, method = coverage_areas(
            conn, q, level=level, area=code, boxes=(), threshold=threshold, max_cells=max_cells
        )
    except InvalidQuery:  # an area too large for the analysis at this resolution
        return None
    row = next((f["properties"] for f in features if f["id"] == code), None)
    if row is None:
        return None
    checked = check_register(conn, q.reports, category=category, area=code)
    states = {s: int((checked.facilities["state"] == s).sum()) for s in STATES}
    return {
        "category": category,
        "reach_km": AREA_REACH_KM,
        "row": row,
        "population": summary.get("population"),
        "facilities": len(checked.facilities),
        "open": int(checked.facilities["open"].sum()) if len(checked.facilities) else 0,
        "states": states,
        "missing": len(checked.missing()),
        "method": method,
    }
