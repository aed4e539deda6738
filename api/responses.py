"""JSON responses encoded with orjson, which matters for long FeatureCollections."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import orjson
from fastapi import Request
from fastapi.responses import JSONResponse, Response

from api import downloads
from mapping.disclosure.publish import collection_metadata
from mapping.settings import Settings
from mapping.storage.sources import Source


class FastJSONResponse(JSONResponse):
    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)


class GeoJSONResponse(FastJSONResponse):
    media_type = "application/geo+json"


class ProblemResponse(FastJSONResponse):
    media_type = "application/problem+json"


def answer_metadata(
    settings: Settings,
    *,
    filters: dict[str, Any],
    method: str,
    sources: Sequence[Source] | None = None,
) -> dict[str, Any]:
    """The `metadata` of an answer of this installation: its threshold and licence, the
    filters, the method and the sources."""
    return collection_metadata(
        filters=filters,
        suppression_threshold=settings.suppression_threshold,
        license=settings.data_license,
        method=method,
        sources=sources,
    )


def feature_collection(
    request: Request,
    features: Iterable[dict[str, Any]],
    *,
    settings: Settings,
    filters: dict[str, Any],
    method: str,
    next_url: str | None = None,
    extra: dict[str, Any] | None = None,
    sources: Sequence[Source] | None = None,
    column_types: Mapping[str, str] | None = None,
) -> Response:
    """A FeatureCollection with its `links` and the `metadata` of how it was made; or, when
    the request asks for `format=geojson|csv|gpkg|kml`, the same as a streamed download (then
    `features` may be any iterable that can be walked twice, such as every page of reports).
    `sources` are those that contributed (mapping.disclosure.provenance), listed with their
    licences in `metadata.sources`."""
    links = [{"rel": "self", "href": str(request.url), "type": "application/geo+json"}]
    if next_url is not None:
        links.append({"rel": "next", "href": next_url, "type": "application/geo+json"})
    metadata = answer_metadata(settings, filters=filters, method=method, sources=sources)
    fmt = downloads.requested_format(request)
    if fmt is not None:
        return downloads.download(
            request,
            features,
            fmt=fmt,
            metadata=metadata,
            links=links,
            extra=extra,
            column_types=column_types,
        )
    listed = features if isinstance(features, list) else list(features)
    body = {
        "type": "FeatureCollection",
        "features": listed,
        "links": links,
        "numberReturned": len(listed),
        **(extra or {}),
        "metadata": metadata,
    }
    return GeoJSONResponse(body)
