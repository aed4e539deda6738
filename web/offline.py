"""The volunteer page's service worker: what it keeps so that /report opens with no connection.

Served from the root, so that its scope may cover /report; see templates/sw.js for what it does.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from web.templating import static_url, static_version, templates

router = APIRouter(include_in_schema=False)

SW_ASSETS = (
    "favicon.svg",
    "css/site.css",
    "js/common.js",
    "js/photo-store.js",
    "js/outbox.js",
    "js/volunteer-campaigns.js",
    "js/volunteer-photos.js",
    "js/volunteer-effort.js",
    "js/volunteer-sdg16.js",
    "js/volunteer-pin.js",
    "js/form-xpath.js",
    "js/volunteer-form.js",
    "js/volunteer.js",
    "vendor/leaflet/leaflet.js",
    "vendor/leaflet/leaflet.css",
)
# Leaflet finds its marker images from its stylesheet's URL, so they are asked for unversioned.
SW_IMAGES = tuple(
    f"/static/vendor/leaflet/images/{name}"
    for name in ("marker-icon.png", "marker-icon-2x.png", "marker-shadow.png")
)


@router.get("/sw.js")
def service_worker() -> Response:
    """The volunteer page's service worker, served from the root so it may control /report."""
    body = templates.get_template("sw.js").render(
        version=static_version(), assets=[static_url(a) for a in SW_ASSETS] + list(SW_IMAGES)
    )
    headers = {"Cache-Control": "no-cache", "Service-Worker-Allowed": "/"}
    return Response(body, media_type="text/javascript", headers=headers)
