"""Beaches: the survey sites of beach litter, each with its SDG 14.1.1 guideline figures."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response

from api.auth import PUBLIC, requires, role_doc
from api.body import read_json
from api.deps import EngineDep, SettingsDep
from api.openapi import body
from api.params import FiltersDep
from api.responses import GeoJSONResponse, feature_collection
from mapping.analysis import litter
from mapping.disclosure import provenance
from mapping.errors import NotFound
from mapping.keys import Principal
from mapping.reports import beaches
from mapping.storage import beaches as store

router = APIRouter(prefix="/beaches", tags=["beaches"])

Water = Literal["marine", "freshwater", "unknown"]


@router.get(
    "",
    response_class=GeoJSONResponse,
    summary="Beaches with their SDG 14.1.1 figures: median items per 100 m over monitoring "
    "surveys, surveys, top items, the 20 items/100 m threshold",
    openapi_extra=PUBLIC,
)
def list_beaches(
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    filters: FiltersDep,
    water: Annotated[Water | None, Query(description="only beaches of this water")] = None,
) -> Response:
    with engine.connect() as conn:
        listed = [b for b in store.list_beaches(conn) if water is None or b["water"] == water]
        found = litter.by_beach(litter.surveys(conn, filters.query))
        sources = provenance.beach_sources(
            conn, listed, litter.survey_query(filters.query), license=settings.data_license
        )
    return feature_collection(
        request,
        [litter.beach_doc(b, found.get(b["code"], [])) for b in listed],
        settings=settings,
        method=litter.METHOD,
        filters={**filters.applied, "water": water},
        sources=sources,
    )


@router.post(
    "",
    status_code=201,
    response_class=GeoJSONResponse,
    summary="Record a beach: name, point, reference stretch, regional sea, water",
    openapi_extra={
        **body(beaches.BeachCreate, "The beach: name, point, reference_m, regional_sea, water."),
        **role_doc("plan"),
    },
    responses={409: {"description": "The code is taken"}},
)
async def create_beach(
    request: Request, engine: EngineDep, _: Annotated[Principal, requires("plan")]
) -> Response:
    obj = await read_json(request)
    with engine.begin() as conn:
        code = beaches.create_beach(conn, obj, now=datetime.now(UTC))
        stored = store.get_beach(conn, code)
        feature = litter.beach_doc(stored or {}, [])
    location = str(request.url_for("read_beach", code=code))
    return GeoJSONResponse(feature, status_code=201, headers={"Location": location})


@router.get(
    "/{code}",
    response_class=GeoJSONResponse,
    summary="One beach with its SDG 14.1.1 figures for the period",
    openapi_extra=PUBLIC,
)
def read_beach(
    code: str, engine: EngineDep, settings: SettingsDep, filters: FiltersDep
) -> Response:
    with engine.connect() as conn:
        beach = store.get_beach(conn, code)
        if beach is None:
            raise NotFound(f"There is no beach {code!r}; see GET /api/v1/beaches.")
        found = litter.by_beach(litter.surveys(conn, filters.query)).get(code, [])
        sources = provenance.beach_sources(
            conn,
            [beach],
            litter.survey_query(filters.query),
            license=settings.data_license,
            beach=code,
        )
    feature = litter.beach_doc(beach, found)
    feature["properties"]["method"] = litter.METHOD
    feature["properties"]["sources"] = provenance.as_members(sources)
    return GeoJSONResponse(feature)
