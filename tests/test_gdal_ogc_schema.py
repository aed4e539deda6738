"""GDAL's OAPIF driver types every field from the collection's `describedBy` schema, so a
hexagon indicator whose first page is all nulls is still a Real, and `ogrinfo -where` compares
numbers as numbers; on both backends, against a real `civicmap serve`."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator

import pytest

from tests.conftest import make_report
from tests.live import Server, ServerFactory
from tests.rows import insert_fake

RESOLUTION = 9  # fine enough that most hexagons hold too few reports for an indicator
GDAL_TIMEOUT_S = 120

pytestmark = pytest.mark.skipif(
    shutil.which("ogrinfo") is None, reason="needs GDAL's ogrinfo (Debian's gdal-bin)"
)


@pytest.fixture(scope="module")
def server(database_url, engine, ghana_regions, tmp_path_factory) -> Iterator[Server]:  # type: ignore[no-untyped-def]
    insert_fake(engine, 120, seed=5)
    env = {"CIVICMAP_OGC_HEX_RESOLUTIONS": str(RESOLUTION)}
    factory = ServerFactory(database_url, tmp_path_factory.mktemp("live"), env=env)
    try:
        server = factory.start()
        with server.client() as client:
            # One hexagon with enough rated services for its satisfaction indicators.
            for satisfaction in (1, 2, 3, 4, 4, 4):
                attributes = {"name": "Ridge clinic", "status": "operational"}
                attributes["satisfaction"] = satisfaction
                report = make_report("service", lon=-0.1969, lat=5.5600, attributes=attributes)
                assert client.post("/api/v1/reports", json=report).status_code == 201
        yield server
    finally:
        factory.cleanup()


def _ogrinfo(server: Server, layer: str, *args: str) -> str:
    result = subprocess.run(
        ["ogrinfo", "-ro", "-so", *args, f"OAPIF:{server.base_url}/ogc", layer],
        capture_output=True,
        text=True,
        timeout=GDAL_TIMEOUT_S,
        check=True,
    )
    return result.stdout


def _fields(summary: str) -> dict[str, str]:
    """Field name to OGR type (`Integer(Boolean)` for a boolean), from `ogrinfo -so`."""
    return dict(re.findall(r"^(\w+): (\w+(?:\(\w+\))?) \(", summary, flags=re.MULTILINE))


def test_hexagon_indicators_and_report_times_come_typed(server):
    hexes = _fields(_ogrinfo(server, f"hexes-r{RESOLUTION}"))
    for name in ("items_per_100m", "satisfied_share", "mean_satisfaction", "mean_severity"):
        assert hexes[name] == "Real", (name, hexes)
    for name in ("reports", "rated", "items", "people_affected", "resolution"):
        assert hexes[name] == "Integer", (name, hexes)
    reports = _fields(_ogrinfo(server, "reports"))
    assert reports["observed_at"] == "DateTime" and reports["received_at"] == "DateTime"
    assert reports["kind"] == "String" and reports["sensitive"] == "Integer(Boolean)"


def test_ogrinfo_where_compares_indicators_as_numbers(server):
    with server.client() as client:
        page = client.get(f"/ogc/collections/hexes-r{RESOLUTION}/items", params={"limit": 10000})
        hexes = page.json()["features"]
    values = [f["properties"]["mean_satisfaction"] for f in hexes]
    assert None in values and any(v is not None for v in values)
    expected = sum(1 for v in values if v is not None and v >= 2.5)
    summary = _ogrinfo(server, f"hexes-r{RESOLUTION}", "-where", "mean_satisfaction >= 2.5")
    assert int(re.search(r"Feature Count: (\d+)", summary)[1]) == expected  # type: ignore[index]
