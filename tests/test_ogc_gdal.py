"""GDAL's OAPIF driver against a real `civicmap serve`, where Ghana makes it stumble: box edges
near the Greenwich meridian (which GDAL writes with exponents), a box inside one hexagon, and
as a plain HTTP client: metres on request (GDAL 3.6 has no CRS option of its own), unknown
parameters refused."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import h3
import pyogrio
import pytest
import shapely

from tests.conftest import make_report
from tests.live import Server, ServerFactory
from tests.rows import insert_fake

RESOLUTIONS = (4, 7)
GDAL_TIMEOUT_S = 120
# Either side of 0 degrees, at Tema.
MERIDIAN = [(-0.01 + 0.0021 * i, 5.62 + 0.003 * (i % 5)) for i in range(10)]

pytestmark = pytest.mark.skipif(
    shutil.which("ogr2ogr") is None, reason="needs GDAL's ogr2ogr (Debian's gdal-bin)"
)


@pytest.fixture(scope="module")
def server(database_url, engine, ghana_regions, tmp_path_factory) -> Iterator[Server]:  # type: ignore[no-untyped-def]
    insert_fake(engine, 60, seed=5)
    env = {"CIVICMAP_OGC_HEX_RESOLUTIONS": ",".join(map(str, RESOLUTIONS))}
    factory = ServerFactory(database_url, tmp_path_factory.mktemp("gdal"), env=env)
    try:
        started = factory.start()
        with started.client() as client:
            for lon, lat in MERIDIAN:
                posted = client.post(
                    "/api/v1/reports", json=make_report("hotspot", lon=lon, lat=lat)
                )
                assert posted.status_code == 201, posted.text
        yield started
    finally:
        factory.cleanup()


def _copy(server: Server, collection: str, out: Path, *spat: float) -> list[str]:
    """The ids of the features `ogr2ogr -spat` copies from the collection."""
    subprocess.run(
        ["ogr2ogr", "-f", "GPKG", str(out), f"OAPIF:{server.base_url}/ogc", collection, "-spat"]
        + [str(v) for v in spat],
        capture_output=True,
        timeout=GDAL_TIMEOUT_S,
        check=True,
    )
    return list(pyogrio.read_dataframe(out, layer=collection)["id"])


def _meeting(server: Server, collection: str, box: tuple[float, ...]) -> set[str]:
    """The hexagons of the whole collection whose outline meets `box`."""
    with server.client() as client:
        every = client.get(f"/ogc/collections/{collection}/items", params={"limit": 10000})
    window = shapely.box(*box)
    return {
        f["id"]
        for f in every.json()["features"]
        if shapely.Polygon([(x, y) for y, x in h3.cell_to_boundary(f["id"])]).intersects(window)
    }


def test_ogr2ogr_spat_near_the_meridian_copies_the_hexagons_it_touches(server, tmp_path):
    box = (-0.12, 5.5, 0.00001, 5.7)  # GDAL asks for bbox=...,1.00000000000000008e-05,...
    copied = _copy(server, "hexes-r7", tmp_path / "r7.gpkg", *box)
    expected = _meeting(server, "hexes-r7", box)
    assert copied and sorted(copied) == sorted(expected)
    # Those straddling the meridian included.
    assert any(max(lon for _, lon in h3.cell_to_boundary(c)) > 0 for c in copied)


def test_ogr2ogr_spat_inside_one_hexagon_copies_it(server, tmp_path):
    assert _copy(server, "hexes-r4", tmp_path / "r4.gpkg", -0.25, 5.6, -0.24, 5.61) == [
        "8475769ffffffff"
    ]


def test_metres_on_request_and_unknown_parameters_refused(server):
    with server.client() as client:
        items = "/ogc/collections/reports/items"
        metres = client.get(items, params={"crs": "EPSG:3857", "bbox": "-0.011,5.619,-0.009,5.621"})
        assert metres.status_code == 200, metres.text
        assert metres.headers["content-crs"] == "<http://www.opengis.net/def/crs/EPSG/0/3857>"
        (x, y) = metres.json()["features"][0]["geometry"]["coordinates"]
        assert x == pytest.approx(-1113.2, abs=0.1) and y == pytest.approx(626621.1, abs=0.1)
        refused = client.get(items, params={"sortby": "observed_at"})
        assert refused.status_code == 400 and "'sortby'" in refused.json()["detail"]
        paged = client.get(items, params={"limit": 5, "offset": 5}).json()
        first = client.get(items, params={"limit": 10}).json()
        assert [f["id"] for f in paged["features"]] == [f["id"] for f in first["features"][5:]]
