"""Population counts placed in H3 cells, the demand that coverage weighs hexagons by.

Points (a town with its population, e.g. Natural Earth's POP_MAX) put their whole count in the
resolution-15 cell that holds them. Areas (a census unit with its count) spread it evenly over
their cells at the import resolution, a uniform-density assumption stated in every answer that
uses it; an area too small to hold a cell centre puts its count in the cell of an inner point.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
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
    pixels: int = 0


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


RASTER_SUBDIVISION = 3  # each pixel's count is spread over 3 by 3 sub-pixels


def read_raster(
    path: str | Path, *, resolution: int = DEFAULT_SPREAD_RESOLUTION, band: int = 1
) -> PopulationCells:
    """Sum a gridded population raster (GeoTIFF or any GDAL raster, any CRS) into H3 cells
    (`raster_cells`), in a process of its own: rasterio's GDAL and the SpatiaLite extension
    bring their own copies of the same libraries, and one process holding both can crash."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(raster_cells, str(path), resolution=resolution, band=band).result()


def raster_cells(
    path: str | Path, *, resolution: int = DEFAULT_SPREAD_RESOLUTION, band: int = 1
) -> PopulationCells:
    """Sum a gridded population raster (GeoTIFF or any GDAL raster, any CRS) into H3 cells.

    Each pixel's count is split evenly over `RASTER_SUBDIVISION`² sub-pixels, and each goes to
    the cell holding its centre, so a cell smaller than a pixel still gets its share. Nodata,
    NaN and negative pixels are skipped; cells reached only by pixels of 0 are stored with 0, as
    known to be empty. The cells' total equals the raster's sum (float64).
    """
    import rasterio  # a heavy import, needed only here
    from pyproj import Transformer

    try:
        with rasterio.open(path) as src:
            values = src.read(band, masked=True).astype("float64")
            transform, crs = src.transform, src.crs
    except (rasterio.errors.RasterioError, IndexError) as exc:
        raise InvalidInput(f"Cannot read band {band} of {path} as a raster: {exc}") from None
    if crs is None:
        raise InvalidInput(f"{path} has no coordinate reference system; give it one (gdal_edit).")
    filled = values.filled(np.nan)
    negative = int(np.count_nonzero(filled < 0))
    # Pixels of 0 are kept: they say no one lives there, where a missing pixel says nothing.
    rows, cols = np.nonzero(np.isfinite(filled) & (filled >= 0))
    counts = filled[rows, cols]
    s = RASTER_SUBDIVISION
    offsets = (np.arange(s) + 0.5) / s
    sub_col = (cols[:, None, None] + offsets[None, None, :]).repeat(s, axis=1).ravel()
    sub_row = (rows[:, None, None] + offsets[None, :, None]).repeat(s, axis=2).ravel()
    x, y = transform * (sub_col, sub_row)
    if crs.to_epsg() != 4326:
        to_wgs84 = Transformer.from_crs(crs.to_wkt(), "EPSG:4326", always_xy=True)
        x, y = to_wgs84.transform(x, y)
    lon, lat = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    inside = np.isfinite(lon) & np.isfinite(lat)
    if not inside.all():
        raise InvalidInput(f"{path}: some pixels fall outside WGS84 in its CRS ({crs}).")
    cells = hexgrid.cells_of(lon, lat, resolution)
    placed = pd.DataFrame({"h3": cells, "population": np.repeat(counts / (s * s), s * s)})
    placed = placed.groupby("h3", as_index=False, sort=True)["population"].sum()
    skipped = [(-1, f"{negative} pixels below 0")] if negative else []
    return PopulationCells(placed, 0, 0, skipped, float(counts.sum()), pixels=len(counts))
