"""Queries that long outputs need beside a page: where a download ends, counts, extents,
and the newest reports first (Open311)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping

from mapping.storage import dialect
from mapping.storage.reports import ReportQuery, report_columns, report_filters
from mapping.storage.tables import audit_log, reports


def download_bound(conn: Connection, q: ReportQuery, cap: int | None) -> tuple[int, bool]:
    """The storage sequence of the last report a download of `q` holds, and whether more
    reports follow it.

    Without `cap` that is the last report stored now, so reports that arrive while a download
    is written are left out of it (and a table's two passes see the same rows); with `cap` it
    is the cap-th report, so a download of `limit` reports ends exactly where the page of that
    `limit` ends, and its `next` link is the page's.
    """
    where = report_filters(conn, q)
    if cap is not None:
        query = sa.select(reports.c.seq).where(*where).order_by(reports.c.seq)
        found = list(conn.scalars(query.offset(cap - 1).limit(2)))
        if found:
            return int(found[0]), len(found) > 1
    last = conn.scalar(sa.select(sa.func.max(reports.c.seq)).where(*where))
    return (int(last) if last is not None else 0), False


def data_version(conn: Connection) -> tuple[Any, ...]:
    """Changes whenever reports are added or moderated (for caches of what they add up to)."""
    stored = conn.execute(sa.select(sa.func.count(), sa.func.max(reports.c.seq))).one()
    moderated = conn.scalar(sa.select(sa.func.max(audit_log.c.seq)))
    return (*stored, moderated)


def count(conn: Connection, q: ReportQuery) -> int:
    """How many reports `q` selects."""
    query = sa.select(sa.func.count()).select_from(reports).where(*report_filters(conn, q))
    return int(conn.scalar(query) or 0)


def newest(conn: Connection, q: ReportQuery) -> list[RowMapping]:
    """The newest `q.limit` reports by observation time that `q` selects."""
    query = (
        sa.select(*report_columns(q.placement))
        .where(*report_filters(conn, q))
        .order_by(q.placement.observed_column.desc(), reports.c.seq.desc())
        .limit(q.limit)
    )
    return list(conn.execute(query).mappings())


def last_changes(conn: Connection, report_ids: list[Any]) -> dict[Any, datetime]:
    """The time of the latest moderation change of each of `report_ids` that has one."""
    if not report_ids:
        return {}
    query = (
        sa.select(audit_log.c.report_id, sa.func.max(audit_log.c.at))
        .where(audit_log.c.report_id.in_(report_ids))
        .group_by(audit_log.c.report_id)
    )
    return {rid: at for rid, at in conn.execute(query)}


def extent(conn: Connection, q: ReportQuery) -> tuple[list[float] | None, list[datetime | None]]:
    """The bbox (min lon, min lat, max lon, max lat) and the observation interval of the reports
    `q` selects, by the columns of its placement (so a public extent never gives a sensitive
    report's point away)."""
    geom, observed = q.placement.geom_column, q.placement.observed_column
    lon, lat = dialect.point_lon(geom), dialect.point_lat(geom)
    row = conn.execute(
        sa.select(
            sa.func.min(lon),
            sa.func.min(lat),
            sa.func.max(lon),
            sa.func.max(lat),
            sa.func.min(observed),
            sa.func.max(observed),
        ).where(*report_filters(conn, q))
    ).one()
    box = [float(v) for v in row[:4]] if row[0] is not None else None
    return box, [row[4], row[5]]
