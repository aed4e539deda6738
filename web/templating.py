"""The pages' Jinja templates, and URLs of our static files that change when the files do."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from fastapi.templating import Jinja2Templates

WEB = Path(__file__).resolve().parent
STATIC_DIR = WEB / "static"
TEMPLATES_DIR = WEB / "templates"
VENDOR_STAMP = STATIC_DIR / "vendor" / "VERSIONS"


@cache
def static_version() -> str:
    """A digest of our scripts, styles and vendor versions: part of every static URL, so that
    browsers and the service worker may cache them for good and still see a new release."""
    digest = hashlib.sha256()
    for path in sorted(STATIC_DIR.rglob("*")):
        # Vendor files are many and large; their versions stand for them.
        if path.is_file() and path.relative_to(STATIC_DIR).parts[0] != "vendor":
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    if VENDOR_STAMP.exists():
        digest.update(VENDOR_STAMP.read_bytes())
    return digest.hexdigest()[:12]


def static_url(path: str) -> str:
    """The URL of a file under web/static, with its cache-busting version."""
    return f"/static/{path}?v={static_version()}"


def vendor_missing() -> bool:
    """Leaflet is installed by scripts/setup; without it no map can draw."""
    return not VENDOR_STAMP.exists()


templates = Jinja2Templates(directory=TEMPLATES_DIR)
templates.env.globals["static"] = static_url
