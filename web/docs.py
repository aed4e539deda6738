"""The API's documentation pages: `/docs` (Swagger UI, to try each operation) and `/redoc`
(Redoc, one reference page), both reading the app's own `/openapi.json`.

The libraries are ours, vendored from the npm registry by scripts/vendor-web, so the pages work
with no network; the pages' policy refuses anything from elsewhere, which Redoc 2 would
otherwise fetch (the Redocly logo of its side menu, from a CDN).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from web.templating import STATIC_DIR, templates

router = APIRouter(include_in_schema=False)

LIBRARIES = {
    "docs.html": STATIC_DIR / "vendor" / "swagger-ui" / "swagger-ui-bundle.js",
    "redoc.html": STATIC_DIR / "vendor" / "redoc" / "redoc.standalone.js",
}
# Our scripts and styles only; Redoc and Swagger UI set styles from script, and Redoc runs
# its search in a worker it makes from a blob.
POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "worker-src 'self' blob:; object-src 'none'; base-uri 'self'; frame-ancestors 'self'"
)


def _docs_page(request: Request, name: str) -> HTMLResponse:
    context = {
        "active": "docs",
        "openapi_url": request.app.openapi_url,
        "library_missing": not LIBRARIES[name].exists(),
        "license": getattr(request.app.state.settings, "data_license", None),
    }
    page = templates.TemplateResponse(request, name, context)
    page.headers["Content-Security-Policy"] = POLICY
    return page


@router.get("/docs", response_class=HTMLResponse)
def swagger_ui(request: Request) -> HTMLResponse:
    return _docs_page(request, "docs.html")


@router.get("/redoc", response_class=HTMLResponse)
def redoc(request: Request) -> HTMLResponse:
    return _docs_page(request, "redoc.html")
