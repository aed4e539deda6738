"""Coverage without a database: filling areas with cells, nearest distances, the published
summary and its suppression, facility lists and population spreading, against independent
computations (h3 directly, pyproj's geodesic on the WGS84 ellipsoid, pandas)."""

from __future__ import annotations

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod
from shapely.geometry import Point, box

from mapping import hexgrid
from mapping.analysis.coverage.answer import area_rows, summary_and_demand
from mapping.analysis.coverage.facilities import (
    FacilityColumns,
    facilities_from_frame,
    read_facilities,
)
from mapping.analysis.coverage.gaps import Coverage, Supply
from mapping.analysis.coverage.nearest import nearest_m
from mapping.analysis.population import population_cells
from mapping.analysis.studyarea import AreaGrid
from tests.data import GHANA_ADM1, GHANA_HEALTH_FACILITIES

GEOD = Geod(ellps="WGS84")
# A sphere of the mean radius (6371.0 km) against the WGS84 geodesic: north-south near the
# equator the meridian's radius of curvature is 6335.4 km, 0.56% less.
SPHERE_TOLERANCE = 0.006


def _h3_fill(polygon, resolution: int) -> set[int]:  # type: ignore[no-untyped-def]
    shape = h3.geo_to_h3shape(polygon)
    return {h3.str_to_int(c) for c in h3.h3shape_to_cells(shape, resolution)}


@pytest.mark.parametrize("resolution", [5, 6, 7])
def test_fill_gives_the_cells_h3_gives_for_every_region(resolution):
    regions = gpd.read_file(GHANA_ADM1)
    for polygon in regions.geometry:
        cells, lon, lat = hexgrid.fill(polygon, resolution)
        assert set(cells.tolist()) == _h3_fill(polygon, resolution)
        assert np.all(np.diff(cells.astype(np.int64)) > 0)  # sorted, no repeats
        # Centres as h3 gives them, lon first.
        for i in (0, len(cells) // 2, len(cells) - 1):
            want_lat, want_lon = h3.cell_to_latlng(h3.int_to_str(int(cells[i])))
            assert (lon[i], lat[i]) == pytest.approx((want_lon, want_lat), abs=1e-12)


def test_fill_around_a_pentagon():
    lat, lon = h3.cell_to_latlng(h3.get_pentagons(3)[2])
    area = box(lon - 2, lat - 2, lon + 2, lat + 2)
    for resolution in (4, 5):
        assert set(hexgrid.fill(area, resolution)[0].tolist()) == _h3_fill(area, resolution)


@given(
    lon=st.floats(-180, 180),
    lat=st.floats(-85, 85),
    coarse=st.integers(0, 12),
    step=st.integers(0, 3),
)
@settings(max_examples=200, deadline=None)
def test_children_by_bits_are_h3s_children(lon, lat, coarse, step):
    cell = h3.latlng_to_cell(lat, lon, coarse)
    fine = min(coarse + step, 15)
    got = hexgrid.children(np.array([h3.str_to_int(cell)], dtype=np.uint64), fine)
    assert set(got.tolist()) == {h3.str_to_int(c) for c in h3.cell_to_children(cell, fine)}


def test_children_of_pentagons():
    pentagons = np.array([h3.str_to_int(p) for p in h3.get_pentagons(2)], dtype=np.uint64)
    got = hexgrid.children(pentagons, 4)
    want = {h3.str_to_int(c) for p in h3.get_pentagons(2) for c in h3.cell_to_children(p, 4)}
    assert len(got) == len(want) and set(got.tolist()) == want


def _geodesic_min(lon, lat, to_lon, to_lat) -> np.ndarray:  # type: ignore[no-untyped-def]
    """The plain way: every pair, on the ellipsoid."""
    n, m = len(lon), len(to_lon)
    _, _, dist = GEOD.inv(
        np.repeat(lon, m), np.repeat(lat, m), np.tile(to_lon, n), np.tile(to_lat, n)
    )
    return dist.reshape(n, m).min(axis=1)


@pytest.mark.parametrize("spread", [0.05, 2.0, 60.0])
def test_nearest_distances_agree_with_geodesics(spread):
    rng = np.random.default_rng(int(spread * 100))
    lon, lat = rng.uniform(-3, 1, 400), rng.uniform(4.7, 11.2, 400)
    to_lon = rng.uniform(-3 - spread, 1 + spread, 60)
    to_lat = np.clip(rng.uniform(4.7 - spread, 11.2 + spread, 60), -89, 89)
    got, index = nearest_m(lon, lat, to_lon, to_lat)
    want = _geodesic_min(lon, lat, to_lon, to_lat)
    assert np.all(np.abs(got - want) <= SPHERE_TOLERANCE * want + 0.01)
    # The point named is the nearest (or as near, within the sphere's tolerance).
    _, _, named = GEOD.inv(lon, lat, to_lon[index], to_lat[index])
    assert np.all(named <= want * (1 + 2 * SPHERE_TOLERANCE) + 0.01)


def test_nearest_across_the_antimeridian_and_without_points():
    got, _ = nearest_m(np.array([179.99]), np.array([0.0]), np.array([-179.99]), np.array([0.0]))
    _, _, want = GEOD.inv(179.99, 0.0, -179.99, 0.0)
    assert got[0] == pytest.approx(want, rel=SPHERE_TOLERANCE)
    none, index = nearest_m(np.array([1.0]), np.array([2.0]), np.array([]), np.array([]))
    assert np.isnan(none[0]) and index[0] == -1


def _grid(cells: list[int], areas: list[int] | None = None, codes=("A",)) -> AreaGrid:  # type: ignore[no-untyped-def]
    array = np.array(sorted(cells), dtype=np.uint64)
    lon, lat = hexgrid.centres(array)
    area = np.array(areas if areas is not None else [0] * len(cells), dtype=np.int32)
    outlines = tuple(box(-180, -90, 180, 90) for _ in codes)
    return AreaGrid(7, array, lon, lat, area, tuple(codes), outlines)


def _coverage(demand: list[int], covered: list[bool], **kw) -> Coverage:  # type: ignore[no-untyped-def]
    disk = sorted(h3.str_to_int(c) for c in h3.grid_disk(h3.latlng_to_cell(6.0, -1.0, 7), 3))
    grid = _grid(disk[: len(demand)], **kw)
    return Coverage(
        grid=grid,
        distance_m=np.where(covered, 100.0, 9000.0),
        covered=np.array(covered),
        demand=np.array(demand),
        demand_kind="reports",
        supply=Supply(np.array([-1.0]), np.array([6.0]), ["a clinic"], ["list:1"], ["register"]),
        nearest=np.zeros(len(demand), dtype=np.int64),
        method="test",
    )


def _recoverable(total, parts, threshold) -> bool:  # type: ignore[no-untyped-def]
    if total is None:
        return False
    hidden = [p for p in parts if p is None]
    remainder = total - sum(p for p in parts if p is not None)
    return (bool(hidden) and 0 < remainder < threshold) or (len(hidden) == 1 and remainder > 0)


def test_demand_below_the_threshold_is_hidden_and_cannot_be_recovered():
    demand = [0, 3, 7, 2, 0, 9, 1, 12]
    covered = [True, True, True, False, False, False, True, False]
    summary, published = summary_and_demand(_coverage(demand, covered), threshold=5)
    assert published[0] == 0 and published[4] == 0  # zero is published as zero
    assert published[1] is None and published[3] is None and published[6] is None
    assert summary["demand"] == sum(demand)
    assert summary["hexes"] == 8 and summary["covered_hexes"] == 4
    assert summary["covered_share"] == 0.5 and summary["suppressed"] is True
    uncovered = [p for p, c in zip(published, covered, strict=True) if not c]
    covered_parts = [p for p, c in zip(published, covered, strict=True) if c]
    assert not _recoverable(summary["demand"], published, 5)
    assert not _recoverable(summary["demand_uncovered"], uncovered, 5)
    total, shown_uncovered = summary["demand"], summary["demand_uncovered"]
    covered_total = None if shown_uncovered is None else total - shown_uncovered
    assert not _recoverable(covered_total, covered_parts, 5)


def test_a_small_uncovered_total_is_hidden_with_its_complement():
    summary, published = summary_and_demand(
        _coverage([10, 3, 0], [True, False, False]), threshold=5
    )
    assert summary["demand"] == 13
    assert summary["demand_uncovered"] is None and summary["demand_covered_share"] is None
    assert published == [None, None, 0]


def test_area_rows_count_hexagons_and_protect_each_area():
    cov = _coverage(
        [6, 0, 2, 5, 0, 0],
        [True, False, False, True, True, False],
        areas=[0, 0, 0, 1, 1, 1],
        codes=("A", "B"),
    )
    a, b = area_rows(cov, threshold=5)
    assert (a["code"], a["hexes"], a["covered_hexes"], a["covered_share"]) == ("A", 3, 1, 0.3333)
    assert a["demand"] == 8 and a["demand_uncovered"] is None and a["suppressed"] is True
    assert b["demand"] == 5 and b["demand_uncovered"] == 0 and b["demand_covered_share"] == 1.0
    assert a["service_points"] == 1  # the outline here is the whole world


def _ghana_list() -> pd.DataFrame:
    return pd.read_csv(GHANA_HEALTH_FACILITIES, dtype=str, keep_default_na=False)


def test_the_ghana_list_is_read_with_every_row_accounted_for():
    found = read_facilities(GHANA_HEALTH_FACILITIES, FacilityColumns())
    raw = _ghana_list()
    no_position = (raw["Latitude"] == "") | (raw["Longitude"] == "")
    assert found.read == len(raw) == 3756
    assert len(found.rows) == int((~no_position).sum()) == 3732
    assert {reason for _, reason in found.refused} == {"no coordinates"}
    assert [row for row, _ in found.refused] == [i + 2 for i in np.flatnonzero(no_position)]
    types = set(found.rows["type"])
    assert "CHPS" in types and "CPHS" not in types and "clinic" not in types
    assert "Municipal Health Directorate" in types  # two spaces in the file
    assert found.rows.loc[found.rows["type_raw"] == "CPHS", "type"].tolist() == ["CHPS"]
    assert set(found.rows["ownership"]) >= {"Government", "Private"}
    assert "government" not in set(found.rows["ownership"])
    # Shared positions, counted the plain way: all rows kept, each group reported.
    located = raw[~no_position]
    sizes = located.groupby(["Longitude", "Latitude"]).size()
    assert len(found.shared_coordinates) == int((sizes > 1).sum())
    assert sum(len(rows) for *_, rows in found.shared_coordinates) == int(sizes[sizes > 1].sum())
    assert found.rows["code"].is_unique
    assert found.rows["attributes"][0] == {
        "Region": "Ashanti",
        "District": "Offinso North",
        "Town": "Afrancho",
    }


def test_facility_rows_are_refused_with_reasons():
    frame = pd.DataFrame(
        {
            "FacilityName": ["ok", "", "far", "zero", "text", "comma"],
            "Type": ["Clinic"] * 6,
            "Ownership": ["Private"] * 6,
            "lon": ["1.5", "1", "200", "0", "east", "1,25"],
            "lat": ["7", "7", "7", "0", "7", "7,5"],
        }
    )
    found = facilities_from_frame(frame, FacilityColumns())
    assert found.refused == [
        (3, "no name"),
        (4, "coordinates out of range (longitude -180..180, latitude -90..90)"),
        (5, "coordinates 0, 0 (a device without a fix)"),
        (6, "coordinates are not numbers"),
    ]
    assert found.rows[["lon", "lat"]].values.tolist() == [[1.5, 7.0], [1.25, 7.5]]


def test_population_of_an_area_is_spread_evenly_and_a_town_sits_in_its_cell():
    area = box(-1.0, 6.0, -0.9, 6.1)
    frame = gpd.GeoDataFrame({"pop": [7000, 1234]}, geometry=[area, Point(-0.5, 6.5)], crs=4326)
    placed = population_cells(frame, field="pop", resolution=8)
    assert (placed.points, placed.areas, placed.total) == (1, 1, pytest.approx(8234))
    cells = _h3_fill(area, 8)
    spread = placed.frame[placed.frame["h3"].isin([np.uint64(c) for c in cells])]
    assert len(spread) == len(cells)
    assert np.allclose(spread["population"], 7000 / len(cells))
    town = h3.str_to_int(h3.latlng_to_cell(6.5, -0.5, 15))
    assert placed.frame.loc[placed.frame["h3"] == np.uint64(town), "population"].item() == 1234
