"""The pages over HTTP, without a browser: status, escaping, no CDN, the service worker."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from tests.conftest import make_report
from web.templating import vendor_missing

PAGES = ["/", "/map", "/report", "/reports/00000000-0000-0000-0000-000000000000?receipt=x"]


@pytest.mark.parametrize("path", PAGES)
def test_pages_are_html(client: TestClient, path: str) -> None:
    answer = client.get(path)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    assert '<html lang="en">' in answer.text


def test_no_page_loads_anything_from_another_site(client: TestClient) -> None:
    for path in PAGES:
        html = client.get(path).text
        # The only absolute URLs allowed are the background tiles and attribution links.
        sources = re.findall(r'(?:src|href)="(https?://[^"]+)"', html)
        assert sources == [], (path, sources)
    assert "cdn" not in client.get("/map").text.lower()


def test_the_map_page_carries_the_tile_setting_and_the_analyses(client: TestClient) -> None:
    html = client.get("/map").text
    assert "tile.openstreetmap.org" in html
    assert '"analyses":' in html


def test_an_unknown_area_is_a_page_that_says_so(client: TestClient) -> None:
    answer = client.get("/areas/NO-SUCH-AREA")
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("text/html")
    assert "There is no area NO-SUCH-AREA here" in answer.text


def test_the_receipt_page_keeps_its_link_to_itself(client: TestClient) -> None:
    answer = client.get("/reports/abc?receipt=secret")
    assert answer.headers["referrer-policy"] == "no-referrer"
    assert answer.headers["cache-control"] == "no-store"
    # The id goes into the page escaped.
    attack = client.get('/reports/"><script>alert(1)</script>').text
    assert "<script>alert(1)</script>" not in attack


def test_the_service_worker_lists_only_our_files(client: TestClient) -> None:
    answer = client.get("/sw.js")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/javascript")
    assets = re.findall(r'"(/static/[^"]+)"', answer.text)
    assert "/static/vendor/leaflet/images/marker-icon.png" in assets
    if not vendor_missing():
        for asset in assets:
            assert client.get(asset).status_code == 200, asset


def test_landing_counts_are_live(client: TestClient) -> None:
    before = client.get("/").text
    for _ in range(6):
        assert client.post("/api/v1/reports", json=make_report("litter")).status_code == 201
    after = client.get("/").text
    assert before != after
    count = re.search(r'data-count="litter">([^<]+)<', after)
    assert count is not None and count.group(1).strip().replace(",", "").isdigit()


def test_an_area_without_surveys_says_so_rather_than_suppressed(
    client: TestClient, ghana_regions
) -> None:  # type: ignore[no-untyped-def]
    html = client.get("/areas/GH-UE").text
    litter = html[html.index('id="litter-h"') : html.index('id="about-h"')]
    assert "No beach-litter surveys here." in litter
    assert "suppressed" not in litter
    # Without a register or a population layer, the scorecard says nothing of reach.
    assert "Within reach of a health facility" not in html
