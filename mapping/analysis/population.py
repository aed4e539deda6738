"""Population counts placed in H3 cells, the demand that coverage weighs hexagons by.

Points (a town with its population, e.g. Natural Earth's POP_MAX) put their whole count in the
resolution-15 cell that holds them. Areas (a census unit with its count) spread it evenly over
their cells at the import resolution, a uniform-density assumption stated in every answer that
uses it; an area too small to hold a cell centre puts its count in the cell of an inner point.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from mapping import hexgrid
from mapping.errors import InvalidInput

DEFAULT_SPREAD_RESOLUTION = 8


@dataclass(slots=True)
class PopulationCells:
    """Population per H3 cell (`h3` uint64 cells of any resolution, `population` floats)."""

    frame: pd.DataFrame
    points: int
    areas: int
    skipped: list[tuple[int, str]]  # (feature index, reason)
    total: float


def read_population(
    path: str | Path, *, field: str, resolution: int = DEFAULT_SPREAD_RESOLUTION
) -> PopulationCells:
    """Read points or polygons with a population `field` from GeoJSON, GeoPackage or Shapefile
    (any CRS, reprojected to WGS84) and place the counts in H3 cells."""
    try:
        frame = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises several types for unreadable files
        raise InvalidInput(
            f"Cannot read {path} as GeoJSON, GeoPackage or Shapefile: {exc}"
        ) from None
    if field not in frame:
        fields = ", ".join(c for c in frame.columns if c != frame.geometry.name)
        raise InvalidInput(f"There is no field {field!r}; the fields are: {fields}.")
    if frame.crs is not None and frame.crs.to_epsg() != 4326:
        frame = frame.to_crs(4326)
    return population_cells(frame, field=field, resolution=resolution)


def population_cells(
    frame: gpd.GeoDataFrame, *, field: str, resolution: int = DEFAULT_SPREAD_RESOLUTION
) -> PopulationCells:
    """`read_population` for a GeoDataFrame in WGS84."""
    counts = pd.to_numeric(frame[field], errors="coerce")
    skipped: list[tuple[int, str]] = []
    cells: list[np.ndarray] = []
    values: list[np.ndarray] = []
    points = areas = 0
    for i, (geom, count) in enumerate(zip(frame.geometry, counts, strict=True)):
        if geom is None or geom.is_empty:
            skipped.append((i, "no geometry"))
        elif not np.isfinite(count) or count < 0:
            skipped.append((i, f"{field} is not a count >= 0"))
        elif geom.geom_type == "Point":
            cells.append(np.array([hexgrid.cell_at(geom.x, geom.y)], dtype=np.uint64))
            values.append(np.array([float(count)]))
            points += 1
        elif geom.geom_type in ("Polygon", "MultiPolygon"):
            spread, _, _ = hexgrid.fill(shapely.make_valid(geom), resolution)
            if len(spread) == 0:  # smaller than a cell: all of it where the area is
                inner = geom.representative_point()
                spread = np.array([hexgrid.cell_at(inner.x, inner.y, resolution)], np.uint64)
            cells.append(spread)
            values.append(np.full(len(spread), float(count) / len(spread)))
            areas += 1
        else:
            skipped.append((i, f"a {geom.geom_type} is neither a point nor an area"))
    if not cells:
        raise InvalidInput(f"No feature has a point or area geometry with a count in {field!r}.")
    placed = pd.DataFrame({"h3": np.concatenate(cells), "population": np.concatenate(values)})
    # Overlapping areas or towns in one cell add up.
    placed = placed.groupby("h3", as_index=False, sort=True)["population"].sum()
    return PopulationCells(placed, points, areas, skipped, float(placed["population"].sum()))
