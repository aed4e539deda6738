"""`civicmap facilities import` and `civicmap population import` on both backends, with the
shared real data."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from api.cli import main
from mapping.storage.tables import facilities, population
from tests.data import GHANA_ADM1, GHANA_HEALTH_FACILITIES, WEST_AFRICA_PLACES


@pytest.fixture(scope="module")
def run(database_url, engine):  # type: ignore[no-untyped-def]
    runner = CliRunner()

    def invoke(*args: str):  # type: ignore[no-untyped-def]
        result = runner.invoke(
            main, list(args), env={"CIVICMAP_DATABASE_URL": database_url}, catch_exceptions=False
        )
        assert result.exit_code == 0, result.output
        return result

    run_areas = ("areas", "import", str(GHANA_ADM1))
    invoke(*run_areas, "--level", "1")
    return invoke


def test_the_ghana_list_imports_with_every_row_accounted_for(run, engine, tmp_path):
    out = tmp_path / "rows.csv"
    csv = str(GHANA_HEALTH_FACILITIES)
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
            str(GHANA_HEALTH_FACILITIES),
            "--name-column",
            "Nom",
        ],
        env={"CIVICMAP_DATABASE_URL": database_url},
    )
    assert result.exit_code != 0 and "Columns not found: name ('Nom')" in result.output


def test_populated_places_import_as_points(run, engine):
    result = run("population", "import", str(WEST_AFRICA_PLACES), "--field", "POP_MAX")
    features = json.loads(WEST_AFRICA_PLACES.read_text())["features"]
    total = sum(f["properties"]["POP_MAX"] for f in features)
    assert f"population {total:,.0f}" in result.output
    with engine.connect() as conn:
        stored = conn.execute(sa.select(sa.func.sum(population.c.population))).scalar_one()
    assert stored == pytest.approx(total)
