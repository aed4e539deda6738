"""The command line on both backends: areas import, download and assign; reports import; demo."""

from __future__ import annotations

import csv
import functools
import http.server
import json
import threading
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from api.cli import main
from mapping.reports import ingest
from mapping.reports.rows import Limits
from mapping.storage.tables import effort_visits, facilities, reports
from tests.conftest import make_report
from tests.data import CENSUS_2021_REGIONS, GHANA_ADM1, GHANA_HEALTH_FACILITIES, SHARED_DATA


@pytest.fixture(scope="module")
def run(database_url, engine):  # type: ignore[no-untyped-def]
    runner = CliRunner()

    def invoke(*args: str):  # type: ignore[no-untyped-def]
        result = runner.invoke(
            main, list(args), env={"CIVICMAP_DATABASE_URL": database_url}, catch_exceptions=False
        )
        return result

    return invoke


def _areas_of(engine, campaign: str) -> list[str | None]:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        query = sa.select(reports.c.area_1).where(reports.c.campaign == campaign)
        return list(conn.scalars(query.order_by(reports.c.seq)))


def test_assign_places_reports_stored_before_the_areas(run, engine):
    before = [
        make_report(lon=-0.187, lat=5.6037, campaign="early"),
        make_report(lon=-0.8393, lat=9.4075, campaign="early"),
        make_report(lon=-20.0, lat=30.0, campaign="early"),
    ]
    ingest.submit_batch(engine, {"type": "FeatureCollection", "features": before}, limits=Limits())
    assert _areas_of(engine, "early") == [None, None, None]
    result = run("areas", "import", str(GHANA_ADM1), "--level", "1")
    assert result.exit_code == 0, result.output
    assert "16 areas of level 1 stored" in result.output
    assert "civicmap areas assign" in result.output
    result = run("areas", "assign")
    assert result.exit_code == 0, result.output
    assert _areas_of(engine, "early") == ["GH-AA", "GH-NP", None]
    with engine.connect() as conn:
        flags = conn.scalars(
            sa.select(reports.c.quality)
            .where(reports.c.campaign == "early")
            .order_by(reports.c.seq)
        ).all()
    assert [("outside_areas" in f) for f in flags] == [False, False, True]


def test_importing_a_file_with_duplicate_codes_is_refused_by_name(run, tmp_path):
    data = json.loads(GHANA_ADM1.read_text())
    data["features"][1]["properties"]["shapeISO"] = data["features"][0]["properties"]["shapeISO"]
    data["features"][1]["properties"]["shapeID"] = data["features"][0]["properties"]["shapeID"]
    path = tmp_path / "dup.geojson"
    path.write_text(json.dumps(data))
    result = run("areas", "import", str(path), "--level", "1", "--code-field", "shapeISO")
    assert result.exit_code == 1
    assert data["features"][0]["properties"]["shapeISO"] in result.output


@pytest.fixture
def geoboundaries_server() -> Iterator[str]:
    """A local stand-in for the geoBoundaries API, serving the shared Ghana ADM1 file."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(SHARED_DATA))

    class Handler(handler.func):  # type: ignore[name-defined,misc]
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            if self.path.rstrip("/") == "/api/GHA/ADM1":
                port = self.server.server_address[1]
                body = json.dumps(
                    {
                        "boundaryISO": "GHA",
                        "boundaryType": "ADM1",
                        "boundaryLicense": "CC BY 4.0",
                        "boundarySource": "test stand-in",
                        "gjDownloadURL": f"http://127.0.0.1:{port}/{GHANA_ADM1.name}",
                    }
                ).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.end_headers()
                self.wfile.write(body)
            elif self.path.startswith("/api/"):
                self.send_error(404)
            else:
                super().do_GET()

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Handler, directory=str(SHARED_DATA))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/api"
    server.shutdown()


def test_download_from_geoboundaries_then_import(run, tmp_path, geoboundaries_server, monkeypatch):
    monkeypatch.setenv("CIVICMAP_GEOBOUNDARIES_URL", geoboundaries_server)
    result = run("areas", "download", "gha", "--level", "1", "--folder", str(tmp_path))
    assert result.exit_code == 0, result.output
    saved = tmp_path / "geoBoundaries-GHA-ADM1.geojson"
    assert saved.read_bytes() == GHANA_ADM1.read_bytes()
    assert json.loads(saved.with_suffix(".source.json").read_text())["boundaryLicense"]
    assert "16 areas of level 1 stored" in result.output
    missing = run("areas", "download", "TGO", "--level", "1", "--folder", str(tmp_path))
    assert missing.exit_code == 1 and "404" in missing.output


def test_download_offline_fails_with_a_clear_message(run, tmp_path, monkeypatch):
    monkeypatch.setenv("CIVICMAP_GEOBOUNDARIES_URL", "http://127.0.0.1:9/api")
    result = run("areas", "download", "GHA", "--level", "1", "--folder", str(tmp_path))
    assert result.exit_code == 1
    assert "Cannot reach" in result.output and "civicmap areas import" in result.output
    assert "Traceback" not in result.output
    assert not list(tmp_path.iterdir())


FACILITIES_IMPORT = (
    "reports", "import", str(GHANA_HEALTH_FACILITIES), "--kind", "service",
    "--category", "health_facility", "--lon", "Longitude", "--lat", "Latitude",
    "--observed-at", "2016-02-05T00:00:00Z", "--attribute", "name=FacilityName",
    "--campaign", "gh-facilities",
)  # fmt: skip


def test_facility_csv_import_reports_rows_without_coordinates(run, engine, tmp_path):
    out = tmp_path / "outcome.csv"
    result = run(*FACILITIES_IMPORT, "--report", str(out))
    assert result.exit_code == 0, result.output
    assert "3756 rows:" in result.output and "24 refused" in result.output
    assert result.output.count("no coordinates") == 24
    lines = out.read_text().splitlines()
    assert len(lines) == 3757
    with engine.connect() as conn:
        stored = conn.scalar(
            sa.select(sa.func.count()).where(reports.c.campaign == "gh-facilities")
        )
    created = int(result.output.split(" created")[0].split()[-1])
    assert stored == created > 3600
    again = run(*FACILITIES_IMPORT)
    assert " 0 created" in again.output


def test_demo_fills_a_labelled_campaign_inside_real_areas(run, engine, client):
    result = run("demo", "--count", "300", "--facilities", str(GHANA_HEALTH_FACILITIES))
    assert result.exit_code == 0, result.output
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(reports.c.kind, reports.c.description, reports.c.area_1).where(
                reports.c.campaign == "demo"
            )
        ).all()
        title = conn.exec_driver_sql("SELECT title FROM campaigns WHERE slug = 'demo'").scalar()
    # 300 synthetic reports, and 30 synthetic visits to facilities of the register.
    assert len(rows) == 330
    assert {kind for kind, _, _ in rows} == {"service", "litter", "hotspot"}
    assert all(d.startswith("Demo data (synthetic)") for _, d, _ in rows)
    # Synthetic reports lie inside the regions (a few real facilities lie outside them).
    assert [d for _, d, area in rows if area is None and "register" not in d] == []
    assert "synthetic" in title
    # Observer visits too, so the map can tell "looked, found nothing" from "never looked".
    with engine.connect() as conn:
        visits = conn.execute(
            sa.select(effort_visits.c.kind, effort_visits.c.campaign, effort_visits.c.geometry)
        ).all()
    assert len(visits) == 30 and {c for _, c, _ in visits} == {"demo"}
    walks = [g for k, _, g in visits if k == "litter"]
    assert walks and all(g["type"] == "LineString" for g in walks)
    hexes = client.get("/api/v1/aggregates/hexes?resolution=6&campaign=demo").json()["features"]
    looked_found_nothing = [
        h["properties"]
        for h in hexes
        if h["properties"]["reports"] == 0
        and (h["properties"]["effort"] or h["properties"]["effort_suppressed"])
    ]
    assert looked_found_nothing
    _the_register_and_population_stand_apart(engine, client)
    # A market price survey asked with an XLSForm, with synthetic responses saying so.
    responses = client.get(
        "/api/v1/forms/demo_market_prices/responses", params={"limit": 1000}
    ).json()["features"]
    assert len(responses) == 20
    assert all(
        r["properties"]["answers"]["note"].startswith("Demo data (synthetic)") for r in responses
    )
    again = run("demo", "--count", "300")
    assert "0 synthetic market price responses stored" in again.output
    assert "0 synthetic demo reports stored" in again.output
    assert "0 synthetic observer visits stored" in again.output
    assert "0 synthetic visits to register facilities" in again.output
    assert "population layer 'worldpop-2020' already imported" in again.output


def _the_register_and_population_stand_apart(engine, client) -> None:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        # No government record is stored as a citizen report...
        official = conn.scalar(
            sa.select(sa.func.count()).where(
                sa.or_(
                    reports.c.source == "ghana-health-facilities",
                    reports.c.campaign == "ghana-health-facilities-2016",
                )
            )
        )
        register = conn.scalar(sa.select(sa.func.count()).select_from(facilities))
        districts = (
            conn.execute(sa.text("SELECT parent FROM areas WHERE level = 2")).scalars().all()
        )
    assert official == 0
    # ...the list is the register,
    assert register == 3732
    # the 260 districts lie under the 16 regions, found by where they lie,
    assert len(districts) == 260 and len(set(districts)) == 16 and None not in districts
    # and people are WorldPop's grid raked to the 2021 census of the regions.
    census = sum(int(r["population_2021"]) for r in csv.DictReader(CENSUS_2021_REGIONS.open()))
    summary = client.get(
        "/api/v1/coverage/areas",
        params={"level": 1, "category": "health_facility", "resolution": 6, "max_distance_m": 5000},
    ).json()["summary"]
    assert summary["demand_kind"] == "population"
    layer = summary["population"]
    assert layer["total"] == census == 30_832_019
    assert layer["raked_to"]["read_total"] == 31_072_945
    # WorldPop puts Ashanti about 17% too high: raking scales it down.
    assert 0.8 < layer["raked_to"]["factors"]["GH-AH"] < 0.9
    # The synthetic visits give the register check something to show.
    checked = client.get("/api/v1/facilities").json()["summary"]
    assert checked["facilities"] == 3732 and checked["confirmed"] > 0


def test_keys_are_printed_once_stored_hashed_and_revocable(run, engine, client):
    made = run("keys", "create", "--role", "moderator", "--name", "Accra moderators")
    assert made.exit_code == 0, made.output
    key = made.stdout.strip().splitlines()[0]
    assert key.startswith("cm_") and len(key) > 40
    with engine.connect() as conn:
        stored = conn.exec_driver_sql("SELECT key_hash, prefix FROM api_keys").all()
    assert key not in {h for h, _ in stored} and key[:11] in {p for _, p in stored}
    listed = run("keys", "list")
    assert "Accra moderators" in listed.output and key not in listed.output
    headers = {"Authorization": f"Bearer {key}"}
    assert client.get("/api/v1/reports?status=hidden", headers=headers).status_code == 200
    assert run("keys", "revoke", key[:11]).exit_code == 0
    assert client.get("/api/v1/reports", headers=headers).status_code == 401
    assert run("keys", "revoke", key[:11]).exit_code == 1
    bad = run("keys", "create", "--role", "king", "--name", "x")
    assert bad.exit_code == 2
