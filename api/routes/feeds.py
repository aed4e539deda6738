"""Alerts by feed: an Atom feed of each area's newest public reports."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from api.auth import PUBLIC, ViewDep
from api.deps import EngineDep, SettingsDep
from api.params import FiltersDep
from mapping.alerts import feed
from mapping.errors import NotFound
from mapping.storage import areas as area_store
from mapping.storage import reports as store

router = APIRouter(prefix="/areas", tags=["alerts"])


@router.get(
    "/{code}/feed.atom",
    summary="Atom feed of the area's newest reports (filters as for reports)",
    response_class=Response,
    responses={200: {"description": "An Atom feed", "content": {feed.MEDIA_TYPE: {}}}},
    openapi_extra=PUBLIC,
)
def read_area_feed(
    code: str,
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    view: ViewDep,
    filters: FiltersDep,
    limit: Annotated[int, Query(ge=1, le=500, description="most entries")] = 50,
) -> Response:
    query = replace(
        filters.query,
        area=code,
        limit=limit,
    )
    with engine.connect() as conn:
        area = area_store.get_area(conn, code)
        if area is None:
            raise NotFound(f"There is no area with code {code!r}; see GET /api/v1/areas.")
        rows = store.newest_reports(conn, query)
    body = feed.area_feed(
        rows,
        area=area,
        view=view,
        base_url=str(request.base_url).rstrip("/"),
        self_url=str(request.url),
        rights=f"Data licence: {settings.data_license}",
        now=datetime.now(UTC),
    )
    # A key can widen what the feed shows (exact points, hidden reports): keep that private.
    private = view.exact_locations or view.moderation
    cache = "private, max-age=60" if private else "public, max-age=60"
    return Response(
        body, media_type=f"{feed.MEDIA_TYPE}; charset=utf-8", headers={"Cache-Control": cache}
    )
