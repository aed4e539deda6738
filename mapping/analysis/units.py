"""Where an aggregate's sums come from: the tallies where they can answer, the reports elsewhere.

The tallies (mapping.storage.tallies) hold the public reports' sums per cell at a few
resolutions and per area, so that an answer costs what it shows, not what is stored. They
answer a query by the public placement, over the public statuses, without a campaign, area or
cursor filter:

- hexagons up to resolution 7, read at the nearest tallied resolution at least as fine (3 by
  month, 5 and 7 for all time), so with `since` or `until` only up to resolution 3;
- areas of any level, tallied by month.

Months wholly inside [since, until) come from the tallies, and the days at either end from the
reports. Any other query, a planner's by exact places or a moderator's over other statuses
among them, groups the reports (mapping.analysis.sums.tally_units); both give the same sums,
which the tests check.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import h3
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mapping import hexgrid
from mapping.analysis.sums import Tally, Unit, tally_units
from mapping.storage import dialect
from mapping.storage.reports import PUBLIC, PUBLIC_STATUSES, ReportQuery
from mapping.storage.tables import TALLY_SUMS, area_tallies, hex_tallies
from mapping.storage.tallies import ALL_TIME, HEX_RESOLUTIONS, MONTHLY_RESOLUTION

Box = tuple[float, float, float, float]
# A box is cut into coarse cells, each a range of tallied cell ids, when it needs no more.
_MOST_RANGES = 64


@dataclass(frozen=True, slots=True)
class Grouping:
    """Hexagons at `resolution`, or areas of `level`."""

    resolution: int | None = None
    level: int | None = None

    def scanned(self, q: ReportQuery) -> sa.ColumnElement[Any]:
        """The unit of a report row, for grouping the reports themselves."""
        if self.level is not None:
            return q.placement.area(self.level)
        assert self.resolution is not None
        return hexgrid.sql_parent(q.placement.h3_column, self.resolution)


def units_of(
    conn: Connection, grouping: Grouping, q: ReportQuery, *, tallies: bool = True
) -> dict[Any, Unit]:
    """The units of `grouping` with the sums of the reports `q` selects (a hexagon's reports
    counted whole, whatever the boxes: the caller keeps the hexagons it shows); from the
    tallies where they can answer, unless `tallies` is False."""
    stored = _stored_at(grouping, q) if tallies else None
    months, edges = _months(q)
    if stored is None or months is None:
        return tally_units(conn, grouping.scanned(q), q)
    found = _read(conn, grouping, q, stored, months)
    for edge in edges:
        for key, unit in tally_units(conn, grouping.scanned(q), edge).items():
            found.setdefault(key, Unit(key)).merge(unit)
    return found


def area_unit(conn: Connection, level: int, code: str, q: ReportQuery) -> Unit:
    """The sums of one area of `level` over the reports `q` selects. Its reports all lie in it,
    so a filter by the same area (`q.area`) changes nothing, and the tallies can answer."""
    if q.area == code and _stored_at(Grouping(level=level), replace(q, area=None)) is not None:
        q = replace(q, area=None)
    return units_of(conn, Grouping(level=level), q).get(code) or Unit(code)


def _stored_at(grouping: Grouping, q: ReportQuery) -> int | None:
    """The tallied resolution (or area level) that answers `q`, None where none does."""
    if q.placement is not PUBLIC or sorted(q.statuses) != sorted(PUBLIC_STATUSES):
        return None
    if q.after is not None or q.campaign or q.area:
        return None
    if grouping.level is not None:
        return grouping.level if q.include_sensitive else None
    assert grouping.resolution is not None
    if q.since or q.until:
        return MONTHLY_RESOLUTION if grouping.resolution <= MONTHLY_RESOLUTION else None
    for resolution in sorted((MONTHLY_RESOLUTION, *HEX_RESOLUTIONS)):
        if grouping.resolution <= resolution:
            return resolution
    return None


def month_of(t: datetime) -> int:
    t = t.astimezone(UTC)
    return t.year * 12 + t.month - 1


# The last month a datetime can name (December 9999).
_LAST_MONTH = month_of(datetime.max.replace(tzinfo=UTC))


def month_start(month: int) -> datetime:
    return datetime(month // 12, month % 12 + 1, 1, tzinfo=UTC)


def _months(q: ReportQuery) -> tuple[tuple[int | None, int | None] | None, list[ReportQuery]]:
    """The whole months within [since, until) as (first, last), either open; and the queries of
    the days before and after them. (None, ...) when no whole month lies within."""
    first = last = None
    if q.since is not None:
        first = month_of(q.since)
        if month_start(first) < q.since:
            first += 1
    if q.until is not None:
        last = month_of(q.until) - 1
    if first is not None and first > _LAST_MONTH:
        return None, []  # no month begins after `since`: a date cannot name its start
    if first is not None and last is not None and first > last:
        return None, []
    edges = []
    if first is not None and q.since is not None and q.since < month_start(first):
        edges.append(replace(q, until=month_start(first)))
    if last is not None and q.until is not None and month_start(last + 1) < q.until:
        edges.append(replace(q, since=month_start(last + 1)))
    return (first, last), edges


def _selection(
    grouping: Grouping, q: ReportQuery, stored: int, months: tuple[int | None, int | None]
) -> tuple[sa.Table, sa.ColumnElement[Any], list[sa.ColumnElement[bool]]]:
    """The tally table, its unit (labelled `unit`) and the WHERE that answer `q`."""
    if grouping.level is not None:
        t = area_tallies
        unit: sa.ColumnElement[Any] = t.c.code
        where = [t.c.level == grouping.level]
    else:
        assert grouping.resolution is not None
        t = hex_tallies
        unit = t.c.cell
        if grouping.resolution < stored:
            unit = hexgrid.sql_parent(t.c.cell, grouping.resolution)
        where = [t.c.resolution == stored]
        if not q.include_sensitive:
            where.append(~t.c.sensitive)
        if q.boxes:
            where.append(_within(t.c.cell, q.boxes, grouping.resolution, stored))
        if stored != MONTHLY_RESOLUTION:
            where.append(t.c.month == ALL_TIME)
    first, last = months
    if first is not None:
        where.append(t.c.month >= first)
    if last is not None:
        where.append(t.c.month <= last)
    if q.kind:
        where.append(t.c.kind == q.kind)
    if q.category:
        where.append(t.c.category == q.category)
    return t, unit.label("unit"), where


def _read(
    conn: Connection,
    grouping: Grouping,
    q: ReportQuery,
    stored: int,
    months: tuple[int | None, int | None],
) -> dict[Any, Unit]:
    """Units from the tallies, in three small answers rather than one row per unit, kind,
    category and source: each unit's sums per kind (with how many of its reports were sent
    here), its counts per category, and the imported sources it holds."""
    t, unit, where = _selection(grouping, q, stored, months)
    _room_to_group(conn)
    whole = sa.BigInteger
    sent_here = sa.func.sum(sa.case((t.c.source == "", t.c.reports), else_=0))
    sums = [sa.cast(sa.func.sum(t.c[n]), whole) for n in TALLY_SUMS]
    found: dict[Any, Unit] = {}
    per_kind = sa.select(unit, t.c.kind, sa.cast(sent_here, whole), *sums)
    for key, kind, here, *values in conn.execute(
        per_kind.where(*where).group_by(unit, t.c.kind)
    ).all():
        target = found.get(key)
        if target is None:
            target = found[key] = Unit(key)
        target.kinds[kind] = Tally.of(values)
        if here:
            target.sources.add(None)
    per_category = sa.select(unit, t.c.kind, t.c.category, sa.cast(sa.func.sum(t.c.reports), whole))
    for key, kind, category, n in conn.execute(
        per_category.where(*where).group_by(unit, t.c.kind, t.c.category)
    ).all():
        found[key].by_category[kind][category] = n
    imported = sa.select(unit, t.c.source).where(*where, t.c.source != "").distinct()
    for key, source in conn.execute(imported).all():
        found[key].sources.add(source)
    return found


def _room_to_group(conn: Connection) -> None:
    """On PostgreSQL, memory for this transaction's groupings: with the default 4 MB a
    country's resolution-7 hexagons spill to disk."""
    if not dialect.is_sqlite(conn):
        conn.exec_driver_sql("SET LOCAL work_mem = '64MB'")


def counts_of(
    conn: Connection, grouping: Grouping, q: ReportQuery, *, tallies: bool = True
) -> tuple[dict[Any, int], dict[Any, set[str | None]]]:
    """The number of reports `q` selects in each unit of `grouping` that holds any, and the
    sources of each unit's: what `units_of` counts, without the other sums (the map's compact
    hexagons)."""
    stored = _stored_at(grouping, q) if tallies else None
    months, edges = _months(q)
    if stored is None or months is None:
        found = tally_units(conn, grouping.scanned(q), q)
        return {k: u.reports for k, u in found.items()}, {k: u.sources for k, u in found.items()}
    t, unit, where = _selection(grouping, q, stored, months)
    _room_to_group(conn)
    query = (
        sa.select(unit, t.c.source, sa.cast(sa.func.sum(t.c.reports), sa.BigInteger))
        .where(*where)
        .group_by(unit, t.c.source)
    )
    counts: dict[Any, int] = {}
    sources: dict[Any, set[str | None]] = defaultdict(set)
    for key, source, n in conn.execute(query).all():
        counts[key] = counts.get(key, 0) + int(n)
        sources[key].add(source or None)
    for edge in edges:
        for key, found_unit in tally_units(conn, grouping.scanned(q), edge).items():
            counts[key] = counts.get(key, 0) + found_unit.reports
            sources[key] |= found_unit.sources
    return counts, sources


def _within(
    cell: sa.ColumnElement[int], boxes: Sequence[Box], resolution: int, stored: int
) -> sa.ColumnElement[bool]:
    """Tallied cells (at `stored`) whose ancestor at `resolution` may have its centre in one of
    `boxes`: the descendants of the coarse cells that meet the boxes grown by more than a
    coarse cell's reach, as ranges of cell ids (descendants at one resolution of one cell are a
    run of consecutive ids). Every box, when they would need too many ranges."""
    for coarse in range(min(resolution, stored), -1, -1):
        found: set[int] = set()
        for x0, y0, x1, y1 in hexgrid.widened(boxes, coarse):
            shape = h3.LatLngPoly([(y0, x0), (y0, x1), (y1, x1), (y1, x0)])
            found.update(
                h3.str_to_int(c)
                for c in h3.h3shape_to_cells_experimental(shape, coarse, contain="overlap")
            )
            if len(found) > _MOST_RANGES:
                break
        if len(found) <= _MOST_RANGES:
            return sa.or_(
                *(cell.between(*hexgrid.descendant_range(c, stored)) for c in sorted(found))
            )
    return sa.true()
