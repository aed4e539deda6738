"""Raking a population grid to census margins: each area's cells scaled to its census count.

A modelled grid (WorldPop) places people well within an area and counts them less well across
areas; a census counts each area well. Raking keeps the grid's pattern inside each area and the
census's count of it: every cell whose centre lies in area A is multiplied by
census(A) / grid(A). A cell just outside every area (within about 5 km, the rim that simplified
outlines leave) belongs to the nearest one; cells beyond that, or in an area without a margin,
keep their count, and say so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import pandas as pd

from mapping import hexgrid
from mapping.errors import InvalidInput

# A cell whose centre lies outside every area, within this many degrees (about 5 km) of one,
# belongs to the nearest: simplified outlines leave a rim of the country outside them.
NEAR_DEGREES = 0.05


class Placer(Protocol):
    def assign(
        self, lons: Sequence[float], lats: Sequence[float]
    ) -> dict[int, list[str | None]]: ...

    def nearest(
        self, lons: Sequence[float], lats: Sequence[float], *, level: int, within: float
    ) -> list[str | None]: ...


@dataclass(frozen=True, slots=True)
class Raked:
    """The raked cells, the factor of each area, and what lay outside every margin's area."""

    frame: pd.DataFrame
    factors: dict[str, float]
    grid_totals: dict[str, float]
    outside: float
    outside_cells: int

    def record(self, *, level: int, margins_source: str) -> dict[str, Any]:
        """What `population_layers.raked` keeps of it."""
        return {
            "level": level,
            "margins": margins_source,
            "factors": {code: round(f, 6) for code, f in sorted(self.factors.items())},
            "grid_totals": {code: round(t, 1) for code, t in sorted(self.grid_totals.items())},
            "outside": round(self.outside, 1),
            "outside_cells": self.outside_cells,
        }


def rake(frame: pd.DataFrame, areas: Placer, *, level: int, margins: Mapping[str, float]) -> Raked:
    """Scale the cells of `frame` (h3, population) so each area of `level` sums to its margin."""
    cells = frame["h3"].to_numpy(dtype=np.uint64)
    lon, lat = hexgrid.centres(cells)
    placed = areas.assign(lon.tolist(), lat.tolist()).get(level)
    if placed is None:
        raise InvalidInput(f"No areas of level {level} are stored; import them first.")
    codes = pd.Series(placed, dtype=object)
    rim = codes.isna().to_numpy()
    if rim.any():
        near = areas.nearest(lon[rim].tolist(), lat[rim].tolist(), level=level, within=NEAR_DEGREES)
        codes[rim] = near
    codes = codes.fillna("")
    population = frame["population"].to_numpy(dtype=float)
    grid_totals = pd.Series(population).groupby(codes.to_numpy()).sum().to_dict()
    empty = sorted(code for code in margins if grid_totals.get(code, 0.0) <= 0)
    if empty:
        raise InvalidInput(
            f"The grid puts no one in {', '.join(empty)}: their census counts cannot be "
            "spread. Is the grid of this country, and are these areas' outlines right?"
        )
    factors = {code: float(margins[code]) / grid_totals[code] for code in margins}
    scale = codes.map(lambda c: factors.get(c, 1.0)).to_numpy(dtype=float)
    outside = ~codes.isin(list(factors)).to_numpy()
    raked = pd.DataFrame({"h3": cells, "population": population * scale})
    return Raked(
        raked,
        factors,
        {code: float(grid_totals[code]) for code in factors},
        float(population[outside].sum()),
        int(outside.sum()),
    )
