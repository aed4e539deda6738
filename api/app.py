"""The application factory. Nothing connects to a database until a request needs it."""

from __future__ import annotations

from fastapi import FastAPI

import mapping
from api import errors, openapi
from api.limits import BodyLimitMiddleware
from api.routes import api_router, root_router
from mapping.settings import Settings
from mapping.storage import make_engine
from mapping.storage.areas import AreaIndexCache

BULK_PATHS = ("/reports/batch", "/reports/import")


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    app = FastAPI(
        title="CivicMap",
        version=mapping.__version__,
        description="Participatory mapping of public services, beach litter and community "
        "hotspots: citizen reports in, hexagon and area aggregates out.",
    )
    app.state.settings = settings
    app.state.engine = make_engine(settings.database_url)
    app.state.area_index = AreaIndexCache(app.state.engine)
    app.add_middleware(
        BodyLimitMiddleware,
        default=settings.max_body_bytes,
        bulk=settings.max_bulk_body_bytes,
        bulk_suffixes=BULK_PATHS,
    )
    errors.install(app)
    openapi.install(app)
    app.include_router(api_router)
    app.include_router(root_router)
    return app
