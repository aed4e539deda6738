"""Reading and writing population counts per H3 cell. The caller owns the transaction."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mapping import hexgrid
from mapping.storage.tables import population


def replace_source(conn: Connection, frame: pd.DataFrame, *, source: str) -> int:
    """Store `frame` (columns h3, population) as the layer `source`, replacing its old rows."""
    conn.execute(sa.delete(population).where(population.c.source == source))
    now = datetime.now(UTC)
    rows = [
        {"source": source, "h3": int(cell), "population": float(count), "imported_at": now}
        for cell, count in zip(frame["h3"], frame["population"], strict=True)
    ]
    for start in range(0, len(rows), 10000):
        conn.execute(sa.insert(population), rows[start : start + 10000])
    return len(rows)


def has_population(conn: Connection) -> bool:
    return conn.scalar(sa.select(population.c.seq).limit(1)) is not None


def population_at(conn: Connection, cells: np.ndarray, resolution: int) -> np.ndarray:
    """The population in each of `cells` (sorted uint64, all at `resolution`).

    Counts stored at `resolution` or finer are summed into their ancestor by an integer GROUP BY
    in SQL; counts stored coarser (an area spread at resolution 8, asked at 9) are split evenly
    among the descendants, 7 per step, which keeps the uniform-density assumption.
    """
    out = np.zeros(len(cells))
    unit = hexgrid.sql_parent(population.c.h3, resolution)
    finer = (
        sa.select(unit, sa.func.sum(population.c.population))
        .where(hexgrid.sql_at_least(population.c.h3, resolution))
        .group_by(unit)
    )
    found = np.array(conn.execute(finer).all(), dtype=object).reshape(-1, 2)
    if len(found):
        index = hexgrid.lookup(cells, found[:, 0].astype(np.uint64))
        keep = index >= 0
        np.add.at(out, index[keep], found[keep, 1].astype(float))
    coarser = sa.select(population.c.h3, population.c.population).where(
        ~hexgrid.sql_at_least(population.c.h3, resolution)
    )
    rows = np.array(conn.execute(coarser).all(), dtype=object).reshape(-1, 2)
    if len(rows):
        stored = rows[:, 0].astype(np.uint64)
        counts = rows[:, 1].astype(float)
        levels = hexgrid.resolutions(stored)
        for level in np.unique(levels):
            mine = levels == level
            order = np.argsort(stored[mine])
            ancestors = stored[mine][order]
            shares = counts[mine][order] / 7.0 ** (resolution - int(level))
            index = hexgrid.lookup(ancestors, hexgrid.parents(cells, int(level)))
            out[index >= 0] += shares[index[index >= 0]]
    return out
