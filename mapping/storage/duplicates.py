"""The `possible_duplicate` flag: a report that follows an earlier one of the same kind and
category, close in place and time.

A survey import sends thousands of reports of one kind, category and time, so comparing every
pair in the database costs the square of the batch. Instead, the earlier reports that could
match are read once per kind and category (by the time index and the spatial index), hashed
into a grid whose cells are as wide as the distance, and each new report is measured only
against the reports of its own and the eight neighbouring cells: linear in the reports read.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import NamedTuple

import numpy as np
import sqlalchemy as sa
from pyproj import Geod
from sqlalchemy.engine import Connection

from mapping.storage import dialect
from mapping.storage.reports import add_flag
from mapping.storage.tables import reports

# The exact geodesic on the WGS84 ellipsoid, as PostGIS's geography and SpatiaLite's
# ST_Distance(a, b, 1) measure it.
_GEOD = Geod(ellps="WGS84")
_CHUNK = 5000


def flag_possible_duplicates(
    conn: Connection, seqs: Sequence[int], *, distance_m: float, window_s: float
) -> list[int]:
    """Flag `possible_duplicate` on those of the reports `seqs` that follow an earlier report of
    the same kind and category within `distance_m` metres and `window_s` seconds.

    The flag is public, so it is decided on public positions and times alone, and never by a
    sensitive earlier report: a probe sent near a sensitive report must learn nothing of where
    it is. (Moderators see sensitive reports' exact points and can judge those pairs.)
    """
    flagged: list[int] = []
    for start in range(0, len(seqs), _CHUNK):
        new = _points(conn, reports.c.seq.in_(list(seqs[start : start + _CHUNK])))
        groups: dict[tuple[str, str], list[_Point]] = defaultdict(list)
        for point in new:
            groups[point.kind, point.category].append(point)
        for (kind, category), points in groups.items():
            flagged += _follow_earlier(conn, kind, category, points, distance_m, window_s)
    add_flag(conn, flagged, "possible_duplicate")
    return flagged


class _Point(NamedTuple):
    seq: int
    kind: str
    category: str
    lon: float
    lat: float
    at: datetime


def _points(conn: Connection, *where: sa.ColumnElement[bool]) -> list[_Point]:
    query = sa.select(
        reports.c.seq,
        reports.c.kind,
        reports.c.category,
        dialect.point_lon(reports.c.public_geom),
        dialect.point_lat(reports.c.public_geom),
        reports.c.public_observed_at,
    ).where(reports.c.public_geom.is_not(None), *where)
    return [_Point(*row) for row in conn.execute(query)]


def _follow_earlier(
    conn: Connection,
    kind: str,
    category: str,
    new: list[_Point],
    distance_m: float,
    window_s: float,
) -> list[int]:
    """The seqs of `new` (of one kind and category) that have an earlier match."""
    # Degrees of longitude shrink towards the poles: size the cells for the highest latitude.
    top = min(max(abs(p.lat) for p in new), 89.0)
    lat_step = max(distance_m / 110_574, 1e-9)  # a degree of latitude is at least 110,574 m
    lon_step = max(lat_step * 110_574 / 111_320 / max(math.cos(math.radians(top)), 0.01), 1e-9)
    window = timedelta(seconds=window_s)
    box = (
        min(p.lon for p in new) - lon_step,
        min(p.lat for p in new) - lat_step,
        max(p.lon for p in new) + lon_step,
        max(p.lat for p in new) + lat_step,
    )
    earlier = _points(
        conn,
        reports.c.kind == kind,
        reports.c.category == category,
        ~reports.c.sensitive,
        reports.c.public_observed_at >= min(p.at for p in new) - window,
        reports.c.public_observed_at <= max(p.at for p in new) + window,
        reports.c.seq < max(p.seq for p in new),
        dialect.within_boxes(conn, reports, [box], geom="public_geom"),
    )
    grid: dict[tuple[int, int], list[_Point]] = defaultdict(list)
    for point in earlier:
        grid[_cell(point, lon_step, lat_step)].append(point)
    pairs: list[tuple[_Point, _Point]] = []
    for point in new:
        x, y = _cell(point, lon_step, lat_step)
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                pairs += [
                    (point, old)
                    for old in grid.get((x + dx, y + dy), ())
                    if old.seq < point.seq and _close_in_time(old.at, point.at, window)
                ]
    if not pairs:
        return []
    _, _, metres = _GEOD.inv(
        np.array([p.lon for p, _ in pairs]),
        np.array([p.lat for p, _ in pairs]),
        np.array([o.lon for _, o in pairs]),
        np.array([o.lat for _, o in pairs]),
    )
    metres = np.atleast_1d(metres)
    return sorted({p.seq for (p, _), m in zip(pairs, metres, strict=True) if m <= distance_m})


def _cell(point: _Point, lon_step: float, lat_step: float) -> tuple[int, int]:
    return math.floor(point.lon / lon_step), math.floor(point.lat / lat_step)


def _close_in_time(a: datetime, b: datetime, window: timedelta) -> bool:
    return abs(a - b) <= window
