"""A checked OGC filter (mapping.standards.ogc_filter) as SQL over the reports' public columns,
on SpatiaLite and PostGIS alike, and the page and count of the reports it selects.

Each queryable of the `reports` collection reads one column of the public placement: the
position is `public_geom` (a sensitive report's cell centre), the observation time
`public_observed_at` (its day), so no filter learns more than the listing shows.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping

from mapping.standards import ogc_predicates as f
from mapping.storage import dialect
from mapping.storage.reports import PUBLIC, ReportQuery, report_columns, report_filters
from mapping.storage.tables import reports

_PLAIN = (
    "kind",
    "category",
    "status",
    "campaign",
    "description",
    "sensitive",
    "satisfaction",
    "severity",
    "people_affected",
    "survey_length_m",
)


def _column(name: str) -> sa.ColumnElement[Any]:
    if name == "observed_at":
        return PUBLIC.observed_column
    if name == "geometry":
        return PUBLIC.geom_column
    if name in _PLAIN:
        return reports.c[name]
    raise KeyError(name)  # the checker lets no other name through


def where(conn: Connection, p: f.Predicate) -> sa.ColumnElement[bool]:
    """`p` as a WHERE clause on the reports table."""
    if isinstance(p, f.All):
        return sa.and_(*(where(conn, part) for part in p.parts))
    if isinstance(p, f.Any_):
        return sa.or_(*(where(conn, part) for part in p.parts))
    if isinstance(p, f.Not):
        return sa.not_(where(conn, p.part))
    if isinstance(p, f.Intersects):
        return _intersects(conn, p)
    if isinstance(p, f.Const):
        return sa.true() if p.value else sa.false()
    column = _column(p.name)
    if isinstance(p, f.IsNull):
        return column.is_(None)
    if isinstance(p, f.InList):
        return column.in_(list(p.values))
    if isinstance(p, f.Like):
        return _like(conn, column, p.pattern)
    other = _column(p.value.name) if isinstance(p.value, f.Ref) else p.value
    return _OPS[p.op](column, other)


_OPS = {
    "=": lambda a, b: a == b,
    "<>": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def _intersects(conn: Connection, p: f.Intersects) -> sa.ColumnElement[bool]:
    """Reports whose public point meets the shape: a box through the spatial index, then the
    exact test where the shape is not its own box."""
    box = dialect.within_boxes(conn, reports, [p.shape.bounds], geom=PUBLIC.geom)
    if p.shape.equals(p.shape.envelope):
        return box
    shape = sa.func.ST_GeomFromText(p.shape.wkt, dialect.SRID)
    return sa.and_(box, sa.func.ST_Intersects(PUBLIC.geom_column, shape) == sa.true())


def _like(conn: Connection, column: sa.ColumnElement[Any], pattern: str) -> sa.ColumnElement[bool]:
    """CQL2 LIKE, which is case-sensitive: PostgreSQL's LIKE is, SQLite's is not (for ASCII),
    so SQLite gets the same pattern as a GLOB."""
    if not dialect.is_sqlite(conn):
        return column.like(pattern, escape="\\")
    glob, chars = [], iter(pattern)
    for c in chars:
        if c == "\\":
            c = next(chars, "\\")
            glob.append(f"[{c}]" if c in "*?[" else c)
        elif c in "%_":
            glob.append("*" if c == "%" else "?")
        else:
            glob.append(f"[{c}]" if c in "*?[" else c)
    return column.op("GLOB")("".join(glob))


def page(
    conn: Connection, q: ReportQuery, p: f.Predicate, offset: int = 0
) -> tuple[list[RowMapping], int | None, int | None, int]:
    """A page of the reports `q` and `p` select, in storage order: its rows, the storage key to
    resume after (paging by key) or, when the page was asked for by `offset`, the offset of the
    next page, and how many reports match in all."""
    clauses = [*report_filters(conn, q), where(conn, p)]
    query = sa.select(*report_columns(q.placement)).where(*clauses).order_by(reports.c.seq)
    if offset:
        query = query.offset(offset)
    rows = list(conn.execute(query.limit(q.limit + 1)).mappings())
    more = len(rows) > q.limit
    rows = rows[: q.limit]
    unpaged = [*report_filters(conn, replace(q, after=None)), where(conn, p)]
    matched = conn.scalar(sa.select(sa.func.count()).select_from(reports).where(*unpaged))
    if not more:
        return rows, None, None, int(matched or 0)
    if offset:
        return rows, None, offset + q.limit, int(matched or 0)
    return rows, rows[-1]["seq"], None, int(matched or 0)
