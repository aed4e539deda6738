"""The H3 grid, wrapped once: every lon/lat to lat/lng flip happens here and nowhere else.

Cells are 64-bit integers in storage and hexadecimal strings in responses. A cell's parent needs
no library: the resolution sits in bits 52-55 and each finer digit is 7 (unused), so
`parent(h, p) = (h & ~(15 << 52)) | (p << 52) | ((1 << 3 * (15 - p)) - 1)`. SQL uses the same
arithmetic, which makes aggregation to any resolution an integer GROUP BY.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import h3

STORED_RESOLUTION = 15
_RES_SHIFT = 52
_RES_MASK = 15 << _RES_SHIFT


def cell_at(lon: float, lat: float, resolution: int = STORED_RESOLUTION) -> int:
    """The H3 cell (integer) holding the WGS84 point `lon`, `lat` (degrees)."""
    return h3.str_to_int(h3.latlng_to_cell(lat, lon, resolution))


def cells_at(
    lons: Sequence[float], lats: Sequence[float], resolution: int = STORED_RESOLUTION
) -> list[int]:
    """`cell_at` for many points; the sequences are lon-first like everything else here."""
    to_cell, to_int = h3.latlng_to_cell, h3.str_to_int
    return [to_int(to_cell(lat, lon, resolution)) for lon, lat in zip(lons, lats, strict=True)]


def parent(cell: int, resolution: int) -> int:
    """The ancestor of `cell` at `resolution` (not finer than the cell's own), by bit arithmetic."""
    return (cell & ~_RES_MASK) | (resolution << _RES_SHIFT) | ((1 << 3 * (15 - resolution)) - 1)


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
