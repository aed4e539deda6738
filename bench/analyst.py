"""The pipeline a GIS analyst would write instead of the product's aggregates (bench/aggregate.py),
and the check of the product's answers against it.

The analyst reads the stored points (a GeoPackage exported once from the database, or the
database itself with read_postgis), assigns `h3.latlng_to_cell` per point or sjoins them with the
regions file, groups with pandas, and builds polygons from `h3.cell_to_boundary`. The product's
filters are applied (public statuses; no sensitive reports finer than the public resolution) so
that both compute the same answer.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import h3
import pandas as pd
import shapely
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from mapping.reports.rows import NO_MEASURES
from mapping.storage.reports import PUBLIC_STATUSES
from mapping.storage.tables import reports

MEASURES = tuple(NO_MEASURES)  # the measure columns, as ingest derives them
PUBLIC_SQL = ", ".join(f"'{s}'" for s in PUBLIC_STATUSES)


@dataclass(slots=True)
class Baseline:
    """How the analyst gets the points: a GeoPackage exported once, or the database itself."""

    source: str  # "gpkg" or "db"
    gpkg: Path | None
    engine: Engine
    regions_file: Path

    def points(self, *, include_sensitive: bool) -> gpd.GeoDataFrame:
        where = f"status IN ({PUBLIC_SQL})" + ("" if include_sensitive else " AND NOT sensitive")
        columns = ["kind", "category", *MEASURES]
        if self.source == "gpkg":
            return gpd.read_file(
                self.gpkg, layer="reports", columns=columns, where=where, engine="pyogrio"
            )
        # read_postgis takes WKB; SpatiaLite stores its own blob format, so ask for WKB there.
        public = "COALESCE(public_geom, geom)"
        geom = f"ST_AsBinary({public})" if self.engine.dialect.name == "sqlite" else public
        sql = f"SELECT {', '.join(columns)}, {geom} AS geom FROM reports WHERE {where}"
        with self.engine.connect() as conn:
            return gpd.read_postgis(sql, conn, geom_col="geom", crs=4326)


def _sums(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """The product's per-group sums (count, ratings, satisfied, litter, hotspot) with pandas."""
    frame = frame.assign(satisfied=(frame["satisfaction"] >= 3).astype(int))
    return frame.groupby(keys, sort=False).agg(
        reports=("kind", "size"),
        rated=("satisfaction", "count"),
        satisfied=("satisfied", "sum"),
        satisfaction_sum=("satisfaction", "sum"),
        items=("litter_items", "sum"),
        plastic=("litter_plastic", "sum"),
        surveyed_m=("survey_length_m", "sum"),
        severity_sum=("severity", "sum"),
        people_affected=("people_affected", "sum"),
    )


def baseline_hexes(
    base: Baseline, resolution: int, public_resolution: int, stages: dict[str, float]
) -> dict[str, int]:
    """Hexagon counts the geopandas way; returns {cell: reports} for the check."""
    t0 = time.perf_counter()
    points = base.points(include_sensitive=resolution <= public_resolution)
    t1 = time.perf_counter()
    to_cell = h3.latlng_to_cell
    xs, ys = points.geometry.x.tolist(), points.geometry.y.tolist()
    points["cell"] = [to_cell(y, x, resolution) for x, y in zip(xs, ys, strict=True)]
    t2 = time.perf_counter()
    by_category = _sums(points, ["cell", "kind", "category"])
    totals = by_category.groupby(level="cell").sum()
    t3 = time.perf_counter()
    polygons = [
        shapely.Polygon([(lng, lat) for lat, lng in h3.cell_to_boundary(c)]) for c in totals.index
    ]
    hexes = gpd.GeoDataFrame(totals, geometry=polygons, crs=4326)
    t4 = time.perf_counter()
    for name, seconds in (("read", t1 - t0), ("h3", t2 - t1), ("groupby", t3 - t2)):
        stages[name] = seconds
    stages["polygons"] = t4 - t3
    return dict(zip(hexes.index, hexes["reports"].astype(int), strict=True))


def baseline_areas(base: Baseline, stages: dict[str, float]) -> dict[str, int]:
    """Area counts the geopandas way: sjoin of points with the regions file, then groupby."""
    t0 = time.perf_counter()
    points = base.points(include_sensitive=True)
    regions = gpd.read_file(base.regions_file, columns=["shapeISO", "shapeName"], engine="pyogrio")
    t1 = time.perf_counter()
    joined = gpd.sjoin(points, regions, predicate="within", how="inner")
    t2 = time.perf_counter()
    by_category = _sums(joined, ["shapeISO", "kind", "category"])
    totals = by_category.groupby(level="shapeISO").sum()
    t3 = time.perf_counter()
    out = regions.merge(totals, left_on="shapeISO", right_index=True, how="left")
    t4 = time.perf_counter()
    stages.update(read=t1 - t0, sjoin=t2 - t1, groupby=t3 - t2, polygons=t4 - t3)
    return {c: int(n) for c, n in zip(out.shapeISO, out["reports"].fillna(0), strict=True)}


def export_geopackage(engine: Engine, path: Path) -> float:
    """Write the reports the analyst works from, where the public sees them (a sensitive one
    at its public cell's centre, as every public answer places it): one GeoPackage, read back
    from the database."""
    started = time.perf_counter()
    # Where the public sees each report: a sensitive one at its public cell's centre.
    public = sa.func.coalesce(reports.c.public_geom, reports.c.geom)
    lon, lat = sa.func.ST_X(public), sa.func.ST_Y(public)
    query = sa.select(
        reports.c.kind,
        reports.c.category,
        reports.c.status,
        reports.c.sensitive,
        *(reports.c[n] for n in MEASURES),
        lon.label("lon"),
        lat.label("lat"),
    )
    with engine.connect() as conn:
        frame = pd.read_sql(query, conn)
    points = gpd.GeoDataFrame(
        frame.drop(columns=["lon", "lat"]),
        geometry=gpd.points_from_xy(frame.lon, frame.lat),
        crs=4326,
    )
    tmp = path.with_suffix(".partial.gpkg")
    tmp.unlink(missing_ok=True)
    points.to_file(tmp, driver="GPKG", layer="reports", engine="pyogrio")
    tmp.replace(path)  # only a complete file takes the cached name
    return time.perf_counter() - started


def reference_counts(base: Baseline, resolution: int, public_resolution: int) -> dict[str, int]:
    """What the product must answer, computed from the same points with h3 itself (not timed).

    The product's hexagon at resolution r is the `h3.cell_to_parent` of the point's resolution-15
    cell. H3 children do not tile their parent exactly, so near a hexagon's edge this can be the
    neighbour of `h3.latlng_to_cell(point, r)`, which the analyst uses; the check therefore
    compares against the parent definition, and the summary says how many reports the two
    assign differently.
    """
    points = base.points(include_sensitive=resolution <= public_resolution)
    to_cell, to_parent = h3.latlng_to_cell, h3.cell_to_parent
    xs, ys = points.geometry.x.tolist(), points.geometry.y.tolist()
    cells = [to_parent(to_cell(y, x, 15), resolution) for x, y in zip(xs, ys, strict=True)]
    return pd.Series(cells).value_counts().to_dict()  # type: ignore[no-any-return]


def check(
    label: str,
    resolution: int | None,
    features: Sequence[dict[str, Any]],
    expected: dict[str, int],
    analyst: dict[str, int],
) -> str:
    """Compare the product's answer with the reference; return a one-line summary.

    Exits when they differ: then the figures would mean nothing.
    """
    key = "code" if resolution is None else "h3"
    got = {f["properties"][key]: f["properties"]["reports"] for f in features}
    shown = {k: v for k, v in got.items() if v is not None}
    if resolution is not None and set(got) != set(expected):
        raise SystemExit(f"{label}: {len(got)} cells from the product, {len(expected)} from h3")
    wrong = {k: (v, expected.get(k, 0)) for k, v in shown.items() if v != expected.get(k, 0)}
    if wrong:
        sample = dict(list(wrong.items())[:5])
        raise SystemExit(f"{label}: counts differ (product, reference): {sample}")
    summary = f"{len(got):,} features, {len(got) - len(shown):,} suppressed, counts match"
    if resolution is not None:
        total = sum(expected.values())
        moved = sum(abs(n - analyst.get(c, 0)) for c, n in expected.items()) / 2
        summary += f"; {moved / total:.2%} of reports in another cell by latlng_to_cell"
    return summary
