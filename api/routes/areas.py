"""Administrative areas: their outlines, and one area with its indicators."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from api.auth import PUBLIC
from api.deps import EngineDep, SettingsDep
from api.params import FiltersDep
from api.responses import GeoJSONResponse, feature_collection
from mapping.analysis import aggregate, indicators, units
from mapping.disclosure import provenance
from mapping.disclosure.publish import area_feature
from mapping.errors import NotFound
from mapping.storage import areas as area_store

router = APIRouter(prefix="/areas", tags=["areas"])

METHOD = "Administrative areas as imported, outlines simplified for display."


@router.get(
    "",
    response_class=GeoJSONResponse,
    summary="Administrative areas as a FeatureCollection",
    openapi_extra=PUBLIC,
)
def list_areas(
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    level: Annotated[int | None, Query(ge=0, le=5)] = None,
) -> Response:
    with engine.connect() as conn:
        listed = area_store.list_areas(conn, level=level)
    return feature_collection(
        request,
        [area_feature(a) for a in listed],
        settings=settings,
        method=METHOD,
        filters={"level": level},
        # No reports: the outlines' own origin is each area's `source` (not yet a record).
        sources=[],
    )


@router.get(
    "/{code}",
    response_class=GeoJSONResponse,
    summary="One area with its report counts and SDG indicators",
    openapi_extra=PUBLIC,
)
def read_area(code: str, engine: EngineDep, settings: SettingsDep, filters: FiltersDep) -> Response:
    with engine.connect() as conn:
        area = area_store.get_area(conn, code)
        if area is None:
            raise NotFound(f"There is no area with code {code!r}; see GET /api/v1/areas.")
        query = filters.query
        unit = units.area_unit(conn, area["level"], code, query)
        table = indicators.area_indicators(
            conn,
            query,
            level=area["level"],
            threshold=settings.suppression_threshold,
            code=code,
            wg_domains=settings.washington_group_domains,
        )
        # The area's reports are the unit's: their sources came with its sums.
        sources = provenance.listed_sources(conn, unit.sources, license=settings.data_license)
    feature = area_feature(area)
    threshold = settings.suppression_threshold
    feature["properties"].update(aggregate.summarise(unit, threshold=threshold))
    feature["properties"]["indicators"] = {
        "sdg_16_6_2": table[0]["sdg_16_6_2"],
        "sdg_14_1_1": table[0]["sdg_14_1_1"],
    }
    feature["properties"]["suppression_threshold"] = threshold
    feature["properties"]["license"] = provenance.answer_license(
        sources, installation_license=settings.data_license
    )
    feature["properties"]["sources"] = provenance.as_members(sources)
    return GeoJSONResponse(feature)
