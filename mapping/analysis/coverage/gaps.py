"""Coverage gaps: how far each hexagon of the analysed areas lies from the nearest service point.

Every hexagon of the study area (its outlines filled with H3 cells, see studyarea) gets the
great-circle distance from its centre to the nearest service point of a category (KD-tree on
the unit sphere, see nearest), `covered` when that is at most the threshold, and a demand:
the reports of other kinds in the hexagon, or the population where a population layer was
imported. Service points come from citizen reports of kind `service`, from imported facility
lists, or both, so a planner can compare the two.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mapping import hexgrid
from mapping.analysis.coverage.nearest import nearest_m
from mapping.analysis.studyarea import AreaGrid
from mapping.storage import dialect
from mapping.storage import facilities as facility_store
from mapping.storage import population as population_store
from mapping.storage.reports import ReportQuery, report_filters
from mapping.storage.tables import reports

Source = Literal["reports", "facilities", "both"]
SOURCES: tuple[Source, ...] = ("reports", "facilities", "both")


@dataclass(frozen=True, slots=True)
class CoverageQuery:
    """What to analyse: service `category`, hexagon `resolution`, threshold in metres, where the
    service points come from, and the report filters (status, time, campaign; `kind` chooses the
    demand reports) for both supply and demand reports."""

    category: str
    resolution: int
    max_distance_m: float
    source: Source = "both"
    reports: ReportQuery = field(default_factory=ReportQuery)
    public_resolution: int = 7


@dataclass(frozen=True, slots=True)
class Coverage:
    """Per hexagon of `grid`: distance (m, NaN without any service point), covered, demand."""

    grid: AreaGrid
    distance_m: np.ndarray
    covered: np.ndarray
    demand: np.ndarray
    demand_kind: Literal["reports", "population"]
    supply_lon: np.ndarray
    supply_lat: np.ndarray
    method: str


def analyse(conn: Connection, grid: AreaGrid, q: CoverageQuery) -> Coverage:
    """Distances, coverage and demand for every hexagon of `grid`."""
    lon, lat = service_points(conn, q)
    distance, _ = nearest_m(grid.lon, grid.lat, lon, lat)
    covered = distance <= q.max_distance_m  # NaN compares False: no service, not covered
    if population_store.has_population(conn):
        demand = population_store.population_at(conn, grid.cells, grid.resolution)
        kind: Literal["reports", "population"] = "population"
    else:
        demand = demand_reports(conn, grid, q)
        kind = "reports"
    return Coverage(grid, distance, covered, demand, kind, lon, lat, _method(q, kind))


def service_points(conn: Connection, q: CoverageQuery) -> tuple[np.ndarray, np.ndarray]:
    """(lon, lat) in WGS84 degrees of the service points of `q.category` from `q.source`.

    A sensitive service report stands at the centre of its cell at the public resolution, as
    the public sees it: distances from many hexagons would otherwise locate it exactly.
    """
    lons: list[np.ndarray] = []
    lats: list[np.ndarray] = []
    if q.source in ("reports", "both"):
        # Service points anywhere count: the nearest clinic may lie across the area's border.
        wanted = replace(q.reports, kind="service", category=q.category, boxes=(), area=None)
        geom = wanted.placement.geom_column
        query = sa.select(dialect.point_lon(geom), dialect.point_lat(geom)).where(
            *report_filters(conn, wanted)
        )
        found = np.array(conn.execute(query).all(), dtype=float).reshape(-1, 2)
        lons.append(found[:, 0])
        lats.append(found[:, 1])
    if q.source in ("facilities", "both"):
        x, y = facility_store.points(conn, category=q.category)
        lons.append(x)
        lats.append(y)
    return np.concatenate(lons), np.concatenate(lats)


def demand_reports(conn: Connection, grid: AreaGrid, q: CoverageQuery) -> np.ndarray:
    """Reports per hexagon of `grid` that are not service points: of kind `q.reports.kind` when
    given, else of every kind but `service`. Sensitive reports count only at resolutions no
    finer than the public one, as in the hexagon aggregates."""
    rq = replace(q.reports, category=None, boxes=(), area=None)
    if q.resolution > q.public_resolution:
        rq = replace(rq, include_sensitive=False)
    where = report_filters(conn, rq)
    if rq.kind is None:
        where.append(reports.c.kind != "service")
    unit = hexgrid.sql_parent(rq.placement.h3_column, grid.resolution)
    query = sa.select(unit, sa.func.count()).where(*where).group_by(unit)
    found = np.array(conn.execute(query).all(), dtype=np.int64).reshape(-1, 2)
    demand = np.zeros(len(grid), dtype=np.int64)
    if len(found):
        index = hexgrid.lookup(grid.cells, found[:, 0].astype(np.uint64))
        demand[index[index >= 0]] = found[index >= 0, 1]
    return demand


def _method(q: CoverageQuery, kind: str) -> str:
    source = {"reports": "citizen service reports", "facilities": "imported facility lists"}
    supply = source.get(q.source, "citizen service reports and imported facility lists")
    demand = (
        "population (points in their cell; areas spread evenly over their cells)"
        if kind == "population"
        else "reports of other kinds in the hexagon"
    )
    return (
        f"Every resolution-{q.resolution} H3 hexagon whose centre lies in the analysed areas; "
        f"great-circle distance (sphere of radius 6371 km) from its centre to the nearest "
        f"{q.category} point of the {supply}, by KD-tree; covered within {q.max_distance_m:g} m; "
        f"demand: {demand}."
    )
