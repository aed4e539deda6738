"""OGC API - Features Part 1 (Core, GeoJSON) at `/ogc`, so that QGIS and GDAL read CivicMap.

Landing page, conformance, collections with their extents, items (`bbox`, `limit`,
`datetime`, paging by `next` links) and single items. What each collection holds is
mapping.standards.ogc's; this module adds the links and media types the standard asks for.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from api import params
from api.auth import PUBLIC
from api.deps import EngineDep, SettingsDep
from api.responses import FastJSONResponse, GeoJSONResponse
from mapping.disclosure.publish import rfc3339
from mapping.errors import InvalidQuery
from mapping.settings import Settings
from mapping.standards import ogc

router = APIRouter(prefix="/ogc", tags=["OGC API - Features"])

JSON, GEOJSON = "application/json", "application/geo+json"
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
]
OGC_REL = "http://www.opengis.net/def/rel/ogc/1.0/"
FormatParam = Annotated[
    str | None, Query(description="json or geojson, the only encoding", pattern="^(geo)?json$")
]


class OGCJSONResponse(FastJSONResponse):
    media_type = JSON


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/") + "/ogc"


def _link(href: str, rel: str, type_: str, title: str | None = None) -> dict[str, Any]:
    link = {"href": href, "rel": rel, "type": type_}
    if title:
        link["title"] = title
    return link


def _analysis(settings: Settings) -> ogc.Analysis:
    return ogc.Analysis(
        public_resolution=settings.public_h3_resolution,
        threshold=settings.suppression_threshold,
        max_cells=settings.max_aggregate_cells,
    )


@router.get("", summary="Landing page of the OGC API - Features", openapi_extra=PUBLIC)
def landing(request: Request, f: FormatParam = None) -> Response:
    base = _base(request)
    root = str(request.base_url).rstrip("/")
    return OGCJSONResponse(
        {
            "title": "CivicMap",
            "description": "Citizen reports, administrative areas and hexagon aggregates "
            "as OGC API - Features.",
            "links": [
                _link(base, "self", JSON, "this document"),
                _link(
                    f"{root}/openapi.json",
                    "service-desc",
                    "application/vnd.oai.openapi+json;version=3.0",
                    "the API definition",
                ),
                _link(f"{root}/docs", "service-doc", "text/html", "the API documentation"),
                _link(f"{base}/conformance", "conformance", JSON, "conformance classes"),
                _link(f"{base}/conformance", OGC_REL + "conformance", JSON),
                _link(f"{base}/collections", "data", JSON, "the collections"),
                _link(f"{base}/collections", OGC_REL + "data", JSON),
            ],
        }
    )


@router.get("/conformance", summary="Conformance classes implemented", openapi_extra=PUBLIC)
def conformance(f: FormatParam = None) -> Response:
    return OGCJSONResponse({"conformsTo": CONFORMANCE})


def _collection(
    request: Request, collection: ogc.Collection, extent: dict[str, Any]
) -> dict[str, Any]:
    href = f"{_base(request)}/collections/{collection.id}"
    return {
        "id": collection.id,
        "title": collection.title,
        "description": collection.description,
        "itemType": "feature",
        "crs": ["http://www.opengis.net/def/crs/OGC/1.3/CRS84"],
        "extent": extent,
        "links": [
            _link(href, "self", JSON, collection.title),
            _link(f"{href}/items", "items", GEOJSON, f"{collection.title} as GeoJSON"),
        ],
    }


@router.get("/collections", summary="The collections and their extents", openapi_extra=PUBLIC)
def list_collections(
    request: Request, engine: EngineDep, settings: SettingsDep, f: FormatParam = None
) -> Response:
    analysis = _analysis(settings)
    found = ogc.collections(settings.ogc_hex_resolutions)
    with engine.connect() as conn:
        reports_extent = ogc.extent(conn, found[0], analysis)
        described = [
            _collection(
                request,
                c,
                reports_extent if c.source == "reports" else ogc.extent(conn, c, analysis),
            )
            for c in found
        ]
    base = _base(request)
    return OGCJSONResponse(
        {
            "links": [_link(f"{base}/collections", "self", JSON, "the collections")],
            "collections": described,
        }
    )


@router.get("/collections/{collection_id}", summary="One collection", openapi_extra=PUBLIC)
def read_collection(
    collection_id: str,
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    f: FormatParam = None,
) -> Response:
    collection = ogc.find(collection_id, settings.ogc_hex_resolutions)
    with engine.connect() as conn:
        extent = ogc.extent(conn, collection, _analysis(settings))
    return OGCJSONResponse(_collection(request, collection, extent))


def parse_bbox(value: str | None) -> list[params.Box]:
    """`minLon,minLat,maxLon,maxLat`, or the 3D form with heights, which are ignored."""
    if value is not None:
        parts = value.split(",")
        if len(parts) == 6:
            value = ",".join([parts[0], parts[1], parts[3], parts[4]])
    return params.parse_bbox(value)


def parse_datetime(value: str | None) -> tuple[datetime | None, datetime | None]:
    """An instant or an interval (`start/end`, either end open with `..` or empty), inclusive
    as OGC means it, as (since, until) with `until` exclusive as the report filters take it."""
    if value is None:
        return None, None
    tick = timedelta(microseconds=1)
    if "/" not in value:
        instant = params.parse_time("datetime", value)
        return instant, instant + tick if instant else None
    start, _, end = value.partition("/")
    if start in ("", "..") and end in ("", ".."):
        raise InvalidQuery(
            "Query parameter 'datetime': an interval needs at least one end.",
            [{"loc": ["query", "datetime"], "msg": "both ends open"}],
        )
    since = None if start in ("", "..") else params.parse_time("datetime", start)
    last = None if end in ("", "..") else params.parse_time("datetime", end)
    return since, (last + tick if last else None)


def _limit(value: int | None, settings: Settings) -> int:
    """The page size: the default when not given, the maximum when more is asked (as the
    standard wants, rather than an error)."""
    if value is None:
        return settings.page_limit_default
    if value < 1:
        raise InvalidQuery(
            "Query parameter 'limit': must be 1 or more.",
            [{"loc": ["query", "limit"], "msg": "must be 1 or more"}],
        )
    return min(value, settings.page_limit_max)


@router.get(
    "/collections/{collection_id}/items",
    response_class=GeoJSONResponse,
    summary="Features of a collection, paged by `next` links",
    openapi_extra=PUBLIC,
)
def read_items(
    collection_id: str,
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    bbox: params.BboxParam = None,
    limit: Annotated[int | None, Query(ge=1, le=1_000_000, description="page size")] = None,
    when: Annotated[
        str | None,
        Query(alias="datetime", description="an RFC 3339 instant, or an interval start/end"),
    ] = None,
    cursor: Annotated[str | None, Query(description="from a `next` link")] = None,
    offset: Annotated[
        int | None, Query(ge=0, le=params.MAX_SEQ, description="from a `next` link")
    ] = None,
    f: FormatParam = None,
) -> Response:
    collection = ogc.find(collection_id, settings.ogc_hex_resolutions)
    since, until = parse_datetime(when)
    q = ogc.ItemsQuery(
        boxes=parse_bbox(bbox),
        since=since,
        until=until,
        limit=_limit(limit, settings),
        cursor=params.decode_cursor(cursor),
        offset=offset or 0,
    )
    with engine.connect() as conn:
        page = ogc.items(conn, collection, q, _analysis(settings))
    href = f"{_base(request)}/collections/{collection.id}"
    links = [
        _link(str(request.url), "self", GEOJSON, "this page"),
        _link(href, "collection", JSON, collection.title),
    ]
    kept = request.url.remove_query_params(["cursor", "offset"])
    if page.next_cursor is not None:
        next_url = kept.include_query_params(cursor=params.encode_cursor(page.next_cursor))
        links.append(_link(str(next_url), "next", GEOJSON, "next page"))
    elif page.next_offset is not None:
        links.append(
            _link(str(kept.include_query_params(offset=page.next_offset)), "next", GEOJSON)
        )
    body: dict[str, Any] = {
        "type": "FeatureCollection",
        "features": page.features,
        "links": links,
        "timeStamp": rfc3339(datetime.now(UTC)),
        "numberReturned": len(page.features),
    }
    if page.number_matched is not None:
        body["numberMatched"] = page.number_matched
    return GeoJSONResponse(body)


@router.get(
    "/collections/{collection_id}/items/{feature_id}",
    response_class=GeoJSONResponse,
    summary="One feature of a collection",
    openapi_extra=PUBLIC,
)
def read_item(
    collection_id: str,
    feature_id: str,
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    f: FormatParam = None,
) -> Response:
    collection = ogc.find(collection_id, settings.ogc_hex_resolutions)
    with engine.connect() as conn:
        feature = ogc.item(conn, collection, feature_id, _analysis(settings))
    href = f"{_base(request)}/collections/{collection.id}"
    feature["links"] = [
        _link(str(request.url), "self", GEOJSON, "this feature"),
        _link(href, "collection", JSON, collection.title),
    ]
    return GeoJSONResponse(feature)
