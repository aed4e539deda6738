"""Aggregates of reports per H3 hexagon and per administrative area."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from api.auth import PUBLIC
from api.deps import AreasDep, EngineDep, SettingsDep
from api.params import FiltersDep
from api.responses import FastJSONResponse, GeoJSONResponse, answer_metadata, feature_collection
from mapping.analysis import aggregate
from mapping.analysis import cells as cells_of
from mapping.disclosure import provenance
from mapping.storage import areas as area_store

router = APIRouter(prefix="/aggregates", tags=["aggregates"])


@router.get(
    "/hexes",
    response_class=GeoJSONResponse,
    summary="Report counts and indicators per H3 hexagon",
    openapi_extra=PUBLIC,
)
def read_hexes(
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    filters: FiltersDep,
    resolution: Annotated[int, Query(ge=0, le=15, description="H3 resolution, 0 to 15")],
    areas: AreasDep,
) -> Response:
    index = areas.current()
    with engine.connect() as conn:
        names = {a["code"]: (a["name"], a["parent"]) for a in area_store.list_areas(conn)}
        features, method, counted = aggregate.hexes(
            conn,
            filters.query,
            resolution=resolution,
            threshold=settings.suppression_threshold,
            public_resolution=settings.public_h3_resolution,
            max_cells=settings.max_aggregate_cells,
            places=(lambda lons, lats: index.places(lons, lats, names)) if index else None,
        )
        sources = provenance.listed_sources(conn, counted, license=settings.data_license)
    return feature_collection(
        request,
        features,
        settings=settings,
        method=method,
        filters={**filters.applied, "resolution": resolution},
        sources=sources,
    )


@router.get(
    "/cells",
    response_class=FastJSONResponse,
    summary="Report counts per H3 cell, without outlines: the map's compact hexagons",
    openapi_extra=PUBLIC,
)
def read_cells(
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    filters: FiltersDep,
    resolution: Annotated[int, Query(ge=0, le=15, description="H3 resolution, 0 to 15")],
) -> Response:
    """`cells` lists `[H3 cell id, reports]` for each hexagon that holds reports, as
    `/aggregates/hexes` counts them; a client draws each outline from its id (h3-js
    `cellToBoundary`). The `alternate` link is the same answer as GeoJSON, with every
    indicator and the outlines."""
    with engine.connect() as conn:
        cells, method, counted = cells_of.counts(
            conn,
            filters.query,
            resolution=resolution,
            public_resolution=settings.public_h3_resolution,
            max_cells=settings.max_aggregate_cells,
        )
        sources = provenance.listed_sources(conn, counted, license=settings.data_license)
    geojson = request.url.replace(path=request.url.path.removesuffix("/cells") + "/hexes")
    return FastJSONResponse(
        {
            "resolution": resolution,
            "cells": cells,
            "numberReturned": len(cells),
            "links": [
                {"rel": "self", "href": str(request.url), "type": "application/json"},
                {"rel": "alternate", "href": str(geojson), "type": "application/geo+json"},
            ],
            "metadata": answer_metadata(
                settings,
                filters={**filters.applied, "resolution": resolution},
                method=method,
                sources=sources,
            ),
        }
    )


@router.get(
    "/areas",
    response_class=GeoJSONResponse,
    summary="Report counts and indicators per administrative area",
    openapi_extra=PUBLIC,
)
def read_area_aggregates(
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    filters: FiltersDep,
    level: Annotated[int, Query(ge=0, le=5, description="administrative level")],
) -> Response:
    with engine.connect() as conn:
        features, method, counted = aggregate.areas(
            conn, filters.query, level=level, threshold=settings.suppression_threshold
        )
        sources = provenance.listed_sources(conn, counted, license=settings.data_license)
    return feature_collection(
        request,
        features,
        settings=settings,
        method=method,
        filters={**filters.applied, "level": level},
        sources=sources,
    )
