"""Reading boundary files: formats, CRSs, repairs and refusals."""

from __future__ import annotations

import geopandas as gpd
import pytest
from shapely.geometry import Polygon, box

from mapping.areas.files import read_boundaries
from mapping.areas.index import AreaIndex
from mapping.errors import InvalidInput
from tests.data import GHANA_ADM1

ACCRA, TAMALE = (-0.1870, 5.6037), (-0.8393, 9.4075)


def _index(frame: gpd.GeoDataFrame) -> AreaIndex:
    return AreaIndex([(r.code, r.level, r.geometry) for r in frame.itertuples()])


def test_geoboundaries_file_needs_no_field_options():
    found = read_boundaries(GHANA_ADM1, level=1)
    assert len(found.frame) == 16
    assert found.frame["code"].str.startswith("GH-").all()
    assert "Greater Accra Region" in set(found.frame["name"])
    codes = _index(found.frame).assign([ACCRA[0], TAMALE[0]], [ACCRA[1], TAMALE[1]])
    assert codes == {1: ["GH-AA", "GH-NP"]}


@pytest.mark.parametrize(("suffix", "driver"), [(".gpkg", "GPKG"), (".shp", "ESRI Shapefile")])
def test_other_formats_and_crs_are_reprojected(tmp_path, suffix, driver):
    regions = gpd.read_file(GHANA_ADM1).to_crs(32630)  # UTM zone 30N, metres
    path = tmp_path / f"regions{suffix}"
    regions.to_file(path, driver=driver)
    found = read_boundaries(path, level=1, code_field="shapeISO", name_field="shapeName")
    assert found.reprojected_from is not None
    assert found.frame.crs.to_epsg() == 4326
    assert _index(found.frame).assign([ACCRA[0]], [ACCRA[1]]) == {1: ["GH-AA"]}


def test_invalid_polygons_are_repaired_and_counted(tmp_path):
    bowtie = Polygon([(0, 10), (2, 12), (2, 10), (0, 12), (0, 10)])
    frame = gpd.GeoDataFrame(
        {"code": ["A", "B"], "name": ["a", "b"]}, geometry=[bowtie, box(5, 10, 6, 11)], crs=4326
    )
    frame.to_file(tmp_path / "bad.geojson")
    found = read_boundaries(tmp_path / "bad.geojson", level=2, code_field="code", name_field="name")
    assert found.repaired == 1
    assert found.frame.geometry.is_valid.all()
    assert _index(found.frame).assign([0.2, 5.5], [11.0, 10.5]) == {2: ["A", "B"]}


def test_duplicate_codes_are_refused_by_name(tmp_path):
    frame = gpd.GeoDataFrame(
        {"id": ["X1", "X2", "X1", "X3", "X3"], "n": list("abcde")},
        geometry=[box(i, 0, i + 1, 1) for i in range(5)],
        crs=4326,
    )
    frame.to_file(tmp_path / "dup.geojson")
    with pytest.raises(InvalidInput, match="X1, X3"):
        read_boundaries(tmp_path / "dup.geojson", level=1, code_field="id", name_field="n")


def test_missing_field_names_the_fields_there_are(tmp_path):
    frame = gpd.GeoDataFrame({"id": ["a"]}, geometry=[box(0, 0, 1, 1)], crs=4326)
    frame.to_file(tmp_path / "f.geojson")
    with pytest.raises(InvalidInput, match=r"--code-field.*id"):
        read_boundaries(tmp_path / "f.geojson", level=1)
    with pytest.raises(InvalidInput, match="no field 'nope'"):
        read_boundaries(tmp_path / "f.geojson", level=1, code_field="nope", name_field="id")
