"""H3 parents by bit arithmetic, in Python and in SQL on both backends, against the h3 library."""

from __future__ import annotations

import h3
import pytest
import sqlalchemy as sa
from hypothesis import example, given, settings
from hypothesis import strategies as st

from mapping import hexgrid

PENTAGON_CENTRES = [h3.cell_to_latlng(p) for p in h3.get_pentagons(15)]
lons = st.floats(-180, 180, allow_nan=False)
lats = st.floats(-90, 90, allow_nan=False)
resolutions = st.integers(0, 15)


def test_there_are_twelve_pentagons():
    assert len(PENTAGON_CENTRES) == 12


@given(lon=lons, lat=lats, resolution=resolutions)
@settings(max_examples=500)
def test_parent_by_bits_matches_h3(lon, lat, resolution):
    cell = h3.latlng_to_cell(lat, lon, 15)
    expected = h3.cell_to_parent(cell, resolution)
    assert hexgrid.to_str(hexgrid.parent(h3.str_to_int(cell), resolution)) == expected


@pytest.mark.parametrize(("lat", "lon"), PENTAGON_CENTRES)
@pytest.mark.parametrize("resolution", [0, 1, 5, 7, 9, 14, 15])
def test_parent_of_pentagon_cells(lat, lon, resolution):
    cell = h3.latlng_to_cell(lat, lon, 15)
    assert h3.is_pentagon(cell)
    expected = h3.cell_to_parent(cell, resolution)
    assert hexgrid.to_str(hexgrid.parent(h3.str_to_int(cell), resolution)) == expected


@given(lon=lons, lat=lats, resolution=resolutions)
@settings(max_examples=150, deadline=None)
@example(lon=PENTAGON_CENTRES[0][1], lat=PENTAGON_CENTRES[0][0], resolution=3)
@example(lon=PENTAGON_CENTRES[11][1], lat=PENTAGON_CENTRES[11][0], resolution=9)
def test_parent_in_sql_matches_h3(engine, lon, lat, resolution):
    cell = h3.latlng_to_cell(lat, lon, 15)
    with engine.connect() as conn:
        got = conn.scalar(
            sa.select(
                hexgrid.sql_parent(sa.literal(h3.str_to_int(cell), sa.BigInteger), resolution)
            )
        )
    assert h3.int_to_str(got) == h3.cell_to_parent(cell, resolution)


def test_cell_at_is_lon_first():
    assert hexgrid.cell_at(-0.187, 5.6037) == h3.str_to_int(h3.latlng_to_cell(5.6037, -0.187, 15))
    lon, lat = hexgrid.centre(hexgrid.cell_at(-0.187, 5.6037, 9))
    assert lon == pytest.approx(-0.187, abs=0.01) and lat == pytest.approx(5.6037, abs=0.01)
