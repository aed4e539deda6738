"""Coverage gaps: distance from every hexagon of the analysed areas to the nearest service."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy.engine import Connection

from api.auth import PUBLIC
from api.deps import EngineDep, SettingsDep
from api.params import Filters, FiltersDep, service_category
from api.responses import feature_collection
from mapping.analysis.coverage.answer import coverage_areas, coverage_hexes
from mapping.analysis.coverage.gaps import CoverageQuery, Demand, Source
from mapping.disclosure import provenance
from mapping.settings import Settings
from mapping.storage.sources import Source as SourceRecord

router = APIRouter(prefix="/coverage", tags=["analysis"])

ResolutionParam = Annotated[int, Query(ge=0, le=15, description="H3 resolution, 0 to 15")]
DistanceParam = Annotated[
    float, Query(gt=0, le=1_000_000, description="covered within this many metres")
]
SourceParam = Annotated[
    Source,
    Query(description="service points from citizen reports, imported facility lists, or both"),
]


TierParam = Annotated[
    int | None,
    Query(ge=1, le=9, description="only register facilities of this tier (from a tier list)"),
]
DemandParam = Annotated[
    Demand | None,
    Query(
        description="people (the population layer; the default when one is imported) or "
        "reports (a count of reports of other kinds, not people)"
    ),
]


def _query(
    filters: Filters,
    settings: Settings,
    resolution: int,
    distance: float,
    source: Source,
    demand: Demand | None,
    tier: int | None = None,
) -> CoverageQuery:
    return CoverageQuery(
        category=service_category(filters.query.category),
        resolution=resolution,
        max_distance_m=distance,
        source=source,
        reports=filters.query,
        public_resolution=settings.public_h3_resolution,
        demand=demand,
        tier=tier,
    )


def _sources(conn: Connection, q: CoverageQuery, settings: Settings) -> list[SourceRecord]:
    """The reports of the analysed place and period (service points and demand alike: every
    kind and category, which may credit more than the answer used, never less), and the
    facility lists of the category when they are measured to."""
    reports = provenance.report_sources(
        conn, replace(q.reports, kind=None, category=None), license=settings.data_license
    )
    if q.source == "reports":
        return reports
    return provenance.combined(reports, provenance.facility_sources(conn, category=q.category))


def _applied(
    resolution: int, distance: float, source: Source, demand: Demand | None, tier: int | None
) -> dict[str, Any]:
    applied: dict[str, Any] = {
        "resolution": resolution,
        "max_distance_m": distance,
        "source": source,
    }
    if demand is not None:
        applied["demand"] = demand
    if tier is not None:
        applied["tier"] = tier
    return applied


@router.get("", summary="Distance to the nearest service per hexagon", openapi_extra=PUBLIC)
def read_coverage(
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    filters: FiltersDep,
    resolution: ResolutionParam,
    max_distance_m: DistanceParam,
    source: SourceParam = "both",
    demand: DemandParam = None,
    tier: TierParam = None,
) -> Response:
    """Every hexagon of `area` (else of all areas of the coarsest level): `category` names the
    service, `kind` the reports counted as demand (default: all but service reports)."""
    q = _query(filters, settings, resolution, max_distance_m, source, demand, tier)
    with engine.connect() as conn:
        features, summary, method = coverage_hexes(
            conn,
            q,
            area=filters.query.area,
            boxes=filters.query.boxes,
            threshold=settings.suppression_threshold,
            max_cells=settings.max_analysis_cells,
            max_features=settings.max_aggregate_cells,
        )
        sources = _sources(conn, q, settings)
    applied = _applied(resolution, max_distance_m, source, demand, tier)
    return feature_collection(
        request,
        features,
        settings=settings,
        method=method,
        filters={**filters.applied, **applied},
        extra={"summary": summary},
        sources=sources,
    )


@router.get("/areas", summary="Covered share of hexagons and demand per area", openapi_extra=PUBLIC)
def read_coverage_areas(
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    filters: FiltersDep,
    level: Annotated[int, Query(ge=0, le=5, description="administrative level")],
    resolution: ResolutionParam,
    max_distance_m: DistanceParam,
    source: SourceParam = "both",
    demand: DemandParam = None,
    tier: TierParam = None,
) -> Response:
    """The areas of `level` (inside `area`, meeting `bbox`) with their covered shares."""
    q = _query(filters, settings, resolution, max_distance_m, source, demand, tier)
    with engine.connect() as conn:
        features, summary, method = coverage_areas(
            conn,
            q,
            level=level,
            area=filters.query.area,
            boxes=filters.query.boxes,
            threshold=settings.suppression_threshold,
            max_cells=settings.max_analysis_cells,
        )
        sources = _sources(conn, q, settings)
    applied = _applied(resolution, max_distance_m, source, demand, tier)
    return feature_collection(
        request,
        features,
        settings=settings,
        method=method,
        filters={**filters.applied, "level": level, **applied},
        extra={"summary": summary},
        sources=sources,
    )
