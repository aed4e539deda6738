"""Hotspots as published: the study area's hexagons, their report counts, Gi* and classes.

Suppression: a Gi* z is not a count, but it is a smooth function of the neighbourhood's count,
so a hexagon whose k-ring holds fewer reports than the threshold (but some) gets null z and p,
class `none` and `suppressed: true`: no hot spot can single out fewer reports than the
threshold. Its own count is published as the aggregates publish it (null below the threshold).

Inference: by default p comes from 999 conditional permutations with a fixed seed, so one
query always gives one answer, and classes are read from Benjamini-Hochberg adjusted p.
Reports whose hexagon lies outside the study area are counted in the summary, not dropped
silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mapping import hexgrid
from mapping.analysis.bulk import paused_gc
from mapping.analysis.hotspots.gistar import CLASSES, GiStar, gi_star
from mapping.analysis.studyarea import GridCache, analysed_codes, area_grid
from mapping.errors import InvalidQuery
from mapping.storage import areas as area_store
from mapping.storage.reports import ReportQuery, report_filters


@dataclass(frozen=True, slots=True)
class HotspotQuery:
    resolution: int
    k: int = 1
    fdr: bool = True
    permutations: int = 999
    seed: int = 12345
    reports: ReportQuery = field(default_factory=ReportQuery)
    public_resolution: int = 7


NEIGHBOURS = GridCache()


def hotspot_features(
    conn: Connection, q: HotspotQuery, *, threshold: int, max_cells: int
) -> tuple[list[dict[str, Any]], dict[str, Any], str]:
    """Features (hexagons with reports, and any other hexagon classed hot or cold), the
    summary and the method, for the reports `q.reports` selects."""
    cells, counts, outside, fallback = _study_area(conn, q, max_cells=max_cells)
    focal, neighbour = _neighbours(cells, q.k)
    gi = gi_star(counts, focal, neighbour, fdr=q.fdr, permutations=q.permutations, seed=q.seed)
    shown = np.flatnonzero((counts > 0) | (gi.classes != "none"))
    with paused_gc():
        rings = hexgrid.boundaries(cells[shown])
        features = [
            _feature(int(cells[i]), int(counts[i]), rings[n], gi, int(i), q, threshold)
            for n, i in enumerate(shown.tolist())
        ]
    classes = {c: 0 for c in CLASSES}
    for f in features:
        classes[f["properties"]["class"]] += 1
    summary = {
        "hexes": len(cells),
        "k": q.k,
        "fdr": q.fdr,
        "permutations": q.permutations,
        "seed": q.seed if q.permutations else None,
        "reports_outside": outside,
        "classes": classes,
    }
    return features, summary, _method(q, threshold, fallback)


def _study_area(
    conn: Connection, q: HotspotQuery, *, max_cells: int
) -> tuple[np.ndarray, np.ndarray, int, bool]:
    """Sorted cells of the study area, the reports in each, the reports in hexagons outside
    it, and whether the fallback (cells with reports and their rings, when no areas are
    stored) was used."""
    found = _report_cells(conn, q)
    if area_store.levels(conn):
        codes = analysed_codes(conn, area=q.reports.area)
        grid = area_grid(
            conn, codes, resolution=q.resolution, boxes=q.reports.boxes, max_cells=max_cells
        )
        cells = grid.cells
        fallback = False
    else:
        cells = _with_rings(found[:, 0], q.k)
        if len(cells) > max_cells:
            raise InvalidQuery(
                f"{len(cells)} hexagons to analyse, more than {max_cells}; narrow the filters "
                "or ask for a coarser resolution.",
                [{"loc": ["query", "resolution"], "msg": "too many hexagons to analyse"}],
            )
        fallback = True
    counts = np.zeros(len(cells), dtype=np.int64)
    index = hexgrid.lookup(cells, found[:, 0])
    np.add.at(counts, index[index >= 0], found[index >= 0, 1].astype(np.int64))
    if q.reports.area is not None or q.reports.boxes:
        found = _report_cells(conn, q, narrowed=True)
        index = hexgrid.lookup(cells, found[:, 0])
    return cells, counts, int(found[index < 0, 1].sum()), fallback


def _report_cells(conn: Connection, q: HotspotQuery, *, narrowed: bool = False) -> np.ndarray:
    """(cell, count) rows, uint64, of the reports at the resolution, by SQL GROUP BY: all of
    them (the study area picks its own), or, `narrowed`, only those in the asked area and box."""
    rq = q.reports if narrowed else replace(q.reports, boxes=(), area=None)
    if q.resolution > q.public_resolution:
        rq = replace(rq, include_sensitive=False)
    unit = hexgrid.sql_parent(rq.placement.h3_column, q.resolution)
    query = sa.select(unit, sa.func.count()).where(*report_filters(conn, rq)).group_by(unit)
    return np.array(conn.execute(query).all(), dtype=np.uint64).reshape(-1, 2)


def _with_rings(cells: np.ndarray, k: int) -> np.ndarray:
    ring = {int(c) for c in cells}
    for cell in cells.tolist():
        ring.update(hexgrid.disk(cell, k))
    return np.array(sorted(ring), dtype=np.uint64)


def _neighbours(cells: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """k-ring index pairs, cached: grid_disk costs about 17 us a cell."""
    key = (len(cells), hash(cells.tobytes()), k)
    pairs = NEIGHBOURS.get(key)
    if pairs is None:
        pairs = hexgrid.neighbour_pairs(cells, k)
        NEIGHBOURS.put(key, pairs)
    return pairs  # type: ignore[no-any-return]


def _feature(
    cell: int,
    count: int,
    ring: list[list[float]],
    gi: GiStar,
    i: int,
    q: HotspotQuery,
    threshold: int,
) -> dict[str, Any]:
    small = 0 < gi.local_sum[i] < threshold
    cell_id = hexgrid.to_str(cell)
    props: dict[str, Any] = {
        "h3": cell_id,
        "resolution": q.resolution,
        "reports": None if 0 < count < threshold else count,
        "z": None if small else round(float(gi.z[i]), 3),
        "p": None if small else round(float(gi.p[i]), 5),
        "class": "none" if small else str(gi.classes[i]),
        "suppressed": bool(small or 0 < count < threshold),
    }
    if q.fdr:
        props["p_fdr"] = None if small else round(float(gi.p_class[i]), 5)
    return {
        "type": "Feature",
        "id": cell_id,
        "geometry": {"type": "Polygon", "coordinates": [ring]},
        "properties": props,
    }


def _method(q: HotspotQuery, threshold: int, fallback: bool) -> str:
    region = (
        "the hexagons with reports and their k rings (no areas are stored)"
        if fallback
        else "every hexagon of the analysed areas, zeros included"
    )
    correction = "; classes from Benjamini-Hochberg adjusted p" if q.fdr else ""
    inference = (
        f"two-sided pseudo p from {q.permutations} conditional permutations (seed {q.seed})"
        if q.permutations
        else "two-sided p from the normal approximation"
    )
    return (
        f"Getis-Ord Gi* of report counts per resolution-{q.resolution} H3 hexagon over {region}; "
        f"binary weights of the {q.k}-ring, the hexagon included; {inference}{correction}; "
        f"hot/cold at 90, 95, 99% confidence. Hexagons whose ring holds fewer than {threshold} "
        "reports are suppressed. Reports in hexagons outside the study area are counted in "
        "`reports_outside` and left out."
    )
