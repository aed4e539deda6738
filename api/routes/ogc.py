"""OGC API - Features Part 1 (Core, GeoJSON) at `/ogc`, so that QGIS and GDAL read CivicMap.

Landing page, conformance, collections with their extents, items (`bbox`, `limit`,
`datetime`, paging by `next` links) and single items. What each collection holds is
mapping.standards.ogc's; this module adds the links and media types the standard asks for.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from api import ogc_query, params
from api.auth import PUBLIC
from api.deps import EngineDep, SettingsDep
from api.responses import FastJSONResponse, GeoJSONResponse
from api.routes import ogc_schemas
from mapping.disclosure.publish import rfc3339
from mapping.errors import InvalidQuery
from mapping.settings import Settings
from mapping.standards import ogc, ogc_crs, ogc_filter

router = APIRouter(prefix="/ogc", tags=["OGC API - Features"])

JSON, GEOJSON = "application/json", "application/geo+json"
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    # Not conf/oas30: /openapi.json is OpenAPI 3.1, and Part 1 defines no class for 3.1.
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    *ogc_filter.CONFORMANCE,
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
    ogc_query.reject_unknown(request, ogc_query.COMMON_PARAMS)
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
                    "application/vnd.oai.openapi+json;version=3.1",
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
def conformance(request: Request, f: FormatParam = None) -> Response:
    ogc_query.reject_unknown(request, ogc_query.COMMON_PARAMS)
    return OGCJSONResponse({"conformsTo": CONFORMANCE})


def _collection(
    request: Request, collection: ogc.Collection, extent: dict[str, Any], crs: list[str]
) -> dict[str, Any]:
    href = f"{_base(request)}/collections/{collection.id}"
    return {
        "id": collection.id,
        "title": collection.title,
        "description": collection.description,
        "itemType": "feature",
        "crs": crs,
        "storageCrs": ogc_crs.CRS84,
        "extent": extent,
        "links": [
            _link(href, "self", JSON, collection.title),
            _link(f"{href}/items", "items", GEOJSON, f"{collection.title} as GeoJSON"),
            *ogc_schemas.collection_links(href),
        ],
    }


@router.get("/collections", summary="The collections and their extents", openapi_extra=PUBLIC)
def list_collections(
    request: Request, engine: EngineDep, settings: SettingsDep, f: FormatParam = None
) -> Response:
    ogc_query.reject_unknown(request, ogc_query.COMMON_PARAMS)
    analysis = _analysis(settings)
    found = ogc.collections(settings.ogc_hex_resolutions)
    with engine.connect() as conn:
        reports_extent = ogc.extent(conn, found[0], analysis)
        crs = ogc.crs_offered(conn, analysis)
        described = [
            _collection(
                request,
                c,
                reports_extent if c.source == "reports" else ogc.extent(conn, c, analysis),
                crs,
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
    ogc_query.reject_unknown(request, ogc_query.COMMON_PARAMS)
    collection = ogc.find(collection_id, settings.ogc_hex_resolutions)
    with engine.connect() as conn:
        extent = ogc.extent(conn, collection, _analysis(settings))
        crs = ogc.crs_offered(conn, _analysis(settings))
    return OGCJSONResponse(_collection(request, collection, extent, crs))


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


def allowed_params(collection: ogc.Collection) -> set[str]:
    """The query parameters /collections/{id}/items takes for `collection`; any other is a
    400 (OGC /req/core/query-param-unknown). Filters a collection takes add their names here."""
    return set(ogc_query.ITEMS_PARAMS) | ogc_filter.filter_params(collection.source)


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
        int | None, Query(ge=0, le=params.MAX_SEQ, description="how many features to skip")
    ] = None,
    crs: ogc_query.CrsParam = None,
    bbox_crs: ogc_query.BboxCrsParam = None,
    f: FormatParam = None,
    cql: ogc_schemas.FilterParam = None,
    cql_lang: ogc_schemas.FilterLangParam = None,
    cql_crs: ogc_schemas.FilterCrsParam = None,
) -> Response:
    collection = ogc.find(collection_id, settings.ogc_hex_resolutions)
    ogc_query.reject_unknown(request, allowed_params(collection))
    if cursor is not None and offset is not None:
        raise InvalidQuery(
            "Give either 'cursor' or 'offset', not both.",
            [{"loc": ["query", "offset"], "msg": "not with cursor"}],
        )
    since, until = parse_datetime(when)
    page_size = _limit(limit, settings)
    with engine.connect() as conn:
        offered = ogc.crs_offered(conn, _analysis(settings))
        target = ogc_crs.choose(crs, offered, "crs")
        where = ogc_filter.build(
            collection.source,
            text=cql,
            lang=cql_lang,
            crs=ogc_crs.choose(cql_crs, offered, "filter-crs"),
            params=request.query_params,
        )
        q = ogc.ItemsQuery(
            boxes=ogc_query.boxes(bbox, bbox_crs, offered),
            since=since,
            until=until,
            limit=page_size,
            cursor=params.decode_cursor(cursor),
            offset=offset or 0,
            where=where,
        )
        page = ogc.items(conn, collection, q, _analysis(settings))
    href = f"{_base(request)}/collections/{collection.id}"
    links = [
        _link(str(request.url), "self", GEOJSON, "this page"),
        _link(href, "collection", JSON, collection.title),
        *ogc_query.paging_links(
            request,
            next_cursor=None
            if page.next_cursor is None
            else params.encode_cursor(page.next_cursor),
            next_offset=page.next_offset,
            offset=q.offset,
            limit=page_size,
            link=_link,
            media=GEOJSON,
        ),
    ]
    body: dict[str, Any] = {
        "type": "FeatureCollection",
        "features": ogc_crs.reproject(page.features, target),
        "links": links,
        "timeStamp": rfc3339(datetime.now(UTC)),
        "numberReturned": len(page.features),
    }
    if page.number_matched is not None:
        body["numberMatched"] = page.number_matched
    return GeoJSONResponse(body, headers=ogc_query.content_crs(target))


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
    crs: ogc_query.CrsParam = None,
    f: FormatParam = None,
) -> Response:
    ogc_query.reject_unknown(request, ogc_query.ITEM_PARAMS)
    collection = ogc.find(collection_id, settings.ogc_hex_resolutions)
    with engine.connect() as conn:
        target = ogc_crs.choose(crs, ogc.crs_offered(conn, _analysis(settings)), "crs")
        feature = ogc.item(conn, collection, feature_id, _analysis(settings))
    # A copy: the feature may be cached, and gets links of this request.
    feature = {**ogc_crs.reproject([feature], target)[0]}
    href = f"{_base(request)}/collections/{collection.id}"
    feature["links"] = [
        _link(str(request.url), "self", GEOJSON, "this feature"),
        _link(href, "collection", JSON, collection.title),
    ]
    return GeoJSONResponse(feature, headers=ogc_query.content_crs(target))


# The collections' schemas and queryables (Features Parts 3 and 5), under the same prefix.
router.include_router(ogc_schemas.router)
