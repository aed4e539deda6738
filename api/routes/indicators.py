"""SDG indicators per administrative area, as JSON or CSV."""

from __future__ import annotations

import csv
import io
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from api.auth import PUBLIC
from api.deps import EngineDep, SettingsDep
from api.params import FiltersDep
from api.responses import FastJSONResponse
from mapping.analysis import indicators
from mapping.disclosure.publish import collection_metadata

router = APIRouter(prefix="/indicators", tags=["indicators"])


@router.get(
    "",
    summary="SDG 16.6.2 and 14.1.1 per area, disaggregated, each with its n",
    openapi_extra=PUBLIC,
)
def read_indicators(
    engine: EngineDep,
    settings: SettingsDep,
    filters: FiltersDep,
    level: Annotated[int, Query(ge=0, le=5)],
    format: Annotated[Literal["json", "csv"], Query(alias="format")] = "json",
    f: Annotated[Literal["json", "csv"] | None, Query(description="alias of format")] = None,
) -> Response:
    with engine.connect() as conn:
        table = indicators.area_indicators(
            conn, filters.query, level=level, threshold=settings.suppression_threshold
        )
    metadata = collection_metadata(
        filters={**filters.applied, "level": level},
        suppression_threshold=settings.suppression_threshold,
        license=settings.data_license,
        method=indicators.method(settings.suppression_threshold),
    )
    if (f or format) == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(indicators.CSV_COLUMNS)
        writer.writerows(indicators.csv_rows(table))
        return Response(
            out.getvalue(),
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="indicators-level{level}.csv"',
                "X-CivicMap-Method": metadata["method"],
                "X-CivicMap-License": metadata["license"],
                "X-CivicMap-Suppression-Threshold": str(metadata["suppression_threshold"]),
                "X-CivicMap-Generated-At": metadata["generated_at"],
            },
        )
    return FastJSONResponse({"level": level, "areas": table, "metadata": metadata})
