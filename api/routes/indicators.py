"""SDG indicators per administrative area, as JSON or CSV."""

from __future__ import annotations

import csv
import io
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response

from api import downloads
from api.auth import PUBLIC
from api.deps import EngineDep, SettingsDep
from api.params import FiltersDep
from api.responses import FastJSONResponse, answer_metadata
from mapping.analysis import indicators
from mapping.disclosure import provenance
from mapping.export import to_csvw

router = APIRouter(prefix="/indicators", tags=["indicators"])


@router.get(
    "",
    summary="SDG 16.6.2 and 14.1.1 per area, disaggregated, each with its n",
    openapi_extra=PUBLIC,
    responses={
        200: {
            "description": "The table as JSON; `format=csv` as CSV, linked to its CSVW "
            "metadata (`format=csvw`)",
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                downloads.CSVW_MEDIA: {"schema": {"type": "object"}},
            },
        }
    },
)
def read_indicators(
    engine: EngineDep,
    settings: SettingsDep,
    filters: FiltersDep,
    level: Annotated[int, Query(ge=0, le=5)],
    request: Request,
    format: Annotated[Literal["json", "csv", "csvw"], Query(alias="format")] = "json",
    f: Annotated[
        Literal["json", "csv", "csvw"] | None, Query(description="alias of format")
    ] = None,
) -> Response:
    with engine.connect() as conn:
        table = indicators.area_indicators(
            conn,
            filters.query,
            level=level,
            threshold=settings.suppression_threshold,
            wg_domains=settings.washington_group_domains,
        )
        sources = provenance.report_sources(conn, filters.query, license=settings.data_license)
    metadata = answer_metadata(
        settings,
        filters={**filters.applied, "level": level},
        method=indicators.method(settings.suppression_threshold),
        sources=sources,
    )
    if (f or format) == "csvw":
        return _csvw(request, metadata, level)
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
                "X-CivicMap-Sources": downloads.header_text(metadata["sources"]),
                "Link": f'<{downloads.csvw_url(request)}>; rel="describedby"; '
                f'type="{downloads.CSVW_MEDIA}"',
            },
        )
    return FastJSONResponse({"level": level, "areas": table, "metadata": metadata})


# How the indicator CSV writes its columns (Python's csv module: `True`/`False`, reals as repr).
INDICATOR_COLUMNS: dict[str, tuple[Any, str]] = {
    "area_code": ("string", "code of the administrative area"),
    "indicator": ("string", "SDG indicator and measure, e.g. `16.6.2 satisfied_share`"),
    "value": (
        "double",
        "the measure: a share from 0 to 1 (satisfied_share, plastic_share), or items per 100 m "
        "of beach (items_per_100m); empty where suppressed",
    ),
    "n": ("integer", "respondents or surveys the value is made of"),
    "suppressed": ({"base": "boolean", "format": "True|False"}, "below the precision rule"),
}


def _csvw(request: Request, metadata: dict[str, Any], level: int) -> Response:
    """The CSVW metadata of the same query's CSV."""
    columns = [
        to_csvw.column(name, *INDICATOR_COLUMNS.get(name, ("string", "")))
        for name in indicators.CSV_COLUMNS
    ]
    doc = to_csvw.document(
        url=downloads.csv_url(request),
        title=f"CivicMap SDG indicators, areas of level {level}",
        columns=columns,
        metadata=metadata,
    )
    return FastJSONResponse(doc, media_type=downloads.CSVW_MEDIA)
