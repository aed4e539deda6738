"""JSON responses encoded with orjson, which matters for long FeatureCollections."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import Request
from fastapi.responses import JSONResponse

from mapping.publish import collection_metadata
from mapping.settings import Settings


class FastJSONResponse(JSONResponse):
    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)


class GeoJSONResponse(FastJSONResponse):
    media_type = "application/geo+json"


class ProblemResponse(FastJSONResponse):
    media_type = "application/problem+json"


def feature_collection(
    request: Request,
    features: list[dict[str, Any]],
    *,
    settings: Settings,
    filters: dict[str, Any],
    method: str,
    next_url: str | None = None,
    extra: dict[str, Any] | None = None,
) -> GeoJSONResponse:
    """A FeatureCollection with its `links` and the `metadata` of how it was made."""
    links = [{"rel": "self", "href": str(request.url), "type": "application/geo+json"}]
    if next_url is not None:
        links.append({"rel": "next", "href": next_url, "type": "application/geo+json"})
    body = {
        "type": "FeatureCollection",
        "features": features,
        "links": links,
        "numberReturned": len(features),
        **(extra or {}),
        "metadata": collection_metadata(
            filters=filters,
            suppression_threshold=settings.suppression_threshold,
            license=settings.data_license,
            method=method,
        ),
    }
    return GeoJSONResponse(body)
