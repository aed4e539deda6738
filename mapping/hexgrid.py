"""The H3 grid, wrapped once: every lon/lat to lat/lng flip happens here and nowhere else.

Cells are 64-bit integers in storage and hexadecimal strings in responses. A cell's parent needs
no library: the resolution sits in bits 52-55 and each finer digit is 7 (unused), so
`parent(h, p) = (h & ~(15 << 52)) | (p << 52) | ((1 << 3 * (15 - p)) - 1)`. SQL uses the same
arithmetic, which makes aggregation to any resolution an integer GROUP BY.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence

import h3
import numpy as np
import shapely
import sqlalchemy as sa
from h3.api import basic_int as _h3int
from shapely.geometry.base import BaseGeometry

# A lon/lat box: west, south, east, north.
Box = tuple[float, float, float, float]

STORED_RESOLUTION = 15
_RES_SHIFT = 52
_RES_MASK = 15 << _RES_SHIFT


def cell_at(lon: float, lat: float, resolution: int = STORED_RESOLUTION) -> int:
    """The H3 cell (integer) holding the WGS84 point `lon`, `lat` (degrees)."""
    return _h3int.latlng_to_cell(lat, lon, resolution)


def cells_at(
    lons: Sequence[float], lats: Sequence[float], resolution: int = STORED_RESOLUTION
) -> list[int]:
    """`cell_at` for many points; the sequences are lon-first like everything else here."""
    if len(lons) != len(lats):
        raise ValueError("as many longitudes as latitudes")
    return cells_of(
        np.asarray(lons, dtype=float), np.asarray(lats, dtype=float), resolution
    ).tolist()


def cells_of(lons: np.ndarray, lats: np.ndarray, resolution: int) -> np.ndarray:
    """`cells_at` for arrays, as a uint64 array (one C call per point, about 0.7 us each)."""
    to_cell = _h3int.latlng_to_cell
    return np.fromiter(
        (
            to_cell(lat, lon, resolution)
            for lon, lat in zip(lons.tolist(), lats.tolist(), strict=True)
        ),
        dtype=np.uint64,
        count=len(lons),
    )


def parent(cell: int, resolution: int) -> int:
    """The ancestor of `cell` at `resolution` (not finer than the cell's own), by bit arithmetic."""
    return (cell & ~_RES_MASK) | (resolution << _RES_SHIFT) | ((1 << 3 * (15 - resolution)) - 1)


def descendant_range(cell: int, resolution: int) -> tuple[int, int]:
    """The lowest and highest id a descendant of `cell` at `resolution` (not coarser than the
    cell's own) can have: the digits below the cell's own vary between them, the finer ones
    are unused (all bits set), so every descendant lies in this run of ids and every valid
    cell of `resolution` in it descends from `cell`."""
    own = resolution_of(cell)
    highest = (cell & ~_RES_MASK) | (resolution << _RES_SHIFT)
    varying = ((1 << 3 * (resolution - own)) - 1) << 3 * (15 - resolution)
    return highest & ~varying, highest


def resolution_of(cell: int) -> int:
    return (cell & _RES_MASK) >> _RES_SHIFT


def to_str(cell: int) -> str:
    return h3.int_to_str(cell)


def from_str(cell: str) -> int:
    """The integer of a hexadecimal cell id; ValueError when it is not a valid cell."""
    if not h3.is_valid_cell(cell):
        raise ValueError(f"{cell!r} is not an H3 cell id")
    return h3.str_to_int(cell)


def centre(cell: int) -> tuple[float, float]:
    """The cell's centre as (lon, lat)."""
    lat, lon = h3.cell_to_latlng(h3.int_to_str(cell))
    return lon, lat


def boundary(cell: int) -> list[list[float]]:
    """The cell's outline as a closed GeoJSON ring of [lon, lat] pairs."""
    ring = [[lon, lat] for lat, lon in h3.cell_to_boundary(h3.int_to_str(cell))]
    ring.append(ring[0])
    return ring


def edge_length_km(resolution: int) -> float:
    """The average edge of a hexagon at `resolution`, which is also its average circumradius."""
    return float(h3.average_hexagon_edge_length(resolution, unit="km"))


def pentagons(resolution: int) -> Iterable[int]:
    return (h3.str_to_int(c) for c in h3.get_pentagons(resolution))


# Bulk operations for analyses over many cells (coverage, hotspots). Cells travel as numpy
# uint64 arrays; coordinates as separate lon and lat float arrays, lon first like everywhere else.

_DIGIT_BITS = 3


def children(cells: np.ndarray, resolution: int) -> np.ndarray:
    """Every descendant at `resolution` of `cells` (uint64, all of one coarser resolution).

    Hexagons' children come from bit arithmetic alone (digits below the parent's resolution run
    through 0..6); pentagons, which lack the digit-1 subsequence, ask h3.
    """
    cells = np.asarray(cells, dtype=np.uint64)
    if cells.size == 0:
        return cells
    coarse = resolution_of(int(cells[0]))
    if resolution < coarse:
        raise ValueError(f"resolution {resolution} is coarser than the cells' {coarse}")
    pentagon = np.fromiter((h3.is_pentagon(h3.int_to_str(int(c))) for c in cells), bool)
    hexagons = cells[~pentagon]
    digits = np.zeros(1, dtype=np.uint64)
    clear = 0
    for r in range(coarse + 1, resolution + 1):
        shift = _DIGIT_BITS * (15 - r)
        clear |= 7 << shift
        steps = np.arange(7, dtype=np.uint64) << np.uint64(shift)
        digits = (digits[:, None] | steps[None, :]).ravel()
    keep = np.uint64(~(_RES_MASK | clear) & 0xFFFFFFFFFFFFFFFF)
    base = (hexagons & keep) | np.uint64(resolution << _RES_SHIFT)
    out = (base[:, None] | digits[None, :]).ravel()
    if pentagon.any():
        extra = [
            h3.str_to_int(k)
            for p in cells[pentagon]
            for k in h3.cell_to_children(h3.int_to_str(int(p)), resolution)
        ]
        out = np.concatenate([out, np.array(extra, dtype=np.uint64)])
    return out


def centres(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The centres of `cells` as (lon, lat) arrays in WGS84 degrees.

    h3-py has no vectorised call: this is one C call per cell (about 1.5 us each), the cost
    that coverage's grid cache exists to pay once.
    """
    to_latlng = _h3int.cell_to_latlng
    flat = np.fromiter(
        itertools.chain.from_iterable(map(to_latlng, np.asarray(cells).tolist())),
        dtype=float,
        count=2 * len(cells),
    )
    return flat[1::2].copy(), flat[0::2].copy()


def fill(polygon: BaseGeometry, resolution: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The cells at `resolution` whose centre lies in `polygon` (WGS84, lon/lat), as h3's
    polygon_to_cells answers, with their centres: (cells, lon, lat), cells sorted.

    h3's own fill tests every candidate cell against every vertex, which takes seconds for a
    country at resolution 8. Here the polygon is covered at a coarser resolution (cells that
    overlap it, plus one ring, since descendants reach a little beyond their ancestor), their
    descendants are enumerated by bit arithmetic, and their centres tested in one vectorised,
    indexed shapely call.
    """
    if polygon.is_empty:
        empty = np.zeros(0)
        return np.zeros(0, dtype=np.uint64), empty, empty
    coarse_res = max(resolution - 2, 0)
    shape = h3.geo_to_h3shape(polygon)
    overlap = _h3int.h3shape_to_cells_experimental(shape, coarse_res, contain="overlap")
    ring = {c for cell in overlap for c in _h3int.grid_disk(cell, 1)}
    coarse = np.fromiter(ring, dtype=np.uint64, count=len(ring))
    candidates = np.unique(children(coarse, resolution))
    lon, lat = centres(candidates)
    shapely.prepare(polygon)
    inside = shapely.contains_xy(polygon, lon, lat)
    return candidates[inside], lon[inside], lat[inside]


def neighbour_pairs(cells: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """For sorted `cells`, the index pairs (i, j) with cells[j] within `k` steps of cells[i]
    (grid_disk, the cell itself included), keeping only neighbours that are in `cells`."""
    cells = np.asarray(cells, dtype=np.uint64)
    disks = [_h3int.grid_disk(c, k) for c in cells.tolist()]
    sizes = np.fromiter(map(len, disks), dtype=np.int64, count=len(disks))
    flat = np.fromiter(itertools.chain.from_iterable(disks), dtype=np.uint64, count=sizes.sum())
    focal = np.repeat(np.arange(len(cells)), sizes)
    found = lookup(cells, flat)
    known = found >= 0
    return focal[known], found[known]


def boundaries(cells: np.ndarray, decimals: int = 6) -> list[list[list[float]]]:
    """`boundary` of many cells, coordinates rounded to `decimals` (6: about 0.1 m), which
    halves the size of a JSON answer. Rings of one length are converted as one array."""
    raw = [_h3int.cell_to_boundary(c) for c in np.asarray(cells).tolist()]
    sizes = np.fromiter(map(len, raw), dtype=np.int64, count=len(raw))
    rings: list[list[list[float]]] = [[] for _ in raw]
    for size in np.unique(sizes).tolist():
        members = np.flatnonzero(sizes == size).tolist()
        latlng = np.array([raw[i] for i in members], dtype=float).reshape(-1, size, 2)
        lonlat = np.round(latlng[:, :, ::-1], decimals)
        closed = np.concatenate([lonlat, lonlat[:, :1]], axis=1).tolist()
        for i, ring in zip(members, closed, strict=True):
            rings[i] = ring
    return rings


def disk(cell: int, k: int) -> list[int]:
    """The cells within `k` steps of `cell` (grid_disk), the cell itself included."""
    return list(_h3int.grid_disk(cell, k))


def lookup(sorted_cells: np.ndarray, cells: np.ndarray) -> np.ndarray:
    """The index of each of `cells` in `sorted_cells`, or -1 where it is not there."""
    if len(sorted_cells) == 0:
        return np.full(len(cells), -1, dtype=np.int64)
    pos = np.searchsorted(sorted_cells, cells)
    pos[pos >= len(sorted_cells)] = 0
    return np.where(sorted_cells[pos] == cells, pos, -1)


def parents(cells: np.ndarray, resolution: int) -> np.ndarray:
    """`parent` for an array of cells (uint64), by the same bit arithmetic."""
    fill_bits = (resolution << _RES_SHIFT) | ((1 << _DIGIT_BITS * (15 - resolution)) - 1)
    keep = np.uint64(~_RES_MASK & 0xFFFFFFFFFFFFFFFF)
    return (np.asarray(cells, dtype=np.uint64) & keep) | np.uint64(fill_bits)


def resolutions(cells: np.ndarray) -> np.ndarray:
    """`resolution_of` for an array of cells (uint64)."""
    return (np.asarray(cells, dtype=np.uint64) >> np.uint64(_RES_SHIFT)) & np.uint64(15)


def sql_parent(cell: sa.ColumnElement[int], resolution: int) -> sa.ColumnElement[int]:
    """`parent` in SQL: the same integer expression runs on PostgreSQL and SQLite."""
    fill_bits = (resolution << _RES_SHIFT) | ((1 << _DIGIT_BITS * (15 - resolution)) - 1)
    return cell.op("&")(sa.literal(~_RES_MASK, sa.BigInteger)).op("|")(
        sa.literal(fill_bits, sa.BigInteger)
    )


def sql_at_least(cell: sa.ColumnElement[int], resolution: int) -> sa.ColumnElement[bool]:
    """Whether a stored cell is at `resolution` or finer, in SQL. Its resolution bits are
    compared in place, since cell ids are positive 64-bit integers: no shift operator, whose
    operand types PostgreSQL and SQLite see differently."""
    bits = cell.op("&")(sa.literal(_RES_MASK, sa.BigInteger))
    return bits >= sa.literal(resolution << _RES_SHIFT, sa.BigInteger)


def hexagon_area_km2(resolution: int) -> float:
    """The average area of a cell at `resolution`, in square kilometres."""
    return float(h3.average_hexagon_area(resolution, unit="km^2"))


# Tracks (observer effort): the cells a walked line passes through.


def distance_m(lon0: float, lat0: float, lon1: float, lat1: float) -> float:
    """The great-circle distance in metres between two WGS84 points (lon, lat order)."""
    return float(h3.great_circle_distance((lat0, lon0), (lat1, lon1), unit="m"))


def track_cells(lons: Sequence[float], lats: Sequence[float], resolution: int) -> list[int]:
    """The cells at `resolution` that a track through the points (lon, lat) passes, each once,
    in the order the track first enters them.

    Each segment is sampled every half edge length, which is finer than a cell is wide, so no
    cell the line crosses is skipped except where it only grazes a corner. (h3's grid_path_cells
    would draw a grid line between the ends' cells, not the line itself, and fails across
    icosahedron faces.)
    """
    if len(lons) != len(lats) or not lons:
        raise ValueError("a track needs as many longitudes as latitudes, at least one")
    step = 500 * edge_length_km(resolution)
    seen: dict[int, None] = {cell_at(lons[0], lats[0], resolution): None}
    for i in range(1, len(lons)):
        lon0, lat0, lon1, lat1 = lons[i - 1], lats[i - 1], lons[i], lats[i]
        samples = max(1, int(distance_m(lon0, lat0, lon1, lat1) // step) + 1)
        for k in range(1, samples + 1):
            t = k / samples
            lon, lat = lon0 + t * (lon1 - lon0), lat0 + t * (lat1 - lat0)
            seen.setdefault(cell_at(lon, lat, resolution), None)
    return list(seen)


def widened(boxes: Sequence[Box], resolution: int) -> list[Box]:
    """Boxes grown by more than the distance from any point to its hexagon's centre, so that
    they select every report of each hexagon whose centre lies in the box; where a box grows
    past 180 degrees, what lies beyond is a box of its own on the other side."""
    margin = 3 * edge_length_km(resolution) / 111.0
    grown = []
    for x0, y0, x1, y1 in boxes:
        lat = min(max(abs(y0), abs(y1)) + margin, 89.0)
        lon_margin = min(margin / math.cos(math.radians(lat)), 360.0)
        south, north = max(y0 - margin, -90), min(y1 + margin, 90)
        west, east = x0 - lon_margin, x1 + lon_margin
        grown.append((max(west, -180), south, min(east, 180), north))
        # A hexagon near 180 degrees has reports on the other side: the margin wraps round.
        if west < -180:
            grown.append((max(west + 360, -180), south, 180, north))
        if east > 180:
            grown.append((-180, south, min(east - 360, 180), north))
    return grown
