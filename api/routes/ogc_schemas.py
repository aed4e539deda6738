"""The JSON Schemas of each OGC API collection: its queryables (Features Part 3), its schema
(Features Part 5) and the GeoJSON Feature schema its `describedBy` link names, which GDAL's
OAPIF driver reads to type its fields. What they hold is mapping.standards.ogc_queryables'."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from api import ogc_query
from api.auth import PUBLIC
from api.deps import SettingsDep
from api.responses import FastJSONResponse
from mapping.standards import ogc, ogc_filter, ogc_queryables

router = APIRouter()

SCHEMA_JSON = "application/schema+json"
OGC_REL = "http://www.opengis.net/def/rel/ogc/1.0/"
FormatParam = Annotated[
    str | None, Query(description="json, the only encoding", pattern="^(schema\\+)?json$")
]

FilterParam = Annotated[
    str | None,
    Query(
        alias="filter",
        description="a CQL2 expression over the collection's queryables (see its "
        "`queryables`), e.g. kind = 'litter' AND observed_at >= TIMESTAMP('2025-01-01T00:00:00Z')",
    ),
]
FilterLangParam = Annotated[
    str | None,
    Query(
        alias="filter-lang",
        description="the language of `filter`: cql2-text (the default) or cql2-json",
        json_schema_extra={"enum": list(ogc_filter.LANGS)},
    ),
]
FilterCrsParam = Annotated[
    str | None,
    Query(
        alias="filter-crs",
        description="the CRS of the geometries in `filter`, as a URI from the collection's "
        "`crs` list (default CRS84, lon/lat); in EPSG:4326 they are lat/lon",
    ),
]


class SchemaResponse(FastJSONResponse):
    media_type = SCHEMA_JSON


def collection_links(href: str) -> list[dict[str, Any]]:
    """The links a collection (at `href`) gives to its schemas.

    `describedBy` is RFC 8288's `describedby` (relation types compare case-insensitively)
    spelled as GDAL 3.6's OAPIF driver matches it, exactly."""
    return [
        {
            "href": f"{href}/queryables",
            "rel": OGC_REL + "queryables",
            "type": SCHEMA_JSON,
            "title": "the properties a filter may name",
        },
        {
            "href": f"{href}/schema",
            "rel": OGC_REL + "schema",
            "type": SCHEMA_JSON,
            "title": "the properties of the features, typed",
        },
        {
            "href": f"{href}/feature-schema",
            "rel": "describedBy",
            "type": SCHEMA_JSON,
            "title": "JSON Schema of one GeoJSON feature",
        },
    ]


def _found(collection_id: str, request: Request, settings: Any) -> tuple[ogc.Collection, str]:
    ogc_query.reject_unknown(request, ogc_query.COMMON_PARAMS)
    collection = ogc.find(collection_id, settings.ogc_hex_resolutions)
    return collection, str(request.url.remove_query_params("f"))


@router.get(
    "/collections/{collection_id}/queryables",
    response_class=SchemaResponse,
    summary="The properties a filter on the collection may name (JSON Schema)",
    openapi_extra=PUBLIC,
)
def read_queryables(
    collection_id: str, request: Request, settings: SettingsDep, f: FormatParam = None
) -> Response:
    collection, href = _found(collection_id, request, settings)
    document = ogc_queryables.queryables_document(collection.source, href, collection.title)
    return SchemaResponse(document)


@router.get(
    "/collections/{collection_id}/schema",
    response_class=SchemaResponse,
    summary="The properties of the collection's features, typed (JSON Schema)",
    openapi_extra=PUBLIC,
)
def read_schema(
    collection_id: str, request: Request, settings: SettingsDep, f: FormatParam = None
) -> Response:
    collection, href = _found(collection_id, request, settings)
    return SchemaResponse(ogc_queryables.schema_document(collection.source, href, collection.title))


@router.get(
    "/collections/{collection_id}/feature-schema",
    response_class=SchemaResponse,
    summary="JSON Schema of one GeoJSON feature of the collection",
    openapi_extra=PUBLIC,
)
def read_feature_schema(
    collection_id: str, request: Request, settings: SettingsDep, f: FormatParam = None
) -> Response:
    collection, href = _found(collection_id, request, settings)
    return SchemaResponse(
        ogc_queryables.feature_schema_document(collection.source, href, collection.title)
    )
