"""Real clients against a real `civicmap serve`: GDAL's OAPIF driver (`ogrinfo`, `ogr2ogr`)
lists and reads every OGC API collection in full, and an Open311 client posts a request and
reads it back in XML, on both backends."""

from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Iterator

import pyogrio
import pytest

from mapping.settings import Settings
from tests.live import Server, ServerFactory
from tests.rows import insert_fake

RESOLUTIONS = (5, 7)
GDAL_TIMEOUT_S = 120

pytestmark = pytest.mark.skipif(
    shutil.which("ogrinfo") is None or shutil.which("ogr2ogr") is None,
    reason="needs GDAL's ogrinfo and ogr2ogr (Debian's gdal-bin)",
)


@pytest.fixture(scope="module")
def server(database_url, engine, ghana_regions, tmp_path_factory) -> Iterator[Server]:  # type: ignore[no-untyped-def]
    insert_fake(engine, 240, seed=3)  # 24 pages as GDAL reads them (10 a page)
    env = {"CIVICMAP_OGC_HEX_RESOLUTIONS": ",".join(map(str, RESOLUTIONS))}
    factory = ServerFactory(database_url, tmp_path_factory.mktemp("live"), env=env)
    try:
        yield factory.start()
    finally:
        factory.cleanup()


def _expected_counts(server: Server) -> dict[str, int]:
    """What the JSON API says each collection holds, as the public sees it."""
    with server.client() as client:
        counts = {
            "reports": client.get("/api/v1/reports", params={"format": "geojson"}).json()[
                "numberReturned"
            ],
            "areas": len(client.get("/api/v1/areas").json()["features"]),
        }
        for r in RESOLUTIONS:
            page = client.get("/api/v1/aggregates/hexes", params={"resolution": r}).json()
            counts[f"hexes-r{r}"] = page["numberReturned"]
    return counts


def test_ogrinfo_lists_every_collection_with_its_count(server):
    result = subprocess.run(
        ["ogrinfo", "-ro", "-al", "-so", f"OAPIF:{server.base_url}/ogc"],
        capture_output=True,
        text=True,
        timeout=GDAL_TIMEOUT_S,
        check=True,
    )
    layers = dict(re.findall(r"Layer name: (\S+)\n(?:.*\n)*?Feature Count: (\d+)", result.stdout))
    expected = _expected_counts(server)
    assert {name: int(n) for name, n in layers.items()} == expected
    assert expected["reports"] >= 240 and expected["areas"] == 16


@pytest.mark.parametrize("collection", ["reports", "areas", *(f"hexes-r{r}" for r in RESOLUTIONS)])
def test_ogr2ogr_reads_every_collection_in_full(server, collection, tmp_path):
    out = tmp_path / f"{collection}.gpkg"
    subprocess.run(
        ["ogr2ogr", "-f", "GPKG", str(out), f"OAPIF:{server.base_url}/ogc", collection],
        capture_output=True,
        timeout=GDAL_TIMEOUT_S,
        check=True,
    )
    info = pyogrio.read_info(out, layer=collection)
    assert info["features"] == _expected_counts(server)[collection]
    frame = pyogrio.read_dataframe(out, layer=collection)
    assert frame["id"].is_unique
    if collection == "reports":
        # Nested members arrive whole (GDAL keeps them as JSON), on every page.
        assert frame["attributes"].notna().all()
        assert "location_generalised_to" in frame.columns


def test_an_open311_client_posts_a_request_and_reads_it_back(server):
    base = "/open311/v2"
    with server.client() as client:
        services = ET.fromstring(client.get(f"{base}/services.xml").content)
        codes = [s.findtext("service_code") for s in services.findall("service")]
        assert "hotspot-sanitation" in codes and "service-sanitation" in codes
        definition = ET.fromstring(client.get(f"{base}/services/hotspot-sanitation.xml").content)
        required = [
            a.findtext("code")
            for a in definition.findall("attributes/attribute")
            if a.findtext("required") == "true"
        ]
        assert required == ["severity"]
        posted = client.post(
            f"{base}/requests.xml",
            data={
                "service_code": "hotspot-sanitation",
                "lat": "5.55",
                "long": "-0.21",
                "description": "Open drain overflowing",
                "attribute[severity]": "3",
            },
        )
        assert posted.status_code == 201, posted.text
        created = ET.fromstring(posted.content)
        request_id = created.findtext("request/service_request_id")
        token = created.findtext("request/token")
        read = ET.fromstring(client.get(f"{base}/requests/{request_id}.xml").content)
        assert read.findtext("request/service_code") == "hotspot-sanitation"
        assert read.findtext("request/status") == "open"
        assert read.findtext("request/description") == "Open drain overflowing"
        tokens = client.get(f"{base}/tokens/{token}.json").json()
        assert tokens[0]["service_request_id"] == request_id
        listed = client.get(f"{base}/requests.json", params={"service_request_id": request_id})
        assert [r["service_request_id"] for r in listed.json()] == [request_id]


def test_the_resolutions_setting_is_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("CIVICMAP_OGC_HEX_RESOLUTIONS", "8, 5")
    assert Settings(_env_file=None).ogc_hex_resolutions == [5, 8]  # type: ignore[call-arg]
