"""The API's routers, one module per resource, collected here."""

from fastapi import APIRouter

from api.routes import (
    aggregates,
    areas,
    beaches,
    campaigns,
    coverage,
    effort,
    feeds,
    form_aggregates,
    forms,
    health,
    hotspots,
    imports,
    indicators,
    ogc,
    open311,
    openrosa,
    photos,
    register,
    releases,
    reports,
    status,
    taxonomy,
    webhooks,
)

api_router = APIRouter(prefix="/api/v1")
api_router.include_router(taxonomy.router)
api_router.include_router(reports.router)
api_router.include_router(status.router)
api_router.include_router(areas.router)
api_router.include_router(aggregates.router)
api_router.include_router(indicators.router)
api_router.include_router(releases.router)
api_router.include_router(coverage.router)
api_router.include_router(register.router)
api_router.include_router(hotspots.router)
api_router.include_router(campaigns.router)
api_router.include_router(beaches.router)
api_router.include_router(photos.router)
api_router.include_router(effort.router)
api_router.include_router(feeds.router)
api_router.include_router(webhooks.router)
api_router.include_router(imports.router)
api_router.include_router(forms.router)
api_router.include_router(form_aggregates.router)

root_router = APIRouter()
root_router.include_router(health.router)
root_router.include_router(ogc.router)
root_router.include_router(open311.router)
root_router.include_router(openrosa.router)
