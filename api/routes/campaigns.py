"""Campaigns: planners open them; volunteers list the active ones; anyone sees their progress."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from api.auth import PUBLIC, requires, role_doc
from api.body import read_json
from api.deps import EngineDep, SettingsDep
from api.openapi import body
from api.responses import FastJSONResponse
from mapping.errors import NotFound
from mapping.keys import Principal
from mapping.reports import campaigns
from mapping.storage import campaigns as store

router = APIRouter(prefix="/campaigns", tags=["campaigns"])


@router.get(
    "", summary="Campaigns, or only those running now (`active=true`)", openapi_extra=PUBLIC
)
def list_campaigns(
    engine: EngineDep,
    active: Annotated[bool | None, Query(description="true: running now; false: not")] = None,
) -> Response:
    now = datetime.now(UTC)
    with engine.connect() as conn:
        rows = store.list_campaigns(conn, active_at=now if active else None)
    listed = [campaigns.campaign_doc(row, now=now) for row in rows]
    if active is False:
        listed = [c for c in listed if not c["active"]]
    return FastJSONResponse({"campaigns": listed, "count": len(listed)})


@router.post(
    "",
    status_code=201,
    summary="Open a campaign",
    openapi_extra={
        **body(campaigns.CampaignCreate, "The campaign: slug, title, kind, window, area."),
        **role_doc("plan"),
    },
    responses={409: {"description": "The slug is taken"}},
)
async def create_campaign(
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    _: Annotated[Principal, requires("plan")],
) -> Response:
    obj = await read_json(request)
    with engine.begin() as conn:
        doc = campaigns.create_campaign(
            conn, obj, max_text_chars=settings.max_text_chars, now=datetime.now(UTC)
        )
    location = str(request.url_for("read_campaign", slug=doc["slug"]))
    return FastJSONResponse(doc, status_code=201, headers={"Location": location})


@router.get(
    "/{slug}",
    summary="A campaign with its progress: reports, contributors, hexagons with reports and effort",
    openapi_extra=PUBLIC,
)
def read_campaign(
    slug: str,
    engine: EngineDep,
    settings: SettingsDep,
    resolution: Annotated[
        int, Query(ge=0, le=15, description="H3 resolution the hexagons are counted at")
    ] = 9,
) -> Response:
    now = datetime.now(UTC)
    with engine.connect() as conn:
        row = store.get_campaign(conn, slug)
        if row is None:
            raise NotFound(f"There is no campaign {slug!r}; see GET /api/v1/campaigns.")
        progress = campaigns.progress(
            conn,
            slug,
            resolution=resolution,
            threshold=settings.suppression_threshold,
            effort_resolution=settings.effort_h3_resolution,
            public_resolution=settings.public_h3_resolution,
        )
    return FastJSONResponse({**campaigns.campaign_doc(row, now=now), "progress": progress})
