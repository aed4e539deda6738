"""Reading and writing administrative areas."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely
import sqlalchemy as sa
from geoalchemy2.shape import from_shape
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry
from sqlalchemy.engine import Connection, RowMapping

from mapping.storage.tables import areas

LISTED = (
    areas.c.code,
    areas.c.name,
    areas.c.level,
    areas.c.parent,
    areas.c.display,
    areas.c.updated_at,
)


def display_geojson(geom: BaseGeometry, tolerance: float | None = None) -> str:
    """The outline simplified for maps (about 1/2000 of its extent), coordinates to 5 decimals."""
    if tolerance is None:
        minx, miny, maxx, maxy = geom.bounds
        tolerance = max(maxx - minx, maxy - miny) / 2000
    simple = geom.simplify(tolerance, preserve_topology=True)
    rounded = shapely.set_precision(simple, 1e-5)
    return json.dumps(mapping(rounded), separators=(",", ":"))


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
