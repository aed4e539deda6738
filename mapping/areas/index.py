"""Which area of each level holds a point, and that index kept in step with the stored areas.

Membership is decided once per report at ingest, for every level at once, with prepared
polygons in an STRtree per level and one vectorised query per batch.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy.engine import Engine

from mapping.storage import areas as area_store


class AreaIndex:
    """Which area of each level holds a point: prepared polygons in an STRtree per level."""

    def __init__(self, areas: Sequence[tuple[str, int, BaseGeometry]]) -> None:
        self._levels: dict[int, tuple[np.ndarray, shapely.STRtree]] = {}
        by_level: dict[int, list[tuple[str, BaseGeometry]]] = {}
        for code, level, geom in sorted(areas, key=lambda a: a[0]):
            by_level.setdefault(level, []).append((code, geom))
        for level, members in by_level.items():
            geoms = np.array([g for _, g in members], dtype=object)
            shapely.prepare(geoms)
            self._levels[level] = (
                np.array([c for c, _ in members], dtype=object),
                shapely.STRtree(geoms),
            )

    def __bool__(self) -> bool:
        return bool(self._levels)

    @property
    def levels(self) -> list[int]:
        return sorted(self._levels)

    def assign(self, lons: Sequence[float], lats: Sequence[float]) -> dict[int, list[str | None]]:
        """For each level, the code of the area holding each point (None outside every area).

        A point on a shared border goes to the area whose code sorts first, so the answer does
        not depend on the order areas were imported in.
        """
        points = shapely.points(np.asarray(lons, dtype=float), np.asarray(lats, dtype=float))
        result: dict[int, list[str | None]] = {}
        for level, (codes, tree) in self._levels.items():
            found = np.full(len(points), None, dtype=object)
            point_idx, area_idx = tree.query(points, predicate="intersects")
            # Visit matches from the last code to the first so the first code is written last.
            order = np.lexsort((-area_idx, point_idx))
            found[point_idx[order]] = codes[area_idx[order]]
            result[level] = found.tolist()
        return result

    def places(
        self, lons: Sequence[float], lats: Sequence[float], names: dict[str, tuple[str, str | None]]
    ) -> list[str | None]:
        """For each point, the name of the finest area holding it and of that area's parent
        ("Accra Metropolitan, Greater Accra"), from `names` (code -> name, parent code)."""
        found = self.assign(lons, lats)
        out: list[str | None] = [None] * len(lons)
        for level in sorted(found):  # finer levels written last
            for i, code in enumerate(found[level]):
                if code is not None and code in names:
                    name, parent = names[code]
                    above = names.get(parent) if parent else None
                    out[i] = f"{name}, {above[0]}" if above else name
        return out

    def nearest(
        self, lons: Sequence[float], lats: Sequence[float], *, level: int, within: float
    ) -> list[str | None]:
        """For each point, the code of the nearest area of `level` within `within` degrees
        (None beyond): for points that simplified outlines leave just outside."""
        if level not in self._levels:
            return [None] * len(lons)
        codes, tree = self._levels[level]
        points = shapely.points(np.asarray(lons, dtype=float), np.asarray(lats, dtype=float))
        point_idx, area_idx = tree.query_nearest(points, max_distance=within, all_matches=False)
        found = np.full(len(points), None, dtype=object)
        found[point_idx] = codes[area_idx]
        return found.tolist()  # type: ignore[no-any-return]


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
            seen = area_store.version(conn)
            if seen == self._version:
                return self._index
            with self._lock:
                if seen != self._version:
                    self._index = AreaIndex(area_store.index_rows(conn))
                    self._version = seen
        return self._index
