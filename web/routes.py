"""The pages: landing, planner map, volunteer page, area scorecards, the reporter's status page.

Pages read the engine and settings the application factory put on `app.state`; they never
import `api` (imports point api -> web -> mapping).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.engine import Engine
from starlette.routing import Match

from mapping.analysis import overview, sdg16
from mapping.analysis.coverage.answer import area_reach
from mapping.analysis.studyarea import estimated_cells
from mapping.settings import Settings
from mapping.storage import areas as area_store
from mapping.taxonomy import (
    HOTSPOT_THEMES,
    LITTER_ITEMS,
    LITTER_SURVEYS,
    SERVICE_CATEGORIES,
    taxonomy_document,
)
from web import offline, planner
from web.charts import bar_chart
from web.templating import STATIC_DIR, templates, vendor_missing

router = APIRouter(include_in_schema=False)
router.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
router.include_router(offline.router)

# Paths of the analyses another part of the service provides; the map offers their layers
# only when the running app has them, so a missing one never costs a failed request.
ANALYSIS_RESOLUTIONS = (4, 5, 6, 7, 8)
ANALYSES = {
    "coverage": "/api/v1/coverage",
    "register": "/api/v1/facilities",
    "missing": "/api/v1/facilities/missing",
    "hotspots": "/api/v1/hotspots",
}


def _engine(request: Request) -> Engine:
    return request.app.state.engine  # type: ignore[no-any-return]


def _settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


def _page(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    context.setdefault("vendor_missing", vendor_missing())
    context.setdefault("license", _settings(request).data_license)
    return templates.TemplateResponse(request, name, context, status_code=status_code)


@router.get("/", response_class=HTMLResponse)
def landing(request: Request) -> HTMLResponse:
    settings = _settings(request)
    with _engine(request).connect() as conn:
        counts = overview.headline_counts(conn, threshold=settings.suppression_threshold)
        areas = overview.coarsest_areas(conn)
    return _page(request, "index.html", counts=counts, areas=areas)


def _routes_get(request: Request, path: str) -> bool:
    """Whether the running app answers GET `path`, asked the way the app itself routes."""
    scope = {**request.scope, "path": path, "method": "GET", "query_string": b""}
    return any(route.matches(scope)[0] == Match.FULL for route in request.app.router.routes)


def _available_analyses(request: Request) -> dict[str, bool]:
    return {key: _routes_get(request, path) for key, path in ANALYSES.items()}


@router.get("/map", response_class=HTMLResponse)
def planner_map(request: Request) -> HTMLResponse:
    settings = _settings(request)
    with _engine(request).connect() as conn:
        bounds = overview.areas_extent(conn)
        levels = area_store.levels(conn)
        cells = estimated_cells(conn, ANALYSIS_RESOLUTIONS)
    parts = planner.build_planner_map(
        tile_url=settings.tile_url, tile_attribution=settings.tile_attribution, bounds=bounds
    )
    config = {
        "api": "/api/v1",
        "license": settings.data_license,
        "threshold": settings.suppression_threshold,
        "palettes": planner.palettes(),
        "analyses": _available_analyses(request),
        # Hexagons finer than this carry no effort (the effort layer says so).
        "effortResolution": settings.effort_h3_resolution,
        "bounds": bounds or planner.WORLD,
        "taxonomy": taxonomy_document(),
        # Analyses (coverage, Gi*) cover the whole study area: the sizes it holds too many of
        # are not offered.
        "analysisCells": cells,
        "maxAnalysisCells": settings.max_aggregate_cells,
    }
    return _page(
        request,
        "map.html",
        map=parts,
        config=config,
        levels=levels,
        analysis_resolutions=ANALYSIS_RESOLUTIONS,
    )


def _tiles(settings: Settings) -> dict[str, str]:
    return {"url": settings.tile_url, "attribution": settings.tile_attribution}


@router.get("/report", response_class=HTMLResponse)
def volunteer(request: Request) -> HTMLResponse:
    settings = _settings(request)
    with _engine(request).connect() as conn:
        bounds = overview.areas_extent(conn)
        residences = [(a["code"], a["name"]) for a in area_store.list_areas(conn, level=1)]
    config = {
        "api": "/api/v1",
        "tiles": _tiles(settings),
        "maxText": settings.max_text_chars,
        "bounds": bounds,
        "maxPhotos": settings.max_photos_per_report,
        "maxPhotoBytes": settings.max_photo_bytes,
        "photoMaxEdge": settings.photo_max_edge,
        "maxTrackKm": settings.max_effort_track_km,
        # SDG 16.6.2: which categories are its services, and the attributes each one asks.
        "services": {
            category: list(sdg16.SERVICES[service].attributes)
            for category, service in sdg16.OFFICIAL_CATEGORIES.items()
        },
        "aspectLabels": sdg16.ATTRIBUTE_LABELS,
        "residences": residences,
    }
    response = _page(request, "report.html", config=config)
    # The service worker keeps its own copy; let it, not the HTTP cache, decide when it is old.
    response.headers["Cache-Control"] = "no-cache"
    return response


def _labels() -> dict[str, str]:
    """The words for the codes a report page shows: kinds and every category."""
    labels = {"service": "Public service", "litter": "Beach litter", "hotspot": "Hotspot"}
    for entries in (SERVICE_CATEGORIES, LITTER_SURVEYS, HOTSPOT_THEMES, LITTER_ITEMS):
        labels.update({c.code: c.label for c in entries})
    return labels


@router.get("/areas/{code}", response_class=HTMLResponse)
def area_scorecard(request: Request, code: str) -> HTMLResponse:
    settings = _settings(request)
    with _engine(request).connect() as conn:
        card = overview.area_scorecard(conn, code, threshold=settings.suppression_threshold)
        reach = (
            area_reach(
                conn,
                code,
                card["level"],
                threshold=settings.suppression_threshold,
                max_cells=settings.max_analysis_cells,
            )
            if card
            else None
        )
    if card is None:
        return _page(request, "not_found.html", status_code=404, what=f"area {code}")
    chart = bar_chart(
        [(m["month"][2:], m["reports"]) for m in card["trend"]], label="reports per month"
    )
    return _page(request, "area.html", card=card, chart=chart, reach=reach)


@router.get("/reports/{report_id}", response_class=HTMLResponse)
def report_status(request: Request, report_id: str) -> HTMLResponse:
    response = _page(
        request, "report_status.html", report_id=report_id, config={"labels": _labels()}
    )
    # The receipt is in this page's URL: no other site may see it in a Referer header.
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response
