"""`civicmap facilities import` and `civicmap population import` on both backends, with the
shared real data."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import h3
import pandas as pd
import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from pyproj import CRS, Transformer

from api.cli import main
from mapping.analysis.census import name_key
from mapping.storage.tables import facilities, population
from tests.data import (
    CENSUS_2021_REGIONS,
    GHANA_ADM1,
    GHANA_ADM2,
    GHANA_HEALTH_FACILITIES,
    GHANA_TIERS,
    WEST_AFRICA_PLACES,
    WORLDPOP_GHANA,
)


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
        stored = conn.execute(
            sa.select(sa.func.sum(population.c.population)).where(
                population.c.source == "ne-10m-populated-places-west-africa"
            )
        ).scalar_one()
    assert stored == pytest.approx(total)


def _raster_sum(path: Path) -> float:
    """The raster's own sum, read in a process of its own (rasterio beside SpatiaLite in one
    process can crash, see mapping.analysis.population.read_raster)."""
    code = (
        "import rasterio, sys\n"
        f"with rasterio.open({str(path)!r}) as r:\n"
        "    print(repr(float(r.read(1, masked=True).astype('float64').sum())))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(done.stdout)


def _layer(engine, source: str) -> dict[int, float]:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(population.c.h3, population.c.population).where(population.c.source == source)
        ).all()
    return {int(c): float(p) for c, p in rows}


def test_a_population_grid_sums_into_cells_keeping_its_total(run, engine):
    result = run("population", "import", str(WORLDPOP_GHANA), "--source", "grid")
    assert "278,001 pixels with people, population 31,072,945" in result.output
    cells = _layer(engine, "grid")
    assert sum(cells.values()) == pytest.approx(_raster_sum(WORLDPOP_GHANA), rel=1e-12)
    assert {h3.get_resolution(h3.int_to_str(c)) for c in cells} == {8}


def test_a_grid_in_a_projected_crs_lands_where_its_pixels_are(run, engine, tmp_path):
    # Six 1 km pixels in UTM zone 30N near Kumasi: one nodata, one below 0, one of 0.
    grid = tmp_path / "utm.asc"
    grid.write_text(
        "ncols 3\nnrows 2\nxllcorner 650000\nyllcorner 740000\ncellsize 1000\n"
        "NODATA_value -9999\n10 20 0\n-9999 40 -5\n"
    )
    grid.with_suffix(".prj").write_text(CRS.from_epsg(32630).to_wkt(version="WKT1_ESRI"))
    result = run("population", "import", str(grid), "--source", "utm", "--resolution", "9")
    assert "pixels with people, population 70" in result.output
    to_wgs84 = Transformer.from_crs(32630, 4326, always_xy=True)
    expected: dict[int, float] = {}
    for row, col, value in ((0, 0, 10), (0, 1, 20), (0, 2, 0), (1, 1, 40)):
        for i in range(3):
            for j in range(3):
                x = 650000 + 1000 * (col + (j + 0.5) / 3)
                y = 742000 - 1000 * (row + (i + 0.5) / 3)
                lon, lat = to_wgs84.transform(x, y)
                cell = h3.str_to_int(h3.latlng_to_cell(lat, lon, 9))
                expected[cell] = expected.get(cell, 0.0) + value / 9
    got = _layer(engine, "utm")
    assert got.keys() == expected.keys()
    for cell, value in expected.items():
        assert got[cell] == pytest.approx(value)
    # The pixel of 0 is known to be empty: its cells are stored, with no one in them.
    assert sum(1 for v in got.values() if v == 0) >= 1


def test_raking_scales_each_region_to_its_census_count(run, engine, client):
    result = run(
        "population", "import", str(WORLDPOP_GHANA), "--source", "raked", "--year", "2021",
        "--rake-to", str(CENSUS_2021_REGIONS), "--rake-level", "1",
    )  # fmt: skip
    census = {
        name_key(r["region"]): int(r["population_2021"])
        for r in csv.DictReader(CENSUS_2021_REGIONS.open())
    }
    # Each cell to the region holding its centre (or the nearest one, within 0.05 degrees),
    # by geopandas, not by the code under test.
    cells = _layer(engine, "raked")
    lat, lon = zip(*(h3.cell_to_latlng(h3.int_to_str(c)) for c in cells), strict=True)
    points = gpd.GeoDataFrame(
        {"people": list(cells.values())}, geometry=gpd.points_from_xy(lon, lat), crs=4326
    )
    regions = gpd.read_file(GHANA_ADM1)[["shapeName", "geometry"]]
    inside = gpd.sjoin(points, regions, predicate="within", how="left")
    inside = inside[~inside.index.duplicated()]
    rim = inside["shapeName"].isna()
    near = gpd.sjoin_nearest(points[rim.to_numpy()], regions, max_distance=0.05)
    inside.loc[near.index, "shapeName"] = near["shapeName"]
    sums = inside.groupby(inside["shapeName"].map(name_key))["people"].sum()
    assert set(sums.index) == set(census)
    for region, count in census.items():
        assert sums[region] == pytest.approx(count, rel=1e-9), region
    assert re.search(r"GH-AH: times 0\.8[0-9]{2}", result.output)


def test_districts_take_their_region_by_where_they_lie(run, engine):
    result = run(
        "areas", "import", str(GHANA_ADM2), "--level", "2",
        "--code-field", "ADM2_PCODE", "--name-field", "ADM2_EN",
    )  # fmt: skip
    assert "parents found by location: 260 areas in 16 level-1 areas" in result.output
    with engine.connect() as conn:
        names = dict(conn.execute(sa.text("SELECT code, name FROM areas")).all())
        parents = dict(
            conn.execute(sa.text("SELECT code, parent FROM areas WHERE level = 2")).all()
        )
    districts = gpd.read_file(GHANA_ADM2)
    said = {"northern east": "north east"}  # OCHA's name for North East
    for code, region in zip(districts["ADM2_PCODE"], districts["ADM1_EN"], strict=True):
        want = said.get(name_key(region), name_key(region))
        assert name_key(names[parents[code]]) == want, code


def test_facilities_take_their_tier_by_name_within_their_region(run, engine, client):
    result = run("facilities", "import", str(GHANA_HEALTH_FACILITIES), "--tiers", str(GHANA_TIERS))
    assert "tiers: 274 facilities given one by 1475 rows" in result.output
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(facilities.c.name, facilities.c.tier).where(facilities.c.tier.is_not(None))
        ).all()
    tiers = dict(rows)
    assert len(rows) == 274 and set(tiers.values()) == {2, 3}
    assert tiers["Peace and Love Hospital"] == 2  # "Peace And Love Hospital" in the tier list
    # Coverage by tier measures to those facilities only, and says so.
    params = {"category": "health_facility", "resolution": 6, "max_distance_m": 5000}
    page = client.get("/api/v1/coverage", params={**params, "area": "GH-AH", "tier": 2})
    assert page.status_code == 200, page.text
    assert page.json()["summary"]["service_points"] == sum(1 for _, t in rows if t == 2)
    assert "tier 2" in page.json()["metadata"]["method"]
    refused = client.get("/api/v1/coverage", params={**params, "tier": 0})
    assert refused.status_code == 400 and "tier" in refused.text


def test_people_out_of_reach_match_a_geopandas_count(run, engine, client):
    """Upper East at resolution 8: the people more than 5 km from a facility of the register,
    against geopandas' sjoin_nearest in UTM 30N on the same hexagons and population cells."""
    run("facilities", "import", str(GHANA_HEALTH_FACILITIES))
    params = {"category": "health_facility", "resolution": 8, "max_distance_m": 5000,
              "area": "GH-UE", "source": "facilities"}  # fmt: skip
    page = client.get("/api/v1/coverage", params=params).json()
    summary = page["summary"]
    layer = _layer(engine, summary["population"]["layer"])
    people: dict[str, float] = {}
    for cell, count in layer.items():
        parent = h3.cell_to_parent(h3.int_to_str(cell), 8)
        people[parent] = people.get(parent, 0.0) + count
    cells = [f["properties"]["h3"] for f in page["features"]]
    lat, lon = zip(*(h3.cell_to_latlng(c) for c in cells), strict=True)
    hexes = gpd.GeoDataFrame(
        {"people": [people.get(c, 0.0) for c in cells]},
        geometry=gpd.points_from_xy(lon, lat),
        crs=4326,
    ).to_crs(32630)
    listed = pd.read_csv(GHANA_HEALTH_FACILITIES).dropna(subset=["Longitude", "Latitude"])
    register = gpd.GeoDataFrame(
        geometry=gpd.points_from_xy(listed["Longitude"], listed["Latitude"]), crs=4326
    ).to_crs(32630)
    joined = gpd.sjoin_nearest(hexes, register, distance_col="d")
    nearest = joined.groupby(level=0)["d"].first()
    beyond = float(hexes["people"][nearest > 5000].sum())
    assert summary["people"] == round(hexes["people"].sum())
    # Apart only where a hexagon lies within UTM's scale error (and the sphere's) of 5 km.
    assert summary["people_out_of_reach"] == pytest.approx(beyond, rel=0.01)
    assert beyond > 100_000  # a real gap, not an empty comparison


def test_a_grid_with_no_one_in_it_is_refused(database_url, tmp_path):
    grid = tmp_path / "empty.asc"
    grid.write_text(
        "ncols 2\nnrows 1\nxllcorner 650000\nyllcorner 740000\ncellsize 1000\n"
        "NODATA_value -9999\n-9999 -9999\n"
    )
    grid.with_suffix(".prj").write_text(CRS.from_epsg(32630).to_wkt(version="WKT1_ESRI"))
    result = CliRunner().invoke(
        main,
        ["population", "import", str(grid)],
        env={"CIVICMAP_DATABASE_URL": database_url},
    )
    assert result.exit_code != 0 and "places no one" in result.output
