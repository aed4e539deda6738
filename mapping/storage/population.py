"""Reading and writing population counts per H3 cell. The caller owns the transaction."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mapping import hexgrid
from mapping.storage.tables import population, population_layers


@dataclass(frozen=True, slots=True)
class Layer:
    """What a population layer is, as answers state it."""

    source: str
    title: str
    year: int | None
    method: str
    total: float
    read_total: float
    raked: dict[str, Any] | None = None

    def about(self) -> dict[str, Any]:
        """The `population` member of coverage answers."""
        about: dict[str, Any] = {
            "layer": self.source,
            "title": self.title,
            "year": self.year,
            "method": self.method,
            "total": round(self.total),
        }
        if self.raked:
            about["raked_to"] = {
                "margins": self.raked["margins"],
                "level": self.raked["level"],
                "factors": self.raked["factors"],
                "read_total": round(self.read_total),
            }
        return about


def replace_source(
    conn: Connection, frame: pd.DataFrame, *, source: str, layer: Layer | None = None
) -> int:
    """Store `frame` (columns h3, population) as the layer `source`, replacing its old rows,
    and what the layer is (`layer`; else a title of its name and the import's method)."""
    conn.execute(sa.delete(population).where(population.c.source == source))
    conn.execute(sa.delete(population_layers).where(population_layers.c.source == source))
    now = datetime.now(UTC)
    total = float(frame["population"].sum())
    layer = layer or Layer(source, source, None, "imported points and areas", total, total)
    conn.execute(
        sa.insert(population_layers).values(
            source=source,
            title=layer.title,
            year=layer.year,
            method=layer.method,
            cells=len(frame),
            total=total,
            read_total=layer.read_total,
            raked=layer.raked,
            imported_at=now,
        )
    )
    rows = [
        {"source": source, "h3": int(cell), "population": float(count), "imported_at": now}
        for cell, count in zip(frame["h3"], frame["population"], strict=True)
    ]
    for start in range(0, len(rows), 10000):
        conn.execute(sa.insert(population), rows[start : start + 10000])
    return len(rows)


def current_layer(conn: Connection) -> Layer | None:
    """The layer coverage weighs by: the one imported last (None when there is none)."""
    t = population_layers.c
    row = conn.execute(
        sa.select(population_layers).order_by(t.imported_at.desc(), t.source).limit(1)
    ).first()
    if row is None:
        return None
    return Layer(row.source, row.title, row.year, row.method, row.total, row.read_total, row.raked)


def population_at(
    conn: Connection, cells: np.ndarray, resolution: int, *, source: str
) -> np.ndarray:
    """The population in each of `cells` (sorted uint64, all at `resolution`); NaN where no
    stored cell of the layer reaches, which is unknown rather than empty.

    Counts stored at `resolution` or finer are summed into their ancestor; counts stored
    coarser (an area spread at resolution 8, asked at 9) are split evenly among the
    descendants, 7 per step, which keeps the uniform-density assumption. The layer's cells are
    read once per import and kept in memory (`_layer_cells`), so an answer costs the cells it
    shows, in array operations.
    """
    stored, counts = _layer_cells(conn, source)
    out = np.zeros(len(cells))
    known = np.zeros(len(cells), dtype=bool)
    levels = hexgrid.resolutions(stored)
    finer = levels >= resolution
    if finer.any():
        index = hexgrid.lookup(cells, hexgrid.parents(stored[finer], resolution))
        keep = index >= 0
        out += np.bincount(index[keep], weights=counts[finer][keep], minlength=len(cells))
        known[index[keep]] = True
    for level in np.unique(levels[~finer]).tolist():
        mine = levels == level
        order = np.argsort(stored[mine])
        ancestors = stored[mine][order]
        shares = counts[mine][order] / 7.0 ** (resolution - int(level))
        index = hexgrid.lookup(ancestors, hexgrid.parents(cells, int(level)))
        out[index >= 0] += shares[index[index >= 0]]
        known |= index >= 0
    out[~known] = np.nan
    return out


# (database, layer, imported_at) -> the layer's cells and counts; a few layers at most.
_CELLS: dict[tuple[str, str, object], tuple[np.ndarray, np.ndarray]] = {}
_CELLS_LOCK = threading.Lock()
_CELLS_KEPT = 4


def forget_layers() -> None:
    """Drop the layers kept in memory (a cold start, for benchmarks)."""
    with _CELLS_LOCK:
        _CELLS.clear()


def _layer_cells(conn: Connection, source: str) -> tuple[np.ndarray, np.ndarray]:
    t = population_layers.c
    stamp = conn.scalar(sa.select(t.imported_at).where(t.source == source))
    key = (conn.engine.url.render_as_string(hide_password=True), source, stamp)
    with _CELLS_LOCK:
        hit = _CELLS.get(key)
    if hit is not None:
        return hit
    query = sa.select(population.c.h3, population.c.population).where(population.c.source == source)
    # The driver's own rows (plain tuples): a layer holds hundreds of thousands of cells, and
    # SQLAlchemy's Row objects cost more than the read.
    rows = conn.execute(query).cursor.fetchall()
    cells = np.fromiter((r[0] for r in rows), dtype=np.uint64, count=len(rows))
    counts = np.fromiter((r[1] for r in rows), dtype=float, count=len(rows))
    with _CELLS_LOCK:
        if len(_CELLS) >= _CELLS_KEPT:
            _CELLS.clear()
        _CELLS[key] = (cells, counts)
    return cells, counts
