"""Per-question aggregates of a form's responses, per H3 hexagon or per area, under the
disclosure rules.

- A question that is not personal: counts per choice, and the n, mean and median of a number,
  are exact, since the public listing shows every such answer at its public cell anyway; a
  mean or median over fewer than the threshold's answers is null (a precision rule).
- A question marked `civicmap::personal` answers something about the reporter: its counts per
  choice and its n go through the cell key method (each response's record key, the versioned
  perturbation table) and are null with `suppressed` below the threshold; a personal number
  gives no mean or median, which two answers that differ by one response would give away.
- Without the exact-location role a response counts in the hexagon or area of its public
  point, the centre of its cell at the public resolution, and hexagons finer than that
  resolution are not offered.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mapping import hexgrid
from mapping.areas.index import AreaIndex
from mapping.disclosure import cellkey
from mapping.reports.forms.answers import Value
from mapping.reports.forms.spec import FormSpec

NUMBERS = ("integer", "decimal")
CHOICES = ("select_one", "select_multiple")


@dataclass(frozen=True, slots=True)
class Column:
    """A question as the aggregates see it over every version: its type, whether any version
    marks it personal, and every choice any version offers, in order."""

    type: str
    personal: bool
    choices: tuple[str, ...] = ()


def columns(specs: Iterable[FormSpec]) -> dict[str, Column]:
    found: dict[str, Column] = {}
    for spec in specs:
        for q in spec.answered:
            seen = found.get(q.name)
            choices = tuple(c.name for c in q.choices)
            if seen is None:
                found[q.name] = Column(q.type, q.personal, choices)
                continue
            merged = seen.choices + tuple(c for c in choices if c not in seen.choices)
            kind = seen.type if seen.type == q.type else "text"
            found[q.name] = Column(kind, seen.personal or q.personal, merged)
    return found


@dataclass(slots=True)
class _Cell:
    """What one question gathers in one hexagon or area: per value, the count and the sum of
    the record keys of the responses that gave it."""

    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    keys: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    numbers: list[float] = field(default_factory=list)
    n: int = 0
    n_keys: int = 0


def tally(
    records: Iterable[tuple[Any, int, Mapping[str, Value]]],
    cols: Mapping[str, Column],
    *,
    threshold: int,
) -> dict[Any, dict[str, Any]]:
    """Per unit (a hexagon or an area code; records whose unit is None are left out), the
    responses and each question's published figures. A record is (unit, record key,
    answers)."""
    cells: dict[Any, dict[str, _Cell]] = defaultdict(lambda: defaultdict(_Cell))
    responses: dict[Any, int] = defaultdict(int)
    for unit, key, answers in records:
        if unit is None:
            continue
        responses[unit] += 1
        for name, value in answers.items():
            if name not in cols:
                continue
            cell = cells[unit][name]
            cell.n += 1
            cell.n_keys += key
            values = value if isinstance(value, list) else [value]
            for item in values:
                if cols[name].type in CHOICES:
                    cell.counts[str(item)] += 1
                    cell.keys[str(item)] += key
                elif cols[name].type in NUMBERS and isinstance(item, int | float):
                    cell.numbers.append(float(item))
    return {
        unit: {
            "responses": responses[unit],
            "questions": {
                name: _publish(col, cells[unit].get(name) or _Cell(), threshold)
                for name, col in cols.items()
            },
        }
        for unit in responses
    }


def _publish(col: Column, cell: _Cell, threshold: int) -> dict[str, Any]:
    if col.personal:
        return _protected(col, cell, threshold)
    out: dict[str, Any] = {"n": cell.n}
    if col.type in CHOICES:
        out["counts"] = {c: cell.counts.get(c, 0) for c in col.choices}
    if col.type in NUMBERS:
        enough = len(cell.numbers) >= max(threshold, 1)
        out["mean"] = statistics.fmean(cell.numbers) if enough else None
        out["median"] = statistics.median(cell.numbers) if enough else None
    return out


def _protected(col: Column, cell: _Cell, threshold: int) -> dict[str, Any]:
    n = cellkey.protect(cell.n, cell.n_keys % cellkey.RECORD_KEY_MODULUS, threshold)
    out: dict[str, Any] = {"n": n, "protected": True}
    if col.type in CHOICES:
        counts = {
            c: cellkey.protect(
                cell.counts.get(c, 0), cell.keys.get(c, 0) % cellkey.RECORD_KEY_MODULUS, threshold
            )
            for c in col.choices
        }
        out["counts"] = counts
        out["suppressed"] = sorted(c for c, v in counts.items() if v is None)
    return out


def hexagon_units(
    rows: Iterable[Mapping[Any, Any]], *, resolution: int, exact: bool
) -> list[int | None]:
    """Each response's hexagon at `resolution`: of its point, or of its public point."""
    column = "h3" if exact else "public_h3"
    return [None if r[column] is None else hexgrid.parent(r[column], resolution) for r in rows]


def area_units(
    rows: Sequence[Mapping[Any, Any]], index: AreaIndex, *, level: int, exact: bool
) -> list[str | None]:
    """Each response's area of `level`: the one holding its point, or its public point."""
    lon, lat = ("lon", "lat") if exact else ("public_lon", "public_lat")
    placed = [i for i, r in enumerate(rows) if r[lon] is not None]
    units: list[str | None] = [None] * len(rows)
    if not placed or level not in index.levels:
        return units
    found = index.assign([rows[i][lon] for i in placed], [rows[i][lat] for i in placed])
    for i, code in zip(placed, found.get(level, []), strict=True):
        units[i] = code
    return units


def hexagon_feature(cell: int, figures: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": hexgrid.to_str(cell),
        "geometry": {"type": "Polygon", "coordinates": [hexgrid.boundary(cell)]},
        "properties": {
            "h3": hexgrid.to_str(cell),
            "resolution": hexgrid.resolution_of(cell),
            **figures,
        },
    }


def area_feature(code: str, level: int, figures: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": code,
        "geometry": None,
        "properties": {"code": code, "level": level, **figures},
    }
