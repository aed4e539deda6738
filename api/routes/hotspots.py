"""Hot and cold spots of reports: Getis-Ord Gi* over H3 hexagons."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from api.auth import PUBLIC
from api.deps import EngineDep, SettingsDep
from api.params import FiltersDep
from api.responses import feature_collection
from mapping.analysis.hotspots.answer import HotspotQuery, hotspot_features
from mapping.disclosure import provenance
from mapping.errors import InvalidQuery

MIN_PERMUTATIONS = 99

router = APIRouter(prefix="/hotspots", tags=["analysis"])


@router.get("", summary="Getis-Ord Gi* hot and cold spots per hexagon", openapi_extra=PUBLIC)
def read_hotspots(
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    filters: FiltersDep,
    resolution: Annotated[int, Query(ge=0, le=15, description="H3 resolution, 0 to 15")],
    k: Annotated[int, Query(ge=1, le=5, description="neighbours: the k-ring")] = 1,
    fdr: Annotated[
        bool, Query(description="classes from Benjamini-Hochberg adjusted p (default on)")
    ] = True,
    permutations: Annotated[
        int,
        Query(
            ge=0,
            le=9999,
            description="conditional permutations for p (seeded, so repeatable); "
            "0 for the normal approximation",
        ),
    ] = 999,
) -> Response:
    """The hexagons with reports, and any other hexagon classed hot or cold, of the study area
    (`area`, else all areas of the coarsest level; `bbox` narrows it)."""
    if 0 < permutations < MIN_PERMUTATIONS:
        raise InvalidQuery(
            f"permutations must be 0 (normal approximation) or at least {MIN_PERMUTATIONS}: "
            f"with {permutations} no p can fall below {1 / (permutations + 1):.2f}.",
            [{"loc": ["query", "permutations"], "msg": f"0 or >= {MIN_PERMUTATIONS}"}],
        )
    q = HotspotQuery(
        resolution=resolution,
        k=k,
        fdr=fdr,
        permutations=permutations,
        reports=filters.query,
        public_resolution=settings.public_h3_resolution,
    )
    with engine.connect() as conn:
        features, summary, method = hotspot_features(
            conn,
            q,
            threshold=settings.suppression_threshold,
            max_cells=settings.max_aggregate_cells,
        )
        sources = provenance.report_sources(conn, filters.query, license=settings.data_license)
    return feature_collection(
        request,
        features,
        settings=settings,
        method=method,
        filters={
            **filters.applied,
            "resolution": resolution,
            "k": k,
            "fdr": fdr,
            "permutations": permutations,
        },
        extra={"summary": summary},
        sources=sources,
    )
