"""The API's routers, one module per resource, collected here."""

from fastapi import APIRouter

from api.routes import aggregates, areas, health, indicators, reports, status, taxonomy

api_router = APIRouter(prefix="/api/v1")
api_router.include_router(taxonomy.router)
api_router.include_router(reports.router)
api_router.include_router(status.router)
api_router.include_router(areas.router)
api_router.include_router(aggregates.router)
api_router.include_router(indicators.router)

root_router = APIRouter()
root_router.include_router(health.router)
