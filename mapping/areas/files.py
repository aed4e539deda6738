"""Reading boundary files of any OGR format and CRS into areas: code, name, level, parent."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from mapping.errors import InvalidInput

# geoBoundaries files name their fields so; other files say which field is which.
GEOBOUNDARIES_CODES = ("shapeISO", "shapeID")
GEOBOUNDARIES_NAME = "shapeName"
# Shares of an area in the areas one level up are compared in EASE-Grid 2.0, an equal-area CRS.
EQUAL_AREA = "EPSG:6933"


@dataclass(slots=True)
class Boundaries:
    """Areas read from a file: a GeoDataFrame with code, name, level, parent, geometry (WGS84)."""

    frame: gpd.GeoDataFrame
    repaired: int
    reprojected_from: str | None


def read_boundaries(
    path: str | Path,
    *,
    level: int,
    code_field: str | None = None,
    name_field: str | None = None,
    parent_field: str | None = None,
) -> Boundaries:
    """Read GeoJSON, GeoPackage or Shapefile boundaries as areas of `level`.

    Any CRS is reprojected to WGS84 (a file without one is taken as WGS84); invalid polygons are
    repaired and counted; duplicate or missing codes are refused with the codes named.
    """
    try:
        frame = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises several types for unreadable files
        raise InvalidInput(
            f"Cannot read {path} as GeoJSON, GeoPackage or Shapefile: {exc}"
        ) from None
    if frame.empty:
        raise InvalidInput(f"{path} holds no features.")
    fields = [c for c in frame.columns if c != frame.geometry.name]
    code_field = code_field or _geoboundaries_code(frame)
    name_field = name_field or (GEOBOUNDARIES_NAME if GEOBOUNDARIES_NAME in frame else None)
    for role, field in (("code", code_field), ("name", name_field), ("parent", parent_field)):
        if role != "parent" and field is None:
            raise InvalidInput(
                f"Say which field holds the area {role} (--{role}-field); "
                f"the fields are: {', '.join(fields)}."
            )
        if field is not None and field not in frame:
            raise InvalidInput(f"There is no field {field!r}; the fields are: {', '.join(fields)}.")

    codes = frame[code_field].astype("string").str.strip()
    missing = [int(i) for i in np.flatnonzero(codes.isna() | (codes == ""))]
    if missing:
        raise InvalidInput(f"Features {missing[:10]} have no code in {code_field!r}.")
    repeated = sorted(codes[codes.duplicated()].unique())
    if repeated:
        raise InvalidInput(
            f"Codes appear more than once in {code_field!r}: {', '.join(repeated[:20])}. "
            "Each area needs its own code; choose another --code-field."
        )

    reprojected_from = None
    if frame.crs is None:
        frame = frame.set_crs(4326)
    elif not frame.crs.equals("EPSG:4326") and frame.crs.to_epsg() != 4326:
        reprojected_from = frame.crs.to_string()
        frame = frame.to_crs(4326)

    geometry, repaired = _polygonal(frame.geometry.values, codes)
    names = frame[name_field].astype("string").fillna(codes) if name_field else codes
    parents = (
        frame[parent_field].astype("string").str.strip().replace("", pd.NA)
        if parent_field
        else pd.Series(pd.NA, index=frame.index, dtype="string")
    )
    out = gpd.GeoDataFrame(
        {
            "code": codes.to_numpy(),
            "name": names.to_numpy(),
            "level": level,
            "parent": parents.to_numpy(),
        },
        geometry=geometry,
        crs=4326,
    )
    return Boundaries(out, repaired, reprojected_from)


def _geoboundaries_code(frame: gpd.GeoDataFrame) -> str | None:
    for field in GEOBOUNDARIES_CODES:
        if field in frame:
            values = frame[field].astype("string").str.strip()
            if values.notna().all() and (values != "").all() and values.is_unique:
                return field
    return None


def _polygonal(
    geoms: Sequence[BaseGeometry | None], codes: pd.Series
) -> tuple[list[MultiPolygon], int]:
    """Every geometry as a valid MultiPolygon; the count of those that needed repair."""
    out: list[MultiPolygon] = []
    repaired = 0
    for geom, code in zip(geoms, codes, strict=True):
        if geom is None or geom.is_empty:
            raise InvalidInput(f"Area {code} has no geometry.")
        if not geom.is_valid:
            geom = shapely.make_valid(geom)
            repaired += 1
        polygons = [
            g for g in getattr(geom, "geoms", [geom]) if isinstance(g, Polygon | MultiPolygon)
        ]
        parts = [p for g in polygons for p in getattr(g, "geoms", [g])]
        if not parts:
            raise InvalidInput(f"Area {code} is not a polygon ({geom.geom_type}).")
        out.append(MultiPolygon(parts))
    return out, repaired


def parents_by_location(
    frame: gpd.GeoDataFrame, coarser: Sequence[tuple[str, BaseGeometry]]
) -> tuple[pd.Series, list[str]]:
    """The code of the coarser area that holds most of each area of `frame` (by area in an
    equal-area projection), for boundary sets whose names and codes do not match the level
    above. Also the codes of areas that meet none of them."""
    if not coarser:
        return pd.Series(pd.NA, index=frame.index, dtype="string"), []
    parents = gpd.GeoDataFrame(
        {"parent": [c for c, _ in coarser]}, geometry=[g for _, g in coarser], crs=4326
    ).to_crs(EQUAL_AREA)
    mine = frame[["code", "geometry"]].to_crs(EQUAL_AREA)
    pieces = gpd.overlay(mine, parents, how="intersection", keep_geom_type=True)
    pieces["share"] = pieces.geometry.area
    best = pieces.sort_values(["code", "share", "parent"], ascending=[True, False, True])
    chosen = best.drop_duplicates("code").set_index("code")["parent"]
    found = frame["code"].map(chosen).astype("string")
    return found, frame["code"][found.isna()].tolist()
