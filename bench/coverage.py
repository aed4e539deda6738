"""Coverage benchmark: every hexagon of Ghana's 16 regions at resolution 8 against the real
health facility list, beside the geopandas pipeline a GIS analyst would write instead.

    .venv/bin/python bench/coverage.py [--resolution 8] [--distance 5000] [--repeat 3]
                                       [--data-dir ../shared/data]

It stores no reports, so bench/synthetic.py has no part here. Set-up (not measured): a scratch
SpatiaLite database (bench/common.py); the regions imported with the product's reader
(`read_boundaries`, `save_areas`), the facilities with its facilities path
(`read_facilities`, `replace_list`, as `civicmap facilities import` does), and the WorldPop
2020 grid raked to the 2021 regional census as `civicmap population import --rake-to` does
(`--no-population` leaves it out: demand is then a count of reports, all zero here).

Measured, each the median of `--repeat` runs:

  product cold   analysis.studyarea.area_grid (regions filled with H3 cells, centres) with an
                 empty grid cache and no population layer in memory, then
                 analysis.coverage.gaps.analyse (the register checked, open facilities,
                 KD-tree distances, covered, people per hexagon) and the summary: the whole
                 analysis behind GET /api/v1/coverage, without polygons and JSON.
  product warm   the same with the grid cached, as every request after the first.
  /coverage/areas  GET /api/v1/coverage/areas?level=1 through the app in-process, grid cached:
                 what a planner receives, JSON included.
  baseline       geopandas: h3's own polygon_to_cells per region, h3 centres into a GeoDataFrame,
                 both layers to UTM 30N (EPSG:32630), gpd.sjoin_nearest with a distance column,
                 covered = distance <= D; people per hexagon from the same stored cells
                 (h3.cell_to_parent, a pandas groupby, a merge), and the people beyond D.
  nearest only   the distance step alone on the same centres: the product's unit-sphere KD-tree
                 against sjoin_nearest on projected points (to_crs included).

The product's answer is checked against the baseline (same hexagons; distances within 1%,
UTM's scale error across Ghana being about 0.3%; the same covered share within 0.5 points; the
people beyond D within 0.5%), so a fast wrong answer cannot pass. Targets: a cold start under
2 s, faster than the baseline. A measurement, not a test: missing a target exits 0.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path
from typing import Any

# Run as a script from anywhere: the packages live one folder up.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import sqlalchemy as sa

from api.app import create_app
from bench import common
from mapping.analysis.coverage.answer import summary_and_demand
from mapping.analysis.coverage.facilities import FacilityColumns, read_facilities
from mapping.analysis.coverage.gaps import CoverageQuery, analyse
from mapping.analysis.coverage.nearest import nearest_m
from mapping.analysis.studyarea import GridCache, analysed_codes, area_grid
from mapping.areas.index import AreaIndexCache
from mapping.cli.coverage import RakeTo, import_population
from mapping.storage import facilities as facility_store
from mapping.storage import make_engine
from mapping.storage import population as population_store
from mapping.storage.tables import population

UTM_30N = 32630


def baseline(regions: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame, res: int, d: float):  # type: ignore[no-untyped-def]
    cells = sorted(
        {c for g in regions.geometry for c in h3.h3shape_to_cells(h3.geo_to_h3shape(g), res)}
    )
    latlng = np.array([h3.cell_to_latlng(c) for c in cells])
    hexes = gpd.GeoDataFrame(
        {"h3": cells}, geometry=gpd.points_from_xy(latlng[:, 1], latlng[:, 0]), crs=4326
    )
    distance = nearest_baseline(hexes, facilities)
    return cells, distance, distance <= d


def nearest_baseline(hexes: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame) -> np.ndarray:
    joined = gpd.sjoin_nearest(
        hexes.to_crs(UTM_30N), facilities.to_crs(UTM_30N), distance_col="distance_m"
    )
    # Ties (facilities sharing a position) repeat a hexagon: one distance each.
    return joined.groupby(level=0)["distance_m"].first().sort_index().to_numpy()


def baseline_people(
    layer: Any, cells: list[str], distance: np.ndarray, res: int, d: float
) -> tuple[np.ndarray, float]:
    """People per hexagon (summed from the stored finer cells) and the people beyond `d`."""
    parents = [h3.cell_to_parent(h3.int_to_str(int(c)), res) for c in layer["h3"]]
    per_hex = pd.DataFrame({"h3": parents, "people": layer["population"]}).groupby("h3").sum()
    people = pd.DataFrame({"h3": cells}).merge(per_hex, on="h3", how="left")["people"]
    people = people.fillna(0.0).to_numpy()
    return people, float(people[distance > d].sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--resolution", type=int, default=8)
    parser.add_argument("--distance", type=float, default=5000.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-population", action="store_true")
    parser.add_argument(
        "--data-dir", type=Path, default=common.SHARED_DATA, help="env CIVICMAP_SHARED_DATA"
    )
    args = parser.parse_args()
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    regions_file = args.data_dir / common.REGIONS_FILE
    facilities_file = args.data_dir / "ghana_health_facilities.csv"

    with common.scratch_store("spatialite", common.DEFAULT_POSTGRES_URL) as url:
        engine = make_engine(url)
        found = read_facilities(facilities_file, FacilityColumns())
        common.save_regions(engine, common.read_regions(args.data_dir))
        with engine.begin() as conn:
            index = AreaIndexCache(engine).current()
            stored = facility_store.replace_list(conn, found.rows, source="ghana", areas=index)
        settings = common.settings(url)
        if not args.no_population:
            import_population(
                settings,
                args.data_dir / "gha_ppp_2020_1km_Aggregated_UNadj.tif",
                source="worldpop",
                rake=RakeTo(
                    args.data_dir / "ghana_census2021_regions.csv",
                    1,
                    "region",
                    "population_2021",
                    "GSS 2021 PHC",
                ),
            )
        with engine.connect() as conn:
            layer = pd.read_sql(sa.select(population.c.h3, population.c.population), conn)
        print(
            f"{stored} facilities, 16 regions, {len(layer)} population cells; "
            f"resolution {args.resolution}, D {args.distance:g} m"
        )
        q = CoverageQuery(
            category="health_facility",
            resolution=args.resolution,
            max_distance_m=args.distance,
            source="facilities",
        )

        def product(cache: GridCache) -> Any:
            with engine.connect() as conn:
                codes = analysed_codes(conn)
                grid = area_grid(
                    conn, codes, resolution=q.resolution, max_cells=2_000_000, cache=cache
                )
                cov = analyse(conn, grid, q)
                summary, _ = summary_and_demand(cov, threshold=5)
            return cov, summary

        def cold() -> Any:
            population_store.forget_layers()
            return product(GridCache())

        cold_s, (cov, summary) = common.median_time(cold, args.repeat, "product cold")
        warm_cache = GridCache()
        product(warm_cache)
        warm_s, _ = common.median_time(lambda: product(warm_cache), args.repeat, "product warm")

        TestClient = common.test_client()
        params = {
            "category": "health_facility",
            "resolution": args.resolution,
            "max_distance_m": args.distance,
            "source": "facilities",
            "level": 1,
        }
        with TestClient(create_app(settings)) as client:
            client.get("/api/v1/coverage/areas", params=params)  # fills the app's grid cache
            http_s, answer = common.median_time(
                lambda: client.get("/api/v1/coverage/areas", params=params),
                args.repeat,
                "/coverage/areas",
            )
        assert answer.status_code == 200, answer.text
        engine.dispose()

    regions = gpd.read_file(regions_file)
    rows = found.rows
    facilities = gpd.GeoDataFrame(geometry=gpd.points_from_xy(rows["lon"], rows["lat"]), crs=4326)

    def analyst() -> Any:
        cells, distance, covered = baseline(regions, facilities, args.resolution, args.distance)
        people = baseline_people(layer, cells, distance, args.resolution, args.distance)
        return cells, distance, covered, people

    base_s, (cells, distance, covered, (people, beyond)) = common.median_time(
        analyst, args.repeat, "baseline"
    )

    # Same answer, or the figures mean nothing.
    assert [h3.str_to_int(c) for c in cells] == cov.grid.cells.tolist(), "different hexagons"
    relative = np.abs(cov.distance_m - distance) / np.maximum(distance, 1.0)
    assert np.percentile(relative, 99.9) < 0.01, f"distances differ: {relative.max():.4f}"
    share_gap = abs(covered.mean() - summary["covered_share"])
    assert share_gap < 0.005, f"covered shares differ by {share_gap:.4f}"
    if len(layer):
        assert np.allclose(cov.demand, people, rtol=1e-9, atol=1e-6), "people per hexagon differ"
        gap = abs(summary["people_out_of_reach"] - beyond) / beyond
        assert gap < 0.005, f"people beyond {args.distance:g} m differ by {gap:.4%}"
        print(
            f"people beyond {args.distance / 1000:g} km of an open facility: "
            f"{summary['people_out_of_reach']:,} of {summary['people']:,} "
            f"(baseline {beyond:,.0f}; {gap:.3%} apart)"
        )

    hexes = gpd.GeoDataFrame(geometry=gpd.points_from_xy(cov.grid.lon, cov.grid.lat), crs=4326)
    tree_s, _ = common.median_time(
        lambda: nearest_m(cov.grid.lon, cov.grid.lat, cov.supply_lon, cov.supply_lat),
        args.repeat,
        "nearest: KD-tree",
    )
    sjoin_s, _ = common.median_time(
        lambda: nearest_baseline(hexes, facilities), args.repeat, "nearest: sjoin"
    )

    print(
        f"{len(cov.grid)} hexagons, covered share {summary['covered_share']:.4f} "
        f"(baseline {covered.mean():.4f}); distances: median relative difference "
        f"{np.median(relative):.5f}, max {relative.max():.5f}"
    )
    print(f"{'':28}{'median s':>10}{'baseline/this':>15}")
    for label, seconds in (
        ("product, cold grid", cold_s),
        ("product, cached grid", warm_s),
        ("GET /coverage/areas (HTTP)", http_s),
        ("baseline (h3 + sjoin_nearest)", base_s),
    ):
        print(f"{label:28}{seconds:10.3f}{base_s / seconds:15.1f}")
    print(f"{'nearest: unit-sphere KD-tree':28}{tree_s:10.3f}{sjoin_s / tree_s:15.1f}")
    print(f"{'nearest: sjoin_nearest UTM':28}{sjoin_s:10.3f}{1.0:15.1f}")
    target = "met" if cold_s < 2.0 and cold_s < base_s else "missed"
    print(f"target (cold under 2 s and faster than the baseline): {target}")


if __name__ == "__main__":
    main()
