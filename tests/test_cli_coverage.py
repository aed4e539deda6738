"""`civicmap facilities import` and `civicmap population import` on both backends, with the
shared real data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from api.cli import main
from mapping.storage.tables import facilities, population

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture(scope="module")
def run(database_url, engine):  # type: ignore[no-untyped-def]
    runner = CliRunner()

    def invoke(*args: str):  # type: ignore[no-untyped-def]
        result = runner.invoke(
            main, list(args), env={"CIVICMAP_DATABASE_URL": database_url}, catch_exceptions=False
        )
        assert result.exit_code == 0, result.output
        return result

    run_areas = ("areas", "import", str(SHARED / "geoboundaries_gha_adm1_simplified.geojson"))
    invoke(*run_areas, "--level", "1")
    return invoke


def test_the_ghana_list_imports_with_every_row_accounted_for(run, engine, tmp_path):
    out = tmp_path / "rows.csv"
    csv = str(SHARED / "ghana_health_facilities.csv")
    result = run("facilities", "import", csv, "--report", str(out))
    assert (
        "3756 rows: 3732 facilities stored as list 'ghana-health-facilities', 24 refused"
        in result.output
    )
    assert "type 'CPHS' read as 'CHPS' (1 rows)" in result.output
    assert "1069 rows share their position with another (216 positions); kept" in result.output
    lines = out.read_text().splitlines()
    assert len(lines) == 1 + 24 + 1069
    again = run("facilities", "import", csv)  # the same list again replaces it
    assert "3732 facilities stored" in again.output
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(facilities.c.area_1, facilities.c.type).where(
                facilities.c.source == "ghana-health-facilities"
            )
        ).all()
    assert len(rows) == 3732
    assert sum(a is not None for a, _ in rows) > 3700  # placed in the new regions
    assert {t for _, t in rows} >= {"CHPS", "Clinic", "Hospital"}


def test_a_bad_column_is_named_not_a_traceback(run, database_url):
    result = CliRunner().invoke(
        main,
        [
            "facilities",
            "import",
            str(SHARED / "ghana_health_facilities.csv"),
            "--name-column",
            "Nom",
        ],
        env={"CIVICMAP_DATABASE_URL": database_url},
    )
    assert result.exit_code != 0 and "Columns not found: name ('Nom')" in result.output


def test_populated_places_import_as_points(run, engine):
    places = SHARED / "ne_10m_populated_places_west_africa.geojson"
    result = run("population", "import", str(places), "--field", "POP_MAX")
    total = sum(f["properties"]["POP_MAX"] for f in json.loads(places.read_text())["features"])
    assert f"population {total:,.0f}" in result.output
    with engine.connect() as conn:
        stored = conn.execute(sa.select(sa.func.sum(population.c.population))).scalar_one()
    assert stored == pytest.approx(total)
