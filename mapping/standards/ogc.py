"""The collections of the OGC API - Features endpoint, and how each is read: pages of items,
one item, and the extent. HTTP (links, media types) is the API's; this is what they hold.

- `reports`: public reports as the public sees them (the public columns, so a sensitive report is
  the centre of its cell and its extent never gives the point away), paged by storage key;
- `areas`: the administrative areas of every level, outlines simplified for display;
- `hexes-r{R}`: the hexagon aggregates at resolution R, counted as the public reports show.

Properties are the same as the JSON API's; nested members stay nested (GDAL reads them as JSON
fields), so every feature has the same fields whatever page it comes on.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import shapely
import shapely.geometry
from sqlalchemy.engine import Connection

from mapping import hexgrid
from mapping.analysis import aggregate, cells
from mapping.disclosure.publish import View, area_feature, report_feature, rfc3339
from mapping.errors import NotFound
from mapping.standards import ogc_crs, ogc_filter_sql, ogc_predicates, ogc_window
from mapping.storage import areas as area_store
from mapping.storage import report_pages
from mapping.storage import reports as store
from mapping.storage.reports import PUBLIC_STATUSES, ReportQuery

# OGC clients send no key: every answer is the public's.
_PUBLIC = View().placement

Box = tuple[float, float, float, float]


@dataclass(frozen=True, slots=True)
class Collection:
    id: str
    title: str
    description: str
    source: str  # "reports", "areas" or "hexes"
    resolution: int | None = None


@dataclass(frozen=True, slots=True)
class Analysis:
    """The settings every collection is read with."""

    public_resolution: int
    threshold: int
    max_cells: int


@dataclass(frozen=True, slots=True)
class ItemsQuery:
    boxes: Sequence[Box] = ()
    since: datetime | None = None
    until: datetime | None = None  # exclusive
    limit: int = 1000
    cursor: int | None = None  # reports: after this storage key
    offset: int = 0  # areas and hexes: after this many
    where: ogc_predicates.Predicate | None = None  # Part 3: filter and property parameters


@dataclass(slots=True)
class Page:
    features: list[dict[str, Any]]
    next_cursor: int | None = None
    next_offset: int | None = None
    number_matched: int | None = None


def collections(resolutions: Sequence[int]) -> list[Collection]:
    """The collections served, hexagons at each of `resolutions`."""
    found = [
        Collection(
            "reports",
            "Citizen reports",
            "Public citizen reports (service points, beach-litter surveys, hotspots); "
            "sensitive reports at the centre of their H3 cell at the public resolution.",
            "reports",
        ),
        Collection(
            "areas", "Administrative areas", "Areas of every level, outlines simplified.", "areas"
        ),
    ]
    for r in resolutions:
        found.append(
            Collection(
                f"hexes-r{r}",
                f"Reports per H3 hexagon, resolution {r}",
                f"Counts and indicators of public reports per resolution-{r} H3 hexagon; "
                "counts exact, as the public reports show them.",
                "hexes",
                r,
            )
        )
    return found


def find(collection_id: str, resolutions: Sequence[int]) -> Collection:
    for collection in collections(resolutions):
        if collection.id == collection_id:
            return collection
    raise NotFound(f"There is no collection {collection_id!r}; see /ogc/collections.")


def _report_query(q: ItemsQuery) -> ReportQuery:
    """The reports a page selects, as the public sees them (OGC clients send no key)."""
    return ReportQuery(
        boxes=q.boxes,
        statuses=PUBLIC_STATUSES,
        since=q.since,
        until=q.until,
        limit=q.limit,
        after=q.cursor,
        placement=_PUBLIC,
    )


def items(conn: Connection, collection: Collection, q: ItemsQuery, analysis: Analysis) -> Page:
    """One page of the collection's features."""
    if collection.source == "reports":
        query = _report_query(q)
        if q.where is not None:
            rows, key, next_offset, matched = ogc_filter_sql.page(conn, query, q.where, q.offset)
            view = View(public_resolution=analysis.public_resolution)
            found = [_uniform(report_feature(r, view)) for r in rows]
            return Page(found, key, next_offset, matched)
        if q.offset:
            # Skip by position, then read on by storage key as a cursor would.
            skipped, _ = report_pages.download_bound(conn, query, q.offset)
            query = replace(query, after=skipped)
        rows, resume = store.list_reports(conn, query)
        view = View(public_resolution=analysis.public_resolution)
        features = [_uniform(report_feature(r, view)) for r in rows]
        matched = report_pages.count(conn, replace(query, after=None))
        if q.offset:
            more = resume is not None
            return Page(features, None, q.offset + q.limit if more else None, matched)
        return Page(features, resume, None, matched)
    features = _all(conn, collection, q, analysis)
    if q.where is not None:
        features = [f for f in features if ogc_predicates.matches(q.where, f)]
    end = q.offset + q.limit
    more = end < len(features)
    return Page(features[q.offset : end], None, end if more else None, len(features))


class _Recent:
    """The features of the last few area and hexagon collections asked for, kept a minute and
    only while the data they come from is unchanged.

    Clients page through these collections (GDAL asks 10 at a time), and every page would
    otherwise compute the whole aggregate again. A cache in each process, which the design
    allows: correctness never depends on it, since a change of the data changes the key.
    """

    TTL_S = 60.0
    SIZE = 8

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: OrderedDict[tuple[Any, ...], tuple[float, list[dict[str, Any]]]] = (
            OrderedDict()
        )

    def get(self, key: tuple[Any, ...], make: Callable[[], list[dict[str, Any]]]) -> list[Any]:
        now = time.monotonic()
        with self._lock:
            found = self._entries.get(key)
            if found is not None and now - found[0] < self.TTL_S:
                self._entries.move_to_end(key)
                return found[1]
        features = make()
        with self._lock:
            self._entries[key] = (now, features)
            while len(self._entries) > self.SIZE:
                self._entries.popitem(last=False)
        return features


_recent = _Recent()


# Members a public report has only sometimes. GDAL takes a collection's fields from its first
# page, so every report carries them (null when they do not apply), or later pages lose them.
OCCASIONAL = ("location_generalised_to", "photos")


def _uniform(feature: dict[str, Any]) -> dict[str, Any]:
    for name in OCCASIONAL:
        feature["properties"].setdefault(name, None)
    return feature


def _all(
    conn: Connection, collection: Collection, q: ItemsQuery, analysis: Analysis
) -> list[dict[str, Any]]:
    """Every feature of an area or hexagon collection that `q` selects (pages are slices)."""
    key = (
        collection.id,
        tuple(q.boxes),
        q.since,
        q.until,
        analysis,
        report_pages.data_version(conn),
        area_store.version(conn),
    )
    return _recent.get(key, lambda: _compute(conn, collection, q, analysis))


def _compute(
    conn: Connection, collection: Collection, q: ItemsQuery, analysis: Analysis
) -> list[dict[str, Any]]:
    if collection.source == "areas":
        return _areas(conn, q.boxes)
    # As /api/v1/aggregates/hexes counts: sensitive reports in their public cell, only at
    # resolutions up to the public one (aggregate.hexes sees to it).
    # A bbox selects the hexagons that meet it: aggregate.hexes is asked for those whose
    # centre lies within a box grown by more than a hexagon's radius (each counted whole, so
    # its numbers are the same whatever box selects it), and the outlines tested here.
    resolution = collection.resolution or 0
    grown = cells.widened(q.boxes, resolution) if q.boxes else ()
    query = replace(_report_query(q), after=None, boxes=grown)
    features, _, _ = aggregate.hexes(
        conn,
        query,
        resolution=resolution,
        threshold=analysis.threshold,
        public_resolution=analysis.public_resolution,
        max_cells=analysis.max_cells,
    )
    return ogc_window.meeting(features, q.boxes) if q.boxes else features


def _areas(conn: Connection, boxes: Sequence[Box]) -> list[dict[str, Any]]:
    features = [area_feature(a) for a in area_store.list_areas(conn)]
    if not boxes:
        return features
    window = shapely.union_all([shapely.box(*b) for b in boxes])
    return [
        f for f in features if shapely.intersects(window, shapely.geometry.shape(f["geometry"]))
    ]


def item(conn: Connection, collection: Collection, fid: str, analysis: Analysis) -> dict[str, Any]:
    """One feature of the collection; NotFound when it has none with id `fid`."""
    missing = NotFound(f"Collection {collection.id!r} has no feature {fid!r}.")
    if collection.source == "reports":
        try:
            row = store.get_report(conn, uuid.UUID(fid), placement=_PUBLIC)
        except ValueError:
            raise missing from None
        if row is None or row["status"] not in PUBLIC_STATUSES:
            raise missing
        return _uniform(report_feature(row, View(public_resolution=analysis.public_resolution)))
    if collection.source == "areas":
        area = area_store.get_area(conn, fid)
        if area is None:
            raise missing
        return area_feature(area)
    try:
        cell = hexgrid.from_str(fid)
    except ValueError:
        raise missing from None
    if hexgrid.resolution_of(cell) != collection.resolution:
        raise missing
    lon, lat = hexgrid.centre(cell)
    q = ItemsQuery(boxes=[(lon, lat, lon, lat)])
    found = [f for f in _all(conn, collection, q, analysis) if f["id"] == fid]
    if not found:
        raise missing
    return found[0]


def areas_bbox(conn: Connection, analysis: Analysis) -> list[float] | None:
    """The WGS84 bbox of every stored area (minLon, minLat, maxLon, maxLat); None without any."""
    areas = Collection("areas", "", "", "areas")
    boxes = [
        shapely.geometry.shape(f["geometry"]).bounds
        for f in _all(conn, areas, ItemsQuery(), analysis)
    ]
    if not boxes:
        return None
    return [
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    ]


def crs_offered(conn: Connection, analysis: Analysis) -> list[str]:
    """The CRS URIs every collection is served in: CRS84 first, as stored (ogc_crs)."""
    return ogc_crs.supported(areas_bbox(conn, analysis))


def extent(conn: Connection, collection: Collection, analysis: Analysis) -> dict[str, Any]:
    """The collection's `extent` member: WGS84 bbox (CRS84) and observation interval."""
    if collection.source == "areas":
        return _extent(areas_bbox(conn, analysis), [None, None])
    bbox, interval = report_pages.extent(conn, _report_query(ItemsQuery()))
    if bbox is not None and collection.resolution is not None:
        # Hexagons reach beyond the points they count, by up to about one edge.
        margin = 2 * hexgrid.edge_length_km(collection.resolution) / 111.0
        bbox = [
            max(bbox[0] - margin, -180),
            max(bbox[1] - margin, -90),
            min(bbox[2] + margin, 180),
            min(bbox[3] + margin, 90),
        ]
    return _extent(bbox, [rfc3339(t) if t else None for t in interval])


def _extent(bbox: list[float] | None, interval: list[str | None]) -> dict[str, Any]:
    return {
        "spatial": {
            "bbox": [bbox or [-180.0, -90.0, 180.0, 90.0]],
            "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
        },
        "temporal": {
            "interval": [interval],
            "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian",
        },
    }
