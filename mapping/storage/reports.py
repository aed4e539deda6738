"""Reading and writing report rows. Functions take a connection; the caller owns the transaction."""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping

from mapping import hexgrid
from mapping.storage import dialect
from mapping.storage.tables import reports

Box = tuple[float, float, float, float]

# What the public may see; `hidden` and `rejected` reports are for moderators.
PUBLIC_STATUSES = ("pending", "verified", "duplicate")


@dataclass(frozen=True, slots=True)
class ReportQuery:
    """Filters of a report listing; every member that is None or empty does not filter."""

    boxes: Sequence[Box] = ()
    kind: str | None = None
    category: str | None = None
    statuses: Sequence[str] = PUBLIC_STATUSES
    since: datetime | None = None
    until: datetime | None = None
    area: str | None = None
    campaign: str | None = None
    limit: int = 1000
    after: int | None = None
    # When set, sensitive reports match `boxes` by the centre of their cell at this resolution,
    # as the public sees them, so that a box never locates one more finely than its cell.
    generalise_to: int | None = None
    include_sensitive: bool = True


def _columns() -> list[sa.ColumnElement[Any]]:
    plain = [c for c in reports.c if c.name != "geom"]
    return [
        *plain,
        dialect.point_lon(reports.c.geom).label("lon"),
        dialect.point_lat(reports.c.geom).label("lat"),
    ]


def report_columns() -> list[sa.ColumnElement[Any]]:
    """The columns a report row is read with: all but the geometry, plus `lon` and `lat`."""
    return _columns()


def insert_rows(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> dict[uuid.UUID, int]:
    """Insert the rows whose client id is new; their client ids with the sequence they got."""
    if not rows:
        return {}
    # A plain executemany (pipelined by psycopg), then one look-up by the ids made for these
    # rows: a stored row with one of them was inserted now. RETURNING would make SQLAlchemy
    # send multi-row statements too long for psycopg's statement cache, parsed anew each time.
    conn.execute(dialect.insert_ignoring_conflicts(conn, reports, "client_id"), list(rows))
    ids = [row["id"] for row in rows]
    inserted: dict[uuid.UUID, int] = {}
    for start in range(0, len(ids), 1000):
        query = sa.select(reports.c.client_id, reports.c.seq).where(
            reports.c.id.in_(ids[start : start + 1000])
        )
        inserted.update({cid: seq for cid, seq in conn.execute(query)})
    return inserted


def flag_possible_duplicates(
    conn: Connection, seqs: Sequence[int], *, distance_m: float, window_s: float
) -> list[int]:
    """Flag `possible_duplicate` on those of the reports `seqs` that follow an earlier report of
    the same kind and category within `distance_m` metres and `window_s` seconds."""
    if not seqs:
        return []
    new, old = reports.alias("new"), reports.alias("old")
    flagged: list[int] = []
    for start in range(0, len(seqs), 500):
        chunk = list(seqs[start : start + 500])
        # Degrees of longitude shrink towards the poles: size the box for the chunk's highest
        # latitude.
        top = conn.scalar(
            sa.select(sa.func.max(sa.func.abs(dialect.point_lat(reports.c.geom)))).where(
                reports.c.seq.in_(chunk)
            )
        )
        cos = math.cos(math.radians(min(float(top or 0), 89.0)))
        degrees = distance_m / 111_000 / max(cos, 0.01)
        query = (
            sa.select(new.c.seq)
            .distinct()
            .select_from(
                new.join(
                    old,
                    sa.and_(
                        old.c.kind == new.c.kind,
                        old.c.category == new.c.category,
                        old.c.observed_at >= dialect.shifted(conn, new.c.observed_at, -window_s),
                        old.c.observed_at <= dialect.shifted(conn, new.c.observed_at, window_s),
                        # `+ 0` keeps the planner from walking the primary key for this.
                        old.c.seq + 0 < new.c.seq,
                    ),
                )
            )
            .where(new.c.seq.in_(chunk))
            # A box test first (indexed on PostGIS, cheap on SpatiaLite), so the exact
            # geodesic distance is computed only for the few pairs close enough to matter.
            .where(dialect.boxes_within(conn, old.c.geom, new.c.geom, degrees))
            .where(dialect.metres_apart(old.c.geom, new.c.geom, conn) <= distance_m)
        )
        flagged += list(conn.scalars(query))
    add_flag(conn, flagged, "possible_duplicate")
    return flagged


def add_flag(conn: Connection, seqs: Sequence[int], flag: str) -> None:
    """Add the quality `flag` to the reports `seqs`."""
    if not seqs:
        return
    rows = conn.execute(
        sa.select(reports.c.seq, reports.c.quality).where(reports.c.seq.in_(list(seqs)))
    ).all()
    updates = [{"key": seq, "v": [*quality, flag]} for seq, quality in rows if flag not in quality]
    if updates:
        statement = (
            sa.update(reports)
            .where(reports.c.seq == sa.bindparam("key"))
            .values(quality=sa.bindparam("v"))
        )
        conn.execute(statement, updates)


def recent_from(conn: Connection, submitter: str, since: datetime) -> int:
    """How many reports `submitter` sent since `since`."""
    query = sa.select(sa.func.count()).where(
        reports.c.submitter == submitter, reports.c.received_at >= since
    )
    return int(conn.scalar(query) or 0)


def ids_by_client_id(
    conn: Connection, client_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, tuple[uuid.UUID, str]]:
    """For stored client ids: (report id, content hash)."""
    wanted = list(client_ids)
    found: dict[uuid.UUID, tuple[uuid.UUID, str]] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        query = sa.select(reports.c.client_id, reports.c.id, reports.c.content_hash).where(
            reports.c.client_id.in_(chunk)
        )
        found.update({cid: (rid, digest) for cid, rid, digest in conn.execute(query)})
    return found


def get_by_client_id(conn: Connection, client_id: uuid.UUID) -> RowMapping | None:
    query = sa.select(*_columns()).where(reports.c.client_id == client_id)
    return conn.execute(query).mappings().first()


def get_report(conn: Connection, report_id: uuid.UUID) -> RowMapping | None:
    query = sa.select(*_columns()).where(reports.c.id == report_id)
    return conn.execute(query).mappings().first()


def list_reports(conn: Connection, q: ReportQuery) -> tuple[list[RowMapping], int | None]:
    """A page of reports in the order they were stored, and the key to resume after it.

    Paging is by key (the storage sequence), so a report stored while a client pages through
    the list comes at the end instead of shifting the pages.
    """
    query = sa.select(*_columns()).where(*report_filters(conn, q)).order_by(reports.c.seq)
    rows = list(conn.execute(query.limit(q.limit + 1)).mappings())
    more = len(rows) > q.limit
    rows = rows[: q.limit]
    resume = rows[-1]["seq"] if more else None
    if q.boxes and q.generalise_to is not None:
        # A page may come out shorter than the limit; `resume` still follows the last row read.
        rows = [r for r in rows if not r["sensitive"] or _public_in(r, q.boxes, q.generalise_to)]
    return rows, resume


def newest_reports(conn: Connection, q: ReportQuery) -> list[RowMapping]:
    """The newest `q.limit` reports that `q` selects, newest first (by storage order): what
    feeds list."""
    query = sa.select(*_columns()).where(*report_filters(conn, q))
    rows = list(conn.execute(query.order_by(reports.c.seq.desc()).limit(q.limit)).mappings())
    if q.boxes and q.generalise_to is not None:
        rows = [r for r in rows if not r["sensitive"] or _public_in(r, q.boxes, q.generalise_to)]
    return rows


def _public_in(row: RowMapping, boxes: Sequence[Box], resolution: int) -> bool:
    lon, lat = hexgrid.centre(hexgrid.parent(row["h3"], resolution))
    return any(x0 <= lon <= x1 and y0 <= lat <= y1 for x0, y0, x1, y1 in boxes)


def widened(boxes: Sequence[Box], resolution: int) -> list[Box]:
    """Boxes grown by more than the distance from any point to its cell's centre."""
    margin = 3 * hexgrid.edge_length_km(resolution) / 111.0
    widened = []
    for x0, y0, x1, y1 in boxes:
        lat = min(max(abs(y0), abs(y1)) + margin, 89.0)
        lon_margin = min(margin / math.cos(math.radians(lat)), 360.0)
        widened.append(
            (
                max(x0 - lon_margin, -180),
                max(y0 - margin, -90),
                min(x1 + lon_margin, 180),
                min(y1 + margin, 90),
            )
        )
    return widened


def report_filters(conn: Connection, q: ReportQuery) -> list[sa.ColumnElement[bool]]:
    c = reports.c
    where: list[sa.ColumnElement[bool]] = [c.status.in_(list(q.statuses))]
    if not q.include_sensitive:
        where.append(~c.sensitive)
    if q.after is not None:
        where.append(c.seq > q.after)
    if q.boxes and q.generalise_to is None:
        where.append(dialect.within_boxes(conn, reports, q.boxes))
    elif q.boxes and q.generalise_to is not None:
        exact = sa.and_(~c.sensitive, dialect.within_boxes(conn, reports, q.boxes))
        grown = widened(q.boxes, q.generalise_to)
        near = dialect.within_boxes(conn, reports, grown)
        where.append(sa.or_(exact, sa.and_(c.sensitive, near)))
    if q.kind:
        where.append(c.kind == q.kind)
    if q.category:
        where.append(c.category == q.category)
    if q.since:
        where.append(c.observed_at >= q.since)
    if q.until:
        where.append(c.observed_at < q.until)
    if q.campaign:
        where.append(c.campaign == q.campaign)
    if q.area:
        where.append(sa.or_(*(col == q.area for col in area_columns())))
    return where


def area_columns() -> list[sa.Column[Any]]:
    return [c for c in reports.c if c.name.startswith("area_")]


def located_batch(conn: Connection, *, after: int, size: int) -> list[RowMapping]:
    """The next `size` reports after `after` (by storage order): seq, lon, lat, quality."""
    query = (
        sa.select(
            reports.c.seq,
            reports.c.quality,
            dialect.point_lon(reports.c.geom).label("lon"),
            dialect.point_lat(reports.c.geom).label("lat"),
        )
        .where(reports.c.seq > after)
        .order_by(reports.c.seq)
        .limit(size)
    )
    return list(conn.execute(query).mappings())


def update_placement(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    """Write new area codes and quality flags, keyed by `seq`."""
    if not rows:
        return
    columns = ["quality", *(c.name for c in area_columns())]
    statement = (
        sa.update(reports)
        .where(reports.c.seq == sa.bindparam("key"))
        .values({c: sa.bindparam(f"v_{c}") for c in columns})
    )
    conn.execute(
        statement,
        [{"key": r["seq"], **{f"v_{c}": r.get(c) for c in columns}} for r in rows],
    )


def count(conn: Connection) -> int:
    return int(conn.scalar(sa.select(sa.func.count()).select_from(reports)) or 0)
