"""GeoJSON geometries (WGS84, lon/lat) as WKT, WKB, GeoPackage blobs and KML.

Written by hand rather than through shapely: an export turns every feature's geometry into
text or bytes once, and building a shapely object for each would cost more than the writing.
Coordinates keep every digit they have (`repr` of a float is the shortest exact form).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

Position = Sequence[float]
WKB_TYPES = {
    "Point": 1,
    "LineString": 2,
    "Polygon": 3,
    "MultiPoint": 4,
    "MultiLineString": 5,
    "MultiPolygon": 6,
}
# Depth of nesting of each type's coordinates: 0 for a position, 1 for a list of them, ...
DEPTH = {
    "Point": 0,
    "LineString": 1,
    "MultiPoint": 1,
    "Polygon": 2,
    "MultiLineString": 2,
    "MultiPolygon": 3,
}


def _number(value: float) -> str:
    return repr(float(value)) if isinstance(value, float) else str(value)


def _position(p: Position) -> str:
    return f"{_number(p[0])} {_number(p[1])}"


def _wkt_body(coords: Any, depth: int) -> str:
    if depth == 0:
        return _position(coords)
    return "(" + ", ".join(_wkt_body(c, depth - 1) for c in coords) + ")"


def wkt(geometry: Mapping[str, Any]) -> str:
    """Well-known text of a GeoJSON geometry, in lon/lat order."""
    kind = geometry["type"]
    if kind == "GeometryCollection":
        parts = ", ".join(wkt(g) for g in geometry["geometries"])
        return f"GEOMETRYCOLLECTION ({parts})"
    coords = geometry["coordinates"]
    if kind == "Point":
        return f"POINT ({_position(coords)})"
    return f"{kind.upper()} {_wkt_body(coords, DEPTH[kind])}"


def wkb(geometry: Mapping[str, Any]) -> bytes:
    """Little-endian ISO well-known binary (2D) of a GeoJSON geometry."""
    kind = geometry["type"]
    if kind == "GeometryCollection":
        parts = [wkb(g) for g in geometry["geometries"]]
        return struct.pack("<BII", 1, 7, len(parts)) + b"".join(parts)
    code, coords = WKB_TYPES[kind], geometry["coordinates"]
    if kind == "Point":
        return struct.pack("<BIdd", 1, code, coords[0], coords[1])
    if kind in ("LineString", "Polygon"):
        return struct.pack("<BI", 1, code) + _wkb_body(coords, DEPTH[kind])
    members = {"MultiPoint": "Point", "MultiLineString": "LineString", "MultiPolygon": "Polygon"}
    part = members[kind]
    body = b"".join(wkb({"type": part, "coordinates": c}) for c in coords)
    return struct.pack("<BII", 1, code, len(coords)) + body


def _wkb_body(coords: Any, depth: int) -> bytes:
    if depth == 1:
        flat = [v for p in coords for v in (p[0], p[1])]
        return struct.pack(f"<I{len(flat)}d", len(coords), *flat)
    return struct.pack("<I", len(coords)) + b"".join(_wkb_body(c, depth - 1) for c in coords)


def positions(geometry: Mapping[str, Any]) -> Iterator[Position]:
    """Every position of a geometry."""
    if geometry["type"] == "GeometryCollection":
        for g in geometry["geometries"]:
            yield from positions(g)
        return
    stack: list[tuple[Any, int]] = [(geometry["coordinates"], DEPTH[geometry["type"]])]
    while stack:
        coords, depth = stack.pop()
        if depth == 0:
            yield coords
        else:
            stack.extend((c, depth - 1) for c in coords)


def bounds(geometry: Mapping[str, Any]) -> tuple[float, float, float, float] | None:
    """(min lon, min lat, max lon, max lat), or None for an empty geometry."""
    if geometry["type"] == "Point":
        x, y = geometry["coordinates"][:2]
        return (x, y, x, y)
    xs, ys = [], []
    for p in positions(geometry):
        xs.append(p[0])
        ys.append(p[1])
    if not xs:
        return None
    return (min(xs), min(ys), max(xs), max(ys))


GPKG_SRS_ID = 4326


def gpkg_blob(geometry: Mapping[str, Any]) -> bytes:
    """A GeoPackage geometry: the `GP` header (little-endian, envelope for all but points,
    SRS 4326) followed by the WKB."""
    body = wkb(geometry)
    if geometry["type"] == "Point":
        return b"GP\x00\x01" + struct.pack("<i", GPKG_SRS_ID) + body
    box = bounds(geometry)
    if box is None:
        return b"GP\x00\x11" + struct.pack("<i", GPKG_SRS_ID) + body  # empty flag
    minx, miny, maxx, maxy = box
    envelope = struct.pack("<4d", minx, maxx, miny, maxy)
    return b"GP\x00\x03" + struct.pack("<i", GPKG_SRS_ID) + envelope + body


def _kml_coords(ring: Sequence[Position]) -> str:
    return " ".join(f"{_number(p[0])},{_number(p[1])}" for p in ring)


def kml(geometry: Mapping[str, Any]) -> str:
    """The KML element of a geometry (KML is lon,lat like GeoJSON)."""
    kind = geometry["type"]
    if kind == "GeometryCollection":
        members = "".join(kml(g) for g in geometry["geometries"])
        return f"<MultiGeometry>{members}</MultiGeometry>"
    coords = geometry["coordinates"]
    if kind == "Point":
        return f"<Point><coordinates>{_kml_coords([coords])}</coordinates></Point>"
    if kind == "LineString":
        return f"<LineString><coordinates>{_kml_coords(coords)}</coordinates></LineString>"
    if kind == "Polygon":
        outer, *inner = coords
        text = (
            "<Polygon><outerBoundaryIs><LinearRing><coordinates>"
            f"{_kml_coords(outer)}</coordinates></LinearRing></outerBoundaryIs>"
        )
        for ring in inner:
            text += (
                "<innerBoundaryIs><LinearRing><coordinates>"
                f"{_kml_coords(ring)}</coordinates></LinearRing></innerBoundaryIs>"
            )
        return text + "</Polygon>"
    part = kind.removeprefix("Multi")
    members = "".join(kml({"type": part, "coordinates": c}) for c in coords)
    return f"<MultiGeometry>{members}</MultiGeometry>"
