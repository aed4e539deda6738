"""/docs (Swagger UI) and /redoc (Redoc) are our pages on our copies of the libraries: they work
with every request outside the server refused, and are pages like ours (language, a main
landmark, a heading). Over HTTP first, then in a real headless Chromium on both backends."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import IN_CI
from tests.web.conftest import Visit
from web.docs import LIBRARIES

DOCS_PAGES = ["/docs", "/redoc"]


@pytest.fixture(scope="module")
def seeded() -> None:
    """The documentation reads no data: an empty database will do."""


@pytest.mark.parametrize("path", DOCS_PAGES)
def test_docs_pages_are_ours_and_load_nothing_from_elsewhere(client: TestClient, path: str) -> None:
    answer = client.get(path)
    assert answer.status_code == 200
    html = answer.text
    assert '<html lang="en">' in html
    assert re.search(r"<main\b", html) and re.search(r"<h1>[^<]*API", html)
    assert re.findall(r'(?:src|href)="(https?://[^"]+)"', html) == []
    assert "fonts.googleapis" not in html and "cdn" not in html.lower()
    policy = answer.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "img-src 'self' data:" in policy
    for script in re.findall(r'<script src="([^"]+)"', html):
        assert client.get(script).status_code == 200, script


def test_the_vendored_libraries_carry_their_licences() -> None:
    missing = [str(p) for p in LIBRARIES.values() if not p.exists()]
    if missing and not IN_CI:
        pytest.skip(f"{missing} not vendored: run scripts/vendor-web")
    assert missing == [], "scripts/setup runs scripts/vendor-web"
    for library in LIBRARIES.values():
        assert (library.parent / "LICENSE").read_text().strip()


def _refuse_other_origins(visit: Visit) -> list[str]:
    """Abort every request that would leave the server, and record its URL."""
    left: list[str] = []
    origin = visit.server.url + "/"

    def handle(route: Any) -> None:
        if route.request.url.startswith(origin):
            route.continue_()
        else:
            left.append(route.request.url)
            route.abort()

    visit.context.route("**/*", handle)
    return left


def _page_landmarks(visit: Visit) -> dict[str, Any]:
    """The page's language, its main landmarks (those not inside another), and its first h1
    and whether that heading is in the main landmark."""
    return visit.page.evaluate(
        """() => {
            const mains = Array.from(document.querySelectorAll('main, [role=main]'))
                .filter(m => !m.parentElement.closest('main, [role=main]'));
            const h1 = document.querySelector('h1');
            return {lang: document.documentElement.lang, main: mains.length,
                    h1: h1.textContent.trim(), h1_in_main: mains[0].contains(h1)};
        }"""
    )


@pytest.mark.slow
def test_use_the_data_leads_to_the_operations_with_no_network(desktop: Visit) -> None:
    left = _refuse_other_origins(desktop)
    page = desktop.page
    desktop.open("/")
    page.get_by_role("link", name=re.compile("Use the data")).click()
    page.wait_for_url("**/docs")
    collections = page.locator(".opblock-summary-path[data-path='/ogc/collections']")
    collections.first.wait_for()
    assert page.locator(".opblock").count() > 20
    collections.first.click()  # an operation opens, with its parameters and answers
    page.locator(".opblock.is-open .responses-wrapper").first.wait_for()
    desktop.screenshot("docs", full_page=False)
    # Swagger UI puts its own <main id="operations"> inside ours; ours is the page's.
    landmarks = _page_landmarks(desktop)
    assert landmarks == {"lang": "en", "main": 1, "h1": "CivicMap API", "h1_in_main": True}
    assert left == []
    assert desktop.console.errors == []


@pytest.mark.slow
def test_redoc_shows_the_reference_with_no_network(desktop: Visit) -> None:
    left = _refuse_other_origins(desktop)
    page = desktop.page
    refused = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security" in m.text else None)
    desktop.open("/redoc")
    title = page.locator(".api-info h1")
    title.wait_for()
    assert title.inner_text().startswith("CivicMap")
    page.locator("[data-section-id]").first.wait_for()
    desktop.screenshot("redoc", full_page=False)
    landmarks = _page_landmarks(desktop)
    assert landmarks == {
        "lang": "en",
        "main": 1,
        "h1": "CivicMap API reference",
        "h1_in_main": True,
    }
    assert left == []
    # Redoc 2 asks a CDN for the Redocly logo of its side menu; the page's policy refuses it
    # before any request is made, and that refusal is the only error.
    assert all("cdn.redoc.ly" in text for text in refused)
    assert [e for e in desktop.console.errors if "cdn.redoc.ly" not in e] == []
