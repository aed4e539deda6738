"""The hexagons of the analysed areas: their polygons filled with H3 cells, cached.

Coverage and hotspots analyse every hexagon of a study area, with or without reports. Filling a
country at resolution 8 takes about a second (422,848 cells for Ghana, most of it asking h3 for
each centre), so grids are kept in a small in-process cache keyed by the database, the
areas' version, the codes, the boxes and the resolution: a cache, not state, since any change
of the areas changes the key and every process computes the same grid.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from pyproj import Geod
from shapely.geometry.base import BaseGeometry
from sqlalchemy.engine import Connection

from mapping import hexgrid
from mapping.errors import InvalidQuery, NotFound
from mapping.storage import areas as area_store

Box = tuple[float, float, float, float]
_KM_PER_DEGREE = 111.32
CACHE_SIZE = 8


@dataclass(frozen=True, slots=True)
class AreaGrid:
    """The cells of some areas at one resolution, sorted, with their centres (WGS84 lon, lat
    degrees) and the index in `codes` of the area whose outline holds each centre."""

    resolution: int
    cells: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    area: np.ndarray
    codes: tuple[str, ...]
    outlines: tuple[BaseGeometry, ...]

    def __len__(self) -> int:
        return len(self.cells)


def analysed_codes(
    conn: Connection, *, area: str | None = None, level: int | None = None
) -> list[str]:
    """The codes of the areas to analyse: `area` alone, else every area of `level`, else every
    area of the coarsest stored level (the country if stored, else its regions)."""
    if area is not None:
        if area_store.get_area(conn, area) is None:
            raise NotFound(
                f"There is no area {area!r}; see GET /api/v1/areas for the codes.",
                [{"loc": ["query", "area"], "msg": "unknown area code"}],
            )
        return [area]
    levels = area_store.levels(conn)
    if not levels:
        raise InvalidQuery(
            "No areas are stored, so there is nothing to fill with hexagons; import boundaries "
            "with `civicmap areas import`.",
            [{"loc": ["query", "area"], "msg": "no areas stored"}],
        )
    chosen = levels[0] if level is None else level
    codes = [a["code"] for a in area_store.list_areas(conn, level=chosen)]
    if not codes:
        raise InvalidQuery(
            f"No areas of level {chosen} are stored.",
            [{"loc": ["query", "level"], "msg": f"no areas of level {chosen}"}],
        )
    return codes


class GridCache:
    """A few recent grids (or anything derived from one), shared by a process's threads."""

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self._size = size
        self._lock = threading.Lock()
        self._grids: OrderedDict[Any, Any] = OrderedDict()

    def get(self, key: Any) -> Any:
        with self._lock:
            grid = self._grids.get(key)
            if grid is not None:
                self._grids.move_to_end(key)
            return grid

    def put(self, key: Any, grid: Any) -> None:
        with self._lock:
            self._grids[key] = grid
            self._grids.move_to_end(key)
            while len(self._grids) > self._size:
                self._grids.popitem(last=False)


GRIDS = GridCache()


def area_grid(
    conn: Connection,
    codes: Sequence[str],
    *,
    resolution: int,
    boxes: Sequence[Box] = (),
    max_cells: int,
    cache: GridCache = GRIDS,
) -> AreaGrid:
    """The cells at `resolution` whose centre lies in one of the areas `codes` (and in one of
    `boxes`, when given). A grid that would hold more than `max_cells` cells is refused before
    it is built, from the areas' size, and again after, from its true count."""
    key = (
        conn.engine.url.render_as_string(hide_password=True),
        area_store.version(conn),
        tuple(codes),
        tuple(boxes),
        resolution,
    )
    grid = cache.get(key)
    if grid is not None:
        return grid
    wanted = set(codes)
    shapes = {c: g for c, _, g in area_store.index_rows(conn) if c in wanted}
    window = shapely.union_all([shapely.box(*b) for b in boxes]) if boxes else None
    outlines = [shapes[c] if window is None else shapes[c].intersection(window) for c in codes]
    _check_size(sum(_area_km2(g) for g in outlines), resolution, max_cells)
    parts = [hexgrid.fill(g, resolution) for g in outlines]
    cells = np.concatenate([p[0] for p in parts])
    area = np.repeat(np.arange(len(codes), dtype=np.int32), [len(p[0]) for p in parts])
    # A centre on a shared border can fall in two outlines; the first area (by code) keeps it.
    cells, first = np.unique(cells, return_index=True)
    if len(cells) > max_cells:
        _refuse(len(cells), resolution, max_cells)
    grid = AreaGrid(
        resolution=resolution,
        cells=cells,
        lon=np.concatenate([p[1] for p in parts])[first],
        lat=np.concatenate([p[2] for p in parts])[first],
        area=area[first],
        codes=tuple(codes),
        outlines=tuple(shapes[c] for c in codes),
    )
    cache.put(key, grid)
    return grid


def _area_km2(geom: BaseGeometry) -> float:
    """Roughly: degrees squared scaled at the outline's mean latitude (enough for a guard)."""
    if geom.is_empty:
        return 0.0
    lat = shapely.get_coordinates(geom)[:, 1].mean()
    return float(geom.area * _KM_PER_DEGREE**2 * math.cos(math.radians(lat)))


def _check_size(area_km2: float, resolution: int, max_cells: int) -> None:
    estimate = int(area_km2 / hexgrid.hexagon_area_km2(resolution))
    if estimate > max_cells:
        _refuse(estimate, resolution, max_cells, about=True)


def _refuse(count: int, resolution: int, max_cells: int, about: bool = False) -> None:
    raise InvalidQuery(
        f"The analysed areas hold {'about ' if about else ''}{count} hexagons at resolution "
        f"{resolution}, more than {max_cells}; choose one area (area=) or a coarser resolution.",
        [{"loc": ["query", "resolution"], "msg": "too many hexagons to analyse"}],
    )


def codes_within(
    conn: Connection, *, level: int, area: str | None = None, boxes: Sequence[Box] = ()
) -> list[str]:
    """The codes of the areas of `level` inside `area` (by an inner point; `area` itself when it
    is of that level) and meeting any of `boxes`, as the area aggregates select them."""
    codes = analysed_codes(conn, level=level)
    if area is None and not boxes:
        return codes
    if area is not None:
        analysed_codes(conn, area=area)  # 404 for an unknown code
    shapes = {c: g for c, _, g in area_store.index_rows(conn)}
    keep = []
    window = shapely.union_all([shapely.box(*b) for b in boxes]) if boxes else None
    for code in codes:
        outline = shapes[code]
        inner = outline.representative_point()
        if area is not None and code != area and not shapes[area].contains(inner):
            continue
        if window is not None and not outline.intersects(window):
            continue
        keep.append(code)
    return keep


def estimated_cells(conn: Connection, resolutions: Sequence[int]) -> dict[int, int]:
    """About how many hexagons of each resolution the whole study area (the coarsest stored
    level) holds: its area on the ellipsoid over the mean hexagon's. For offering only the
    hexagon sizes an analysis will answer for; {} without stored areas."""
    levels = area_store.levels(conn)
    if not levels:
        return {}
    outlines = [g for _, level, g in area_store.index_rows(conn) if level == levels[0]]
    geod = Geod(ellps="WGS84")
    km2 = sum(abs(geod.geometry_area_perimeter(g)[0]) for g in outlines) / 1e6
    return {r: math.ceil(km2 / hexgrid.hexagon_area_km2(r)) for r in resolutions}
