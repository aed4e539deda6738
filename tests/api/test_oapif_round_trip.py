"""GDAL's OAPIF copy of our own `reports` (`ogr2ogr -f GPKG copy.gpkg OAPIF:.../ogc reports`),
imported back with the `civicmap` preset: every row comes back with its attributes (GDAL
holds the nested `attributes` member as JSON text), and a copy lacking them is refused row by
row, naming what is missing."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pyogrio
import pytest

from tests.conftest import count_reports
from tests.live import ServerFactory
from tests.rows import insert_fake

ROWS = 30
pytestmark = pytest.mark.skipif(shutil.which("ogr2ogr") is None, reason="needs GDAL's ogr2ogr")


@pytest.fixture(scope="module")
def copy(database_url, engine, tmp_path_factory) -> Iterator[Path]:  # type: ignore[no-untyped-def]
    insert_fake(engine, ROWS, seed=17)
    folder = tmp_path_factory.mktemp("oapif")
    factory = ServerFactory(database_url, folder)
    try:
        server = factory.start()
        out = folder / "copy.gpkg"
        subprocess.run(
            ["ogr2ogr", "-f", "GPKG", str(out), f"OAPIF:{server.base_url}/ogc", "reports"],
            check=True,
            timeout=120,
            capture_output=True,
        )
    finally:
        factory.cleanup()
    yield out


def _import(client, keys, content: bytes):  # type: ignore[no-untyped-def]
    response = client.post(
        "/api/v1/reports/import",
        files={"file": ("copy.gpkg", content)},
        data={"mapping": json.dumps({"preset": "civicmap"})},
        headers=keys["planner"],
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_the_copy_imports_back_with_every_attribute(client, keys, copy):
    originals = {
        f["properties"]["description"]: f["properties"]
        for f in client.get("/api/v1/reports", params={"limit": 1000}).json()["features"]
    }
    body = _import(client, keys, copy.read_bytes())
    assert (body["rows"], body["created"], body["refused"]) == (ROWS, ROWS, 0), body["results"]
    for result in body["results"]:
        stored = client.get(f"/api/v1/reports/{result['id']}").json()["properties"]
        original = originals[stored["description"]]
        assert (stored["kind"], stored["category"]) == (original["kind"], original["category"])
        assert stored["attributes"] == original["attributes"]
        assert _ms(stored["observed_at"]) == _ms(original["observed_at"])


def _ms(text: str) -> datetime:
    """A time to the nearest millisecond, as fine as GDAL holds a DateTime."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00")) + timedelta(microseconds=500)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def test_a_copy_without_attributes_names_what_each_row_lacks(client, keys, copy, engine, tmp_path):
    bare = tmp_path / "bare.gpkg"
    frame = pyogrio.read_dataframe(copy)
    pyogrio.write_dataframe(frame.drop(columns="attributes"), bare, layer="reports")
    before = count_reports(engine)
    body = _import(client, keys, bare.read_bytes())
    refused = [r for r in body["results"] if r["outcome"] == "rejected"]
    assert refused and body["created"] + body["refused"] + body.get("duplicates", 0) == ROWS
    assert all("attributes." in " ".join(r["reasons"]) for r in refused)
    assert count_reports(engine) - before == body["created"]
