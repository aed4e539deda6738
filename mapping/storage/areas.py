"""Reading and writing administrative areas."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely
import sqlalchemy as sa
from geoalchemy2.shape import from_shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy.engine import Connection, Engine, RowMapping

from mapping.areas import AreaIndex, display_geojson
from mapping.storage.tables import areas

LISTED = (
    areas.c.code,
    areas.c.name,
    areas.c.level,
    areas.c.parent,
    areas.c.display,
    areas.c.updated_at,
)


def save_areas(conn: Connection, frame: gpd.GeoDataFrame, *, source: str) -> int:
    """Insert the areas of `frame`, replacing stored areas with the same codes."""
    now = datetime.now(UTC)
    codes = list(frame["code"])
    for start in range(0, len(codes), 500):
        conn.execute(sa.delete(areas).where(areas.c.code.in_(codes[start : start + 500])))
    rows = [
        {
            "code": r.code,
            "name": r.name,
            "level": int(r.level),
            "parent": None if pd.isna(r.parent) else str(r.parent),
            "display": display_geojson(r.geometry),
            "source": source,
            "updated_at": now,
            "geom": from_shape(r.geometry, srid=4326),
        }
        for r in frame.itertuples()
    ]
    if rows:
        conn.execute(sa.insert(areas), rows)
    return len(rows)


def index_rows(conn: Connection) -> list[tuple[str, int, BaseGeometry]]:
    """Every area's code, level and full geometry, for an AreaIndex."""
    query = sa.select(areas.c.code, areas.c.level, sa.func.ST_AsBinary(areas.c.geom))
    return [(code, level, shapely.from_wkb(bytes(wkb))) for code, level, wkb in conn.execute(query)]


def version(conn: Connection) -> tuple[Any, ...]:
    """Changes whenever areas are added, replaced or removed (for caches)."""
    query = sa.select(sa.func.count(), sa.func.max(areas.c.updated_at))
    return tuple(conn.execute(query).one())


def list_areas(conn: Connection, *, level: int | None = None) -> Sequence[RowMapping]:
    query = sa.select(*LISTED).order_by(areas.c.level, areas.c.code)
    if level is not None:
        query = query.where(areas.c.level == level)
    return conn.execute(query).mappings().all()


def get_area(conn: Connection, code: str) -> RowMapping | None:
    return conn.execute(sa.select(*LISTED).where(areas.c.code == code)).mappings().first()


def levels(conn: Connection) -> list[int]:
    return list(conn.scalars(sa.select(areas.c.level).distinct().order_by(areas.c.level)))


class AreaIndexCache:
    """The AreaIndex of the stored areas, rebuilt when they change (checked on each use).

    The check is one small query, so several processes sharing a database stay in step.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._lock = threading.Lock()
        self._version: tuple[Any, ...] | None = None
        self._index = AreaIndex([])

    def current(self) -> AreaIndex:
        with self._engine.connect() as conn:
            seen = version(conn)
            if seen == self._version:
                return self._index
            with self._lock:
                if seen != self._version:
                    self._index = AreaIndex(index_rows(conn))
                    self._version = seen
        return self._index
