"""Coordinate reference systems of the OGC API - Features endpoint (Part 2, CRS by reference).

Everything is stored in WGS84 longitude/latitude (CRS84). A client may ask for features, and
give its bbox, in any CRS of `supported`: CRS84, EPSG:4326 (the same datum, latitude first as
EPSG defines it), Web Mercator and the UTM zones that cover the stored areas. Coordinates
travel in each CRS's own axis order, as the standard asks: `[lat, lon]` for EPSG:4326,
`[easting, northing]` for the projected ones.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np
from pyproj import Transformer
from pyproj.exceptions import ProjError

from mapping.errors import InvalidQuery

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG_URI = "http://www.opengis.net/def/crs/EPSG/0/{code}"
WEB_MERCATOR = 3857

Box = tuple[float, float, float, float]

_EPSG = re.compile(
    r"(?:https?://www\.opengis\.net/def/crs/EPSG/0/|\[?EPSG:)(?P<code>[0-9]{1,6})\]?",
    re.IGNORECASE,
)
_CRS84 = re.compile(
    r"(?:https?://www\.opengis\.net/def/crs/OGC/1\.3/CRS84|\[?OGC:CRS84\]?)", re.IGNORECASE
)


def utm_codes(bbox: Sequence[float] | None) -> list[int]:
    """EPSG codes of the WGS84 UTM zones that `bbox` (minLon, minLat, maxLon, maxLat) touches:
    326zz north of the equator, 327zz south of it."""
    if bbox is None:
        return []
    min_lon, min_lat, max_lon, max_lat = bbox
    first = min(int((min_lon + 180) // 6) + 1, 60)
    last = min(int((max_lon + 180) // 6) + 1, 60)
    hemispheres = ([32600] if max_lat >= 0 else []) + ([32700] if min_lat < 0 else [])
    return [base + zone for base in hemispheres for zone in range(first, last + 1)]


def supported(areas_bbox: Sequence[float] | None) -> list[str]:
    """The CRS URIs features are served in, CRS84 (the storage CRS) first."""
    codes = [4326, WEB_MERCATOR, *utm_codes(areas_bbox)]
    return [CRS84, *(EPSG_URI.format(code=code) for code in codes)]


def choose(value: str | None, offered: Sequence[str], name: str) -> str:
    """The URI of the CRS a `crs` or `bbox-crs` parameter names (a URI, a safe CURIE such as
    `[EPSG:3857]`, or `EPSG:3857`); CRS84 when not given; InvalidQuery when not offered."""
    if value is None:
        return CRS84
    text = value.strip()
    found = _EPSG.fullmatch(text)
    if found:
        uri = EPSG_URI.format(code=int(found["code"]))
    elif _CRS84.fullmatch(text):
        uri = CRS84
    else:
        uri = text
    if uri not in offered:
        msg = f"{value!r} is not offered; use one of {', '.join(offered)}"
        raise InvalidQuery(
            f"Query parameter {name!r}: {msg}.", [{"loc": ["query", name], "msg": msg}]
        )
    return uri


class _Transformers(threading.local):
    """pyproj transformers are not safe to share between threads: each keeps its own."""

    def __init__(self) -> None:
        self.made: dict[tuple[str, str], Transformer] = {}

    def get(self, source: str, target: str) -> Transformer:
        key = (source, target)
        if key not in self.made:
            # Authority axis order on both sides (no always_xy): that is what OGC means.
            self.made[key] = Transformer.from_crs(_pyproj_name(source), _pyproj_name(target))
        return self.made[key]


_transformers = _Transformers()


def _pyproj_name(uri: str) -> str:
    if uri == CRS84:
        return "OGC:CRS84"
    return f"EPSG:{uri.rsplit('/', 1)[-1]}"


def box_to_crs84(corners: Box, crs: str, name: str = "bbox") -> Box:
    """A bbox given in `crs` (its own axis order) as minLon, minLat, maxLon, maxLat: the
    smallest WGS84 box holding it (edges are densified, since they bend in lon/lat), clipped
    to the globe. Longitude and latitude are checked by the caller, as for a CRS84 bbox."""
    if crs == CRS84:
        return corners
    a0, b0, a1, b1 = corners
    if crs == EPSG_URI.format(code=4326):
        return (b0, a0, b1, a1)  # the same datum, latitude first
    if a0 > a1 or b0 > b1:
        msg = "in this CRS the minima come first and must not exceed the maxima"
        raise InvalidQuery(
            f"Query parameter {name!r}: {msg}.", [{"loc": ["query", name], "msg": msg}]
        )
    try:
        box = _transformers.get(crs, CRS84).transform_bounds(a0, b0, a1, b1, densify_pts=21)
    except ProjError:
        box = (math.nan,) * 4
    if not all(math.isfinite(v) for v in box):
        msg = "this box lies outside the area where its CRS is defined"
        raise InvalidQuery(
            f"Query parameter {name!r}: {msg}.", [{"loc": ["query", name], "msg": msg}]
        )
    lon0, lat0, lon1, lat1 = box
    return (max(lon0, -180.0), max(lat0, -90.0), min(lon1, 180.0), min(lat1, 90.0))


def reproject(features: Sequence[dict[str, Any]], crs: str) -> list[dict[str, Any]]:
    """`features` (GeoJSON, CRS84) with their geometry in `crs`, as new dicts (the originals
    may be cached). A geometry the CRS cannot express (Web Mercator at the poles) is null."""
    if crs == CRS84:
        return list(features)
    transformer = _transformers.get(CRS84, crs)
    return [{**f, "geometry": _geometry(f.get("geometry"), transformer)} for f in features]


def _geometry(geometry: dict[str, Any] | None, transformer: Transformer) -> dict[str, Any] | None:
    if geometry is None:
        return None
    if geometry["type"] == "GeometryCollection":
        parts = [_geometry(g, transformer) for g in geometry["geometries"]]
        if any(p is None for p in parts):
            return None
        return {"type": "GeometryCollection", "geometries": parts}
    coordinates = _coordinates(geometry["coordinates"], transformer)
    if coordinates is None:
        return None
    return {"type": geometry["type"], "coordinates": coordinates}


def _coordinates(nested: Any, transformer: Transformer) -> Any:
    """The same nesting of positions, each transformed; None when any is not finite."""
    if not nested:
        return nested
    if isinstance(nested[0], int | float):
        x, y = transformer.transform(nested[0], nested[1])
        return [x, y] if math.isfinite(x) and math.isfinite(y) else None
    if isinstance(nested[0][0], int | float):
        points = np.asarray(nested, dtype=float)[:, :2]
        xs, ys = transformer.transform(points[:, 0], points[:, 1])
        if not (np.isfinite(xs).all() and np.isfinite(ys).all()):
            return None
        return np.column_stack([xs, ys]).tolist()
    parts = [_coordinates(part, transformer) for part in nested]
    return None if any(p is None for p in parts) else parts
