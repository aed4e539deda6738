"""Reading the official register and the citizen reports that check it; planners' reviews.

The caller owns the transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mapping.storage import dialect
from mapping.storage.reports import ReportQuery, report_filters
from mapping.storage.tables import AREA_LEVELS, facilities, facility_reviews, reports

DECISIONS = ("accept", "reject")
EVIDENCE_STATUSES = ("pending", "verified")  # duplicates are not evidence twice


def register_rows(conn: Connection, *, category: str, area: str | None = None) -> pd.DataFrame:
    """The facilities of `category` (within `area`, when given): source, code, name, type,
    ownership, status (the register's, "" where it says nothing), lon, lat, and area codes."""
    t = facilities.c
    query = sa.select(
        t.source,
        t.code,
        t.name,
        t.type,
        t.ownership,
        sa.func.coalesce(t.status, "").label("status"),
        t.tier,
        dialect.point_lon(t.geom).label("lon"),
        dialect.point_lat(t.geom).label("lat"),
        *(t[f"area_{level}"] for level in AREA_LEVELS),
    ).where(t.category == category)
    if area is not None:
        query = query.where(sa.or_(*(t[f"area_{level}"] == area for level in range(6))))
    frame = pd.DataFrame(conn.execute(query.order_by(t.source, t.code)).mappings().all())
    if frame.empty:
        frame = pd.DataFrame(columns=[c.name for c in query.selected_columns])
    return frame


def evidence_rows(conn: Connection, q: ReportQuery, *, category: str) -> pd.DataFrame:
    """Citizen service reports of `category` that `q` selects (its place, period, campaign;
    never moderated away): id, observed_at, moderation status, the state they report
    (operational, partly, closed, "" when they say nothing), the service's name, lon, lat,
    and the codes of the areas holding it (area_0 to area_5), all as `q.placement` places it."""
    wanted = replace(
        q,
        kind="service",
        category=category,
        statuses=[s for s in q.statuses if s in EVIDENCE_STATUSES],
    )
    geom = wanted.placement.geom_column
    query = sa.select(
        reports.c.id,
        wanted.placement.observed_column.label("observed_at"),
        reports.c.status,
        reports.c.attributes,
        dialect.point_lon(geom).label("lon"),
        dialect.point_lat(geom).label("lat"),
        *(wanted.placement.area(level).label(f"area_{level}") for level in AREA_LEVELS),
    ).where(*report_filters(conn, wanted))
    rows = conn.execute(query.order_by(reports.c.seq)).all()
    return pd.DataFrame(
        {
            "id": [r.id for r in rows],
            "observed_at": pd.to_datetime([r.observed_at for r in rows], utc=True),
            "moderation": [r.status for r in rows],
            "state": [(r.attributes or {}).get("status") or "" for r in rows],
            "name": [(r.attributes or {}).get("name") or "" for r in rows],
            "lon": [r.lon for r in rows],
            "lat": [r.lat for r in rows],
            **{f"area_{lv}": [r._mapping[f"area_{lv}"] for r in rows] for lv in AREA_LEVELS},
        }
    )


def decisions(conn: Connection, *, sensitive: bool = True) -> list[tuple[uuid.UUID, str, str, str]]:
    """Every decision (report, facility source, facility code, decision), oldest first; without
    `sensitive`, none on a sensitive report: a planner's match puts a report at a facility, a
    place the public must not learn for a report published only by its cell."""
    t = facility_reviews.c
    query = sa.select(t.report_id, t.facility_source, t.facility_code, t.decision).order_by(t.seq)
    if not sensitive:
        shown = sa.select(reports.c.id).where(reports.c.sensitive.is_(False))
        query = query.where(t.report_id.in_(shown))
    return [tuple(row) for row in conn.execute(query)]  # type: ignore[misc]


def record_decision(
    conn: Connection,
    *,
    report_id: uuid.UUID,
    facility: tuple[str, str],
    decision: str,
    actor_id: uuid.UUID | None,
    actor_name: str,
    note: str | None,
) -> dict[str, object]:
    """Keep a planner's decision; earlier ones stay in the trail."""
    row = {
        "facility_source": facility[0],
        "facility_code": facility[1],
        "report_id": report_id,
        "decision": decision,
        "at": datetime.now(UTC),
        "actor_id": actor_id,
        "actor_name": actor_name[:200],
        "note": note,
    }
    conn.execute(sa.insert(facility_reviews).values(**row))
    return row


def review_trail(
    conn: Connection, *, facility: tuple[str, str] | None = None
) -> Sequence[sa.RowMapping]:
    t = facility_reviews.c
    query = sa.select(facility_reviews).order_by(t.seq)
    if facility is not None:
        query = query.where(t.facility_source == facility[0], t.facility_code == facility[1])
    return conn.execute(query).mappings().all()


def facility_category(conn: Connection, source: str, code: str) -> str | None:
    """The category of the register facility `source:code`; None when there is none."""
    t = facilities.c
    query = sa.select(t.category).where(t.source == source, t.code == code).limit(1)
    return conn.scalar(query)
