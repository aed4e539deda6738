"""Fixtures for the pages: a real uvicorn server on the module's database, seeded with areas and
reports, and Debian's Chromium driven by Playwright.

Background tiles point at a closed local port and every tile request is aborted, so no test
touches the network; that one failure is the only console error a test forgives.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest
import shapely
import uvicorn
from sqlalchemy.engine import Engine

from api.app import create_app
from mapping.areas.index import AreaIndexCache
from mapping.reports import ingest
from mapping.reports.rows import Limits
from mapping.settings import Settings
from mapping.storage import areas as area_store
from tests.conftest import IN_CI, make_report
from web.templating import vendor_missing

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
TILE_PREFIX = "http://127.0.0.1:9/tiles/"
CHROMIUM = os.environ.get("CIVICMAP_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}
# Accra, where the seeded reports are, and an area around it; a second area's name tests escaping.
ACCRA = (-0.20, 5.60)
AREAS = [
    ("T-ACC", "Accra test area", shapely.box(-0.35, 5.45, -0.05, 5.75)),
    ("T-ESC", "Tricky <b>&amp;</b> name", shapely.box(-0.05, 5.45, 0.25, 5.75)),
]


def _missing_browser() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (scripts/setup --test)"
    if not Path(CHROMIUM).exists():
        return f"no Chromium at {CHROMIUM} (scripts/setup --test installs Debian's chromium)"
    if vendor_missing():
        return "Leaflet is not under web/static/vendor (scripts/setup installs it)"
    return None


def _need_browser() -> None:
    reason = _missing_browser()
    if reason and IN_CI:
        pytest.fail(reason)
    if reason:
        pytest.skip(reason)


def seed(engine: Engine) -> None:
    """Areas, and reports of every kind: a dense cluster in Accra (counts above the threshold),
    and one lone report far off, whose hexagon must be drawn as suppressed."""
    frame = gpd.GeoDataFrame(
        {"code": [a[0] for a in AREAS], "name": [a[1] for a in AREAS], "level": 1, "parent": None},
        geometry=[shapely.MultiPolygon([a[2]]) for a in AREAS],
        crs="EPSG:4326",
    )
    with engine.begin() as conn:
        area_store.save_areas(conn, frame, source="test")
    lon, lat = ACCRA
    features = [
        make_report("service", lon + i * 0.0004, lat + (i % 5) * 0.0004, campaign="web-test")
        for i in range(24)
    ]
    features += [make_report("hotspot", lon + i * 0.0005, lat - 0.01) for i in range(8)]
    features += [make_report("litter", lon + i * 0.0005, lat - 0.02) for i in range(6)]
    features.append(
        make_report("service", 0.20, 5.70, description="<img src=x onerror=window.pwned=1>")
    )
    batch = {"type": "FeatureCollection", "features": features}
    result = ingest.submit_batch(
        engine, batch, limits=Limits(), areas=AreaIndexCache(engine).current()
    )
    assert result.created == len(features), result.results


@dataclass
class LiveServer:
    url: str
    engine: Engine
    backend: str


@pytest.fixture(scope="module")
def seeded(engine: Engine) -> None:
    """What the module's database holds when its server starts; a test module may override it."""
    seed(engine)


@pytest.fixture(scope="module")
def live_server(
    settings: Settings, engine: Engine, database_url: str, seeded: None
) -> Iterator[LiveServer]:
    """The whole app under uvicorn on a free port of 127.0.0.1, on the module's database."""
    _need_browser()
    app = create_app(settings.model_copy(update={"tile_url": TILE_PREFIX + "{z}/{x}/{y}.png"}))
    # Bind first and hand uvicorn the socket: no race for the port.
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        threading.Event().wait(0.05)
    assert server.started, "uvicorn did not start"
    backend = "spatialite" if database_url.startswith("sqlite") else "postgis"
    yield LiveServer(f"http://127.0.0.1:{sock.getsockname()[1]}", engine, backend)
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()
    app.state.engine.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    _need_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@dataclass
class Console:
    """Console errors and uncaught exceptions of a page, less the tile failures we cause."""

    errors: list[str] = field(default_factory=list)

    def watch(self, page: Any) -> None:
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.errors.append(f"uncaught: {exc}"))

    def _console(self, message: Any) -> None:
        if message.type != "error":
            return
        source = (message.location or {}).get("url", "")
        if source.startswith(TILE_PREFIX) and message.text.startswith("Failed to load resource"):
            return
        self.errors.append(f"{message.text} ({source})")


@dataclass
class Visit:
    page: Any
    context: Any
    console: Console
    server: LiveServer

    def open(self, path: str) -> None:
        self.page.goto(self.server.url + path)

    def screenshot(self, name: str, full_page: bool = True) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        size = self.page.viewport_size
        path = SCREENSHOTS / f"{name}-{size['width']}-{self.server.backend}.png"
        self.page.screenshot(path=str(path), full_page=full_page)
        return path


def _visit(
    browser: Any,
    live_server: LiveServer,
    viewport: dict[str, int],
    touch: bool = False,
    bypass_csp: bool = False,
) -> Iterator[Visit]:
    phone = viewport["width"] < 500
    context = browser.new_context(
        viewport=viewport, is_mobile=phone, has_touch=touch and phone, bypass_csp=bypass_csp
    )
    context.route(TILE_PREFIX + "**", lambda route: route.abort())
    context.set_default_timeout(15_000)
    page = context.new_page()
    console = Console()
    console.watch(page)
    yield Visit(page, context, console, live_server)
    context.close()


@pytest.fixture
def phone(browser: Any, live_server: LiveServer) -> Iterator[Visit]:
    """A fresh phone-sized browser context (empty storage, no service worker yet)."""
    yield from _visit(browser, live_server, PHONE)


@pytest.fixture
def desktop(browser: Any, live_server: LiveServer) -> Iterator[Visit]:
    yield from _visit(browser, live_server, DESKTOP)


@pytest.fixture
def sized(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    """A function that opens a fresh browser context of a given size: `sized(390, 844)`; a
    phone's (under 500 px wide) has a touch screen. `bypass_csp` lets a test add its own
    script (a checker) to pages whose Content-Security-Policy would refuse it."""
    opened: list[Iterator[Visit]] = []

    def make(width: int, height: int, bypass_csp: bool = False) -> Visit:
        viewport = {"width": width, "height": height}
        visit = _visit(browser, live_server, viewport, touch=True, bypass_csp=bypass_csp)
        opened.append(visit)
        return next(visit)

    yield make
    for visit in opened:
        next(visit, None)
