"""Coverage gaps: how far each hexagon of the analysed areas lies from the nearest open service.

Every hexagon of the study area (its outlines filled with H3 cells, see studyarea) gets the
straight-line (great-circle) distance from its centre to the nearest service point of a
category (KD-tree on the unit sphere, see nearest), `covered` when that is at most the
threshold, and a demand: the people of the population layer imported last, or, without one (or
when asked), the reports of other kinds in the hexagon. Service points are the register's
facilities that are open by the latest evidence (see register), citizen service reports that do
not say the service is closed, or both, each facility once.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mapping import hexgrid
from mapping.analysis.coverage.nearest import nearest_m
from mapping.analysis.coverage.register import check_register
from mapping.analysis.studyarea import AreaGrid
from mapping.errors import InvalidQuery
from mapping.storage import population as population_store
from mapping.storage.population import Layer
from mapping.storage.reports import ReportQuery, report_filters
from mapping.storage.tables import reports

Source = Literal["reports", "facilities", "both"]
SOURCES: tuple[Source, ...] = ("reports", "facilities", "both")


Demand = Literal["population", "reports"]


@dataclass(frozen=True, slots=True)
class CoverageQuery:
    """What to analyse: service `category`, hexagon `resolution`, threshold in metres, where the
    service points come from, what demand is (people where a population layer exists, unless
    `demand` says reports), and the report filters (status, time, campaign; `kind` chooses the
    demand reports) for both supply and demand reports."""

    category: str
    resolution: int
    max_distance_m: float
    source: Source = "both"
    reports: ReportQuery = field(default_factory=ReportQuery)
    public_resolution: int = 7
    demand: Demand | None = None
    tier: int | None = None  # only register facilities of this tier


@dataclass(frozen=True, slots=True)
class Supply:
    """The service points measured to: WGS84 degrees, and what each one is (`origin` is
    `register` or `citizens`, `code` the register's `source:code` or the report's id)."""

    lon: np.ndarray
    lat: np.ndarray
    name: list[str]
    code: list[str]
    origin: list[str]


@dataclass(frozen=True, slots=True)
class Coverage:
    """Per hexagon of `grid`: distance (m, NaN without any service point), covered, demand,
    and the nearest service point (an index into `supply`, -1 without any)."""

    grid: AreaGrid
    distance_m: np.ndarray
    covered: np.ndarray
    demand: np.ndarray
    demand_kind: Demand
    supply: Supply
    nearest: np.ndarray
    method: str
    population: Layer | None = None
    known: np.ndarray | None = None  # where the population layer says something (else all)
    max_distance_m: float = 0.0

    @property
    def supply_lon(self) -> np.ndarray:
        return self.supply.lon

    @property
    def supply_lat(self) -> np.ndarray:
        return self.supply.lat


def analyse(conn: Connection, grid: AreaGrid, q: CoverageQuery) -> Coverage:
    """Distances, coverage and demand for every hexagon of `grid`."""
    supply = service_points(conn, q)
    distance, nearest = nearest_m(grid.lon, grid.lat, supply.lon, supply.lat)
    covered = distance <= q.max_distance_m  # NaN compares False: no service, not covered
    layer = population_store.current_layer(conn) if q.demand != "reports" else None
    if q.demand == "population" and layer is None:
        raise InvalidQuery(
            "No population layer is imported, so demand cannot be people: import one with "
            "`civicmap population import`, or ask for demand=reports.",
            [{"loc": ["query", "demand"], "msg": "no population layer"}],
        )
    if layer is not None:
        people = population_store.population_at(
            conn, grid.cells, grid.resolution, source=layer.source
        )
        known, demand = np.isfinite(people), np.nan_to_num(people)
        kind: Demand = "population"
    else:
        demand = demand_reports(conn, grid, q)
        kind = "reports"
        known = np.ones(len(grid), dtype=bool)
    method = _method(q, kind, layer)
    return Coverage(
        grid,
        distance,
        covered,
        demand,
        kind,
        supply,
        nearest,
        method,
        layer,
        known,
        max_distance_m=q.max_distance_m,
    )


def service_points(conn: Connection, q: CoverageQuery) -> Supply:
    """The service points of `q.category` from `q.source`: register facilities that are open by
    the latest evidence (mapping.analysis.coverage.register), citizen service reports that do
    not say the service is closed, or both, where a report matched to a facility is that
    facility and not a second point.

    Service points anywhere count, since the nearest clinic may lie across the area's border.
    A sensitive service report stands at the centre of its cell at the public resolution, as
    the public sees it: distances from many hexagons would otherwise locate it exactly.
    """
    wanted = replace(q.reports, boxes=(), area=None)
    checked = check_register(conn, wanted, category=q.category)
    parts: list[tuple[pd.DataFrame, str]] = []
    if q.tier is not None:  # a tier is the register's: citizen reports have none
        open_ = checked.open_points()
        open_ = open_[open_["tier"] == q.tier]
        parts.append((open_.assign(key=open_["source"] + ":" + open_["code"]), "register"))
    elif q.source in ("facilities", "both"):
        open_ = checked.open_points()
        parts.append((open_.assign(key=open_["source"] + ":" + open_["code"]), "register"))
    if q.tier is None and q.source in ("reports", "both"):
        citizens = checked.reports if q.source == "reports" else checked.missing()
        citizens = citizens[citizens["state"] != "closed"]
        parts.append((citizens.assign(key=citizens["id"].astype(str)), "citizens"))
    lon = np.concatenate([p["lon"].to_numpy(float) for p, _ in parts])
    lat = np.concatenate([p["lat"].to_numpy(float) for p, _ in parts])
    names = [n for p, _ in parts for n in p["name"].tolist()]
    codes = [c for p, _ in parts for c in p["key"].tolist()]
    origins = [o for p, o in parts for _ in range(len(p))]
    return Supply(lon, lat, names, codes, origins)


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


def _method(q: CoverageQuery, kind: str, layer: Layer | None) -> str:
    source = {
        "reports": "citizen service reports that do not say it is closed",
        "facilities": "register facilities open by the latest evidence",
    }
    supply = source.get(
        q.source,
        "register facilities open by the latest evidence, and citizen service reports that "
        "match none and do not say it is closed",
    )
    if q.tier is not None:
        supply = (
            f"register facilities of tier {q.tier} (where a tier list gives one) open by the "
            "latest evidence"
        )
    if layer is not None:
        year = f", {layer.year}" if layer.year else ""
        demand = f"people, from the population layer {layer.title!r}{year} ({layer.method})"
    else:
        demand = "a count of reports of other kinds in the hexagon (not people)"
    return (
        f"Every resolution-{q.resolution} H3 hexagon whose centre lies in the analysed areas; "
        f"straight-line (great-circle, sphere of radius 6371 km) distance from its centre to "
        f"the nearest {q.category} point of the {supply}, by KD-tree, not travel time; covered "
        f"within {q.max_distance_m:g} m; demand: {demand}."
    )
