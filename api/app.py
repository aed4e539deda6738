"""The application factory. Nothing connects to a database until a request needs it."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.middleware.gzip import GZipMiddleware

import mapping
from api import background, errors, openapi, replica
from api.caching import CachingMiddleware
from api.limits import BodyLimitMiddleware
from api.routes import api_router, root_router
from api.turns import ShortWriterMiddleware
from mapping.areas.index import AreaIndexCache
from mapping.settings import Settings
from mapping.storage import make_engine
from web.docs import router as docs_router
from web.routes import router as web_router

BULK_PATHS = ("/reports/batch", "/reports/import")
# Reports sent with photos (multipart) get the photo-sized cap.
UPLOAD_PATHS = ("/api/v1/reports", "/openrosa/submission")


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    app = FastAPI(
        title="CivicMap",
        version=mapping.__version__,
        description="Participatory mapping of public services, beach litter and community "
        "hotspots: citizen reports in, hexagon and area aggregates out.",
        # /docs and /redoc are web.docs: our own pages, on our own copies of the libraries.
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.policies = settings.policies()
    app.state.engine = make_engine(settings.database_url, spatialite=settings.spatialite_library)
    app.state.area_index = AreaIndexCache(app.state.engine)
    # Maps fetch GeoJSON of hexagons and areas: it compresses about six times.
    app.add_middleware(GZipMiddleware, minimum_size=2048)
    # Outside the compression, so that a 304 goes out as it is made.
    app.add_middleware(CachingMiddleware, engine=app.state.engine, settings=settings)
    # Outside the caching, so that the data version is read where the answer will be.
    replica.install(app, settings)
    app.add_middleware(
        BodyLimitMiddleware,
        default=settings.max_body_bytes,
        idle_timeout_s=settings.body_idle_timeout_s,
        bulk=settings.max_bulk_body_bytes,
        bulk_suffixes=BULK_PATHS,
        upload=settings.max_upload_body_bytes,
        upload_paths=UPLOAD_PATHS,
    )
    app.add_middleware(ShortWriterMiddleware, engine=app.state.engine, long_suffixes=BULK_PATHS)
    errors.install(app)
    background.install(app, settings)
    openapi.install(app)
    app.include_router(api_router)
    app.include_router(root_router)
    app.include_router(web_router)
    app.include_router(docs_router)
    return app
