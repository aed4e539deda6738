"""Figures for people rather than programs: headline counts, an area's scorecard and its trend.

Everything here is published, so every count goes through the same suppression as the API's
aggregates: counts below the threshold are hidden, and where a total is published beside its
parts (kinds of a total, months of a year) further parts are hidden until no total minus the
published parts gives a hidden count away.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import shapely
import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping

from mapping.analysis import aggregate, indicators, units
from mapping.disclosure.publish import rfc3339
from mapping.disclosure.suppress import protect
from mapping.storage import areas as area_store
from mapping.storage.reports import PUBLIC_STATUSES, ReportQuery, report_filters
from mapping.storage.tables import areas, reports
from mapping.taxonomy import KINDS

TREND_MONTHS = 12


def headline_counts(conn: Connection, *, threshold: int) -> dict[str, Any]:
    """Public reports in all and by kind, areas stored, and when the last report came in."""
    query = (
        sa.select(reports.c.kind, sa.func.count(), sa.func.max(reports.c.received_at))
        .where(reports.c.status.in_(PUBLIC_STATUSES))
        .group_by(reports.c.kind)
    )
    rows = conn.execute(query).all()
    by_kind = {kind: 0 for kind in KINDS} | {kind: int(n) for kind, n, _ in rows}
    total = sum(by_kind.values())
    hidden = set(by_kind) if 0 < total < threshold else protect(by_kind, threshold)
    latest = max((at for _, _, at in rows if at is not None), default=None)
    return {
        "reports": None if 0 < total < threshold else total,
        "by_kind": {kind: None if kind in hidden else n for kind, n in by_kind.items()},
        "areas": len(area_store.list_areas(conn)),
        "last_received": _day(latest),
    }


def area_figures(
    conn: Connection, area: Mapping[Any, Any], *, threshold: int, q: ReportQuery | None = None
) -> dict[str, Any]:
    """One area's published counts (as in the area aggregates) and its SDG indicators."""
    q = q or ReportQuery()
    code, level = area["code"], area["level"]
    # By the public placement, as every other count: a sensitive report's exact area is not
    # the area of its public cell.
    unit = units.area_unit(conn, level, code, q)
    summary = aggregate.summarise(unit, threshold=threshold)
    table = indicators.area_indicators(conn, q, level=level, threshold=threshold, code=code)
    return {
        "code": code,
        "name": area["name"],
        "level": level,
        "parent": area["parent"],
        **summary,
        "indicators": {"sdg_16_6_2": table[0]["sdg_16_6_2"], "sdg_14_1_1": table[0]["sdg_14_1_1"]},
        "representativeness": table[0]["representativeness"],
    }


def area_scorecard(
    conn: Connection, code: str, *, threshold: int, now: datetime | None = None
) -> dict[str, Any] | None:
    """Everything the public scorecard of area `code` shows, or None when there is no such area."""
    area = area_store.get_area(conn, code)
    if area is None:
        return None
    q = ReportQuery(area=code)
    return {
        **area_figures(conn, area, threshold=threshold, q=q),
        "boundary_updated": _day(area["updated_at"]),
        "last_received": _day(_last_received(conn, q)),
        "trend": monthly_trend(conn, q, threshold=threshold, now=now),
        "threshold": threshold,
    }


def monthly_trend(
    conn: Connection,
    q: ReportQuery,
    *,
    threshold: int,
    months: int = TREND_MONTHS,
    now: datetime | None = None,
) -> list[dict[str, Any]]:
    """Reports and the SDG 16.6.2 satisfied share per calendar month (UTC), oldest first, for
    the last `months` months including the current one."""
    keys = _month_keys(now or datetime.now(UTC), months)
    first_year, first_month = keys[0]
    since = datetime(first_year, first_month, 1, tzinfo=UTC)
    counts = _month_counts(conn, q, since)
    reported: dict[Hashable, int] = {key: counts.get(key, (0, 0, 0))[0] for key in keys}
    rated: dict[Hashable, int] = {key: counts.get(key, (0, 0, 0))[1] for key in keys}
    hidden_reports, hidden_rated = protect(reported, threshold), protect(rated, threshold)
    trend = []
    for key in keys:
        _, n, satisfied = counts.get(key, (0, 0, 0))
        share_hidden = key in hidden_rated or key in hidden_reports
        trend.append(
            {
                "month": f"{key[0]:04d}-{key[1]:02d}",
                "reports": None if key in hidden_reports else reported[key],
                "rated": None if share_hidden else n,
                "satisfied_share": None if share_hidden or not n else round(satisfied / n, 4),
                "suppressed": key in hidden_reports,
            }
        )
    return trend


def _month_counts(
    conn: Connection, q: ReportQuery, since: datetime
) -> dict[tuple[int, int], tuple[int, int, int]]:
    """(year, month) -> (reports, rated, satisfied). SQLAlchemy compiles `extract` for both
    backends (strftime on SQLite), so no dialect switch is needed."""
    year = sa.extract("year", q.placement.observed_column)
    month = sa.extract("month", q.placement.observed_column)
    satisfied = sa.func.sum(sa.case((reports.c.satisfaction >= 3, 1), else_=0))
    query = (
        sa.select(year, month, sa.func.count(), sa.func.count(reports.c.satisfaction), satisfied)
        .where(*report_filters(conn, replace(q, since=since)))
        .group_by(year, month)
    )
    return {
        (int(y), int(m)): (int(n), int(r), int(s or 0)) for y, m, n, r, s in conn.execute(query)
    }


def _month_keys(now: datetime, months: int) -> list[tuple[int, int]]:
    index = now.year * 12 + now.month - 1
    return [(i // 12, i % 12 + 1) for i in range(index - months + 1, index + 1)]


def _last_received(conn: Connection, q: ReportQuery) -> datetime | None:
    query = sa.select(sa.func.max(reports.c.received_at)).where(*report_filters(conn, q))
    value = conn.execute(query).scalar()
    return value if isinstance(value, datetime) else None


def _day(value: datetime | RowMapping | None) -> str | None:
    """A time as its UTC day: the pages say when, not the second a report came in."""
    if not isinstance(value, datetime):
        return None
    return rfc3339(value)[:10]


def coarsest_areas(conn: Connection) -> list[dict[str, str]]:
    """Code and name of every area of the coarsest level stored, for lists of scorecards."""
    levels = area_store.levels(conn)
    if not levels:
        return []
    return [
        {"code": a["code"], "name": a["name"]} for a in area_store.list_areas(conn, level=levels[0])
    ]


def areas_extent(conn: Connection) -> tuple[tuple[float, float], tuple[float, float]] | None:
    """((south, west), (north, east)) of the stored areas of the coarsest level, for opening a
    map on them; None when no areas are stored. Only envelopes leave the database, so this
    stays cheap however detailed the outlines are."""
    levels = area_store.levels(conn)
    if not levels:
        return None
    query = sa.select(sa.func.ST_AsBinary(sa.func.ST_Envelope(areas.c.geom))).where(
        areas.c.level == levels[0]
    )
    envelopes = [shapely.from_wkb(bytes(wkb)) for wkb in conn.scalars(query)]
    west, south, east, north = shapely.total_bounds(envelopes)
    return (float(south), float(west)), (float(north), float(east))
