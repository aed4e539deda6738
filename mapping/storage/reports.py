"""Reading and writing report rows. Functions take a connection; the caller owns the transaction."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping

from mapping.storage import dialect
from mapping.storage.tables import AREA_LEVELS, instance, reports

Box = tuple[float, float, float, float]

# What the public may see; `hidden` and `rejected` reports are for moderators.
PUBLIC_STATUSES = ("pending", "verified", "duplicate")


@dataclass(frozen=True, slots=True)
class Placement:
    """Which of a report's place and time columns a query reads: the exact ones, or the ones
    the public may know (fixed at ingest). mapping.disclosure decides which a caller gets;
    storage only follows, in filters, ordering, grouping and the rows it returns."""

    name: str
    geom: str
    h3: str
    observed_at: str
    area_prefix: str

    @property
    def geom_column(self) -> sa.Column[Any]:
        return reports.c[self.geom]

    @property
    def h3_column(self) -> sa.Column[Any]:
        return reports.c[self.h3]

    @property
    def observed_column(self) -> sa.Column[Any]:
        return reports.c[self.observed_at]

    def area(self, level: int) -> sa.Column[Any]:
        return reports.c[f"{self.area_prefix}{level}"]

    def areas(self) -> list[sa.Column[Any]]:
        return [self.area(level) for level in AREA_LEVELS]


EXACT = Placement("exact", "geom", "h3", "observed_at", "area_")
PUBLIC = Placement("public", "public_geom", "public_h3", "public_observed_at", "public_area_")
# Columns no row leaves storage with: the placement columns (a row carries one set, under the
# exact names) and the record key, which only the cell key sums read.
_PLACED = {
    name
    for p in (EXACT, PUBLIC)
    for name in (p.geom, p.h3, p.observed_at, *(f"{p.area_prefix}{lv}" for lv in AREA_LEVELS))
}
_NEVER_READ = _PLACED | {"record_key"}


def _public_duplicate_of() -> sa.ColumnElement[Any]:
    """`duplicate_of` as the public sees it: null where it names a sensitive report, whose
    point it would place on this one's. Built once, so every page's query is the same
    statement (and compiled once)."""
    original = reports.alias("original")
    names_sensitive = (
        sa.select(original.c.id)
        .where(original.c.id == reports.c.duplicate_of, original.c.sensitive)
        .exists()
    )
    return sa.type_coerce(
        sa.case((names_sensitive, sa.null()), else_=reports.c.duplicate_of),
        reports.c.duplicate_of.type,
    )


_PUBLIC_DUPLICATE_OF = _public_duplicate_of()


@dataclass(frozen=True, slots=True)
class ReportQuery:
    """Filters of a report listing; every member that is None or empty does not filter.

    `placement` says which columns place the reports in space and time: the public ones unless
    the caller was given the exact ones (mapping.disclosure.publish.View.placement).
    """

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
    placement: Placement = PUBLIC
    include_sensitive: bool = True


def report_columns(placement: Placement = PUBLIC) -> list[sa.ColumnElement[Any]]:
    """The columns a report row is read with: all but the geometry and the record key, with
    `h3`, `observed_at`, `area_N`, `lon` and `lat` taken from `placement`."""
    plain = [c for c in reports.c if c.name not in _NEVER_READ | {"duplicate_of"}]
    geom = placement.geom_column
    duplicate_of = reports.c.duplicate_of if placement is EXACT else _PUBLIC_DUPLICATE_OF
    return [
        *plain,
        duplicate_of.label("duplicate_of"),
        placement.h3_column.label("h3"),
        placement.observed_column.label("observed_at"),
        *(placement.area(level).label(f"area_{level}") for level in AREA_LEVELS),
        dialect.point_lon(geom).label("lon"),
        dialect.point_lat(geom).label("lat"),
    ]


def insert_rows(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> dict[uuid.UUID, int]:
    """Insert the rows whose client id is new; their client ids with the sequence they got.

    On PostgreSQL several rows go in by COPY (`_copy_new_rows`). Elsewhere, and for one row, a
    plain executemany (pipelined by psycopg), then one look-up by the ids made for these rows:
    a stored row with one of them was inserted now. (RETURNING would make SQLAlchemy send
    multi-row statements too long for psycopg's statement cache, parsed anew each time.)
    """
    if not rows:
        return {}
    if len(rows) > 1 and not dialect.is_sqlite(conn):
        return _copy_new_rows(conn, rows)
    conn.execute(dialect.insert_ignoring_conflicts(conn, reports, "client_id"), list(rows))
    ids = [row["id"] for row in rows]
    inserted: dict[uuid.UUID, int] = {}
    for start in range(0, len(ids), 1000):
        query = sa.select(reports.c.client_id, reports.c.seq).where(
            reports.c.id.in_(ids[start : start + 1000])
        )
        inserted.update({cid: seq for cid, seq in conn.execute(query)})
    return inserted


def _copy_new_rows(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> dict[uuid.UUID, int]:
    """PostgreSQL: the rows COPYed straight into reports (`dialect.copy_into`), in a savepoint.

    A new batch's client ids are new, so the COPY is tried first, with no look-up before it.
    A client id already stored (a batch sent again, or one that a concurrent writer has just
    committed) fails it; the savepoint undoes it, and the rows go through the staging table of
    `dialect.copy_ignoring_conflicts` instead, which skips every known client id. That is the
    slower way (every row is written twice), for steps that hold known client ids.
    """
    try:
        with conn.begin_nested():
            seqs = dialect.copy_into(conn, reports, rows, "seq")
        return {row["client_id"]: seq for row, seq in zip(rows, seqs, strict=True)}
    except sa.exc.IntegrityError:
        moved = dialect.copy_ignoring_conflicts(
            conn, reports, rows, "client_id", returning=("client_id", "seq")
        )
        return {cid: seq for cid, seq in moved}


def add_flag(conn: Connection, seqs: Sequence[int], flag: str) -> None:
    """Add the quality `flag` to the reports `seqs`."""
    if not seqs:
        return
    rows = conn.execute(
        sa.select(reports.c.seq, reports.c.quality).where(dialect.among(conn, reports.c.seq, seqs))
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


def get_by_client_id(
    conn: Connection, client_id: uuid.UUID, placement: Placement = PUBLIC
) -> RowMapping | None:
    query = sa.select(*report_columns(placement)).where(reports.c.client_id == client_id)
    return conn.execute(query).mappings().first()


def get_report(
    conn: Connection, report_id: uuid.UUID, *, placement: Placement
) -> RowMapping | None:
    query = sa.select(*report_columns(placement)).where(reports.c.id == report_id)
    return conn.execute(query).mappings().first()


def list_reports(conn: Connection, q: ReportQuery) -> tuple[list[RowMapping], int | None]:
    """A page of reports in the order they were stored, and the key to resume after it.

    Paging is by key (the storage sequence), so a report stored while a client pages through
    the list comes at the end instead of shifting the pages.
    """
    query = (
        sa.select(*report_columns(q.placement))
        .where(*report_filters(conn, q))
        .order_by(reports.c.seq)
    )
    rows = list(conn.execute(query.limit(q.limit + 1)).mappings())
    more = len(rows) > q.limit
    rows = rows[: q.limit]
    return rows, rows[-1]["seq"] if more else None


def newest_reports(conn: Connection, q: ReportQuery) -> list[RowMapping]:
    """The newest `q.limit` reports that `q` selects, newest first (by storage order): what
    feeds list."""
    query = sa.select(*report_columns(q.placement)).where(*report_filters(conn, q))
    return list(conn.execute(query.order_by(reports.c.seq.desc()).limit(q.limit)).mappings())


def report_filters(conn: Connection, q: ReportQuery) -> list[sa.ColumnElement[bool]]:
    """The WHERE clauses of `q`, on the columns of its placement only."""
    c, placed = reports.c, q.placement
    where: list[sa.ColumnElement[bool]] = [c.status.in_(list(q.statuses))]
    if not q.include_sensitive:
        where.append(~c.sensitive)
    if q.after is not None:
        where.append(c.seq > q.after)
    if q.boxes:
        where.append(dialect.within_boxes(conn, reports, q.boxes, geom=placed.geom))
    if q.kind:
        where.append(c.kind == q.kind)
    if q.category:
        where.append(c.category == q.category)
    if q.since:
        where.append(placed.observed_column >= q.since)
    if q.until:
        where.append(placed.observed_column < q.until)
    if q.campaign:
        where.append(c.campaign == q.campaign)
    if q.area:
        where.append(sa.or_(*(col == q.area for col in placed.areas())))
    return where


def located_batch(conn: Connection, *, after: int, size: int) -> list[RowMapping]:
    """The next `size` reports after `after` (by storage order), with what placing them needs:
    seq, quality, sensitive, h3, observed_at and the exact lon and lat."""
    query = (
        sa.select(
            reports.c.seq,
            reports.c.quality,
            reports.c.sensitive,
            reports.c.h3,
            reports.c.observed_at,
            dialect.point_lon(reports.c.geom).label("lon"),
            dialect.point_lat(reports.c.geom).label("lat"),
        )
        .where(reports.c.seq > after)
        .order_by(reports.c.seq)
        .limit(size)
    )
    return list(conn.execute(query).mappings())


PLACEMENT_COLUMNS = (
    "quality",
    "public_geom",
    "public_h3",
    "public_observed_at",
    *(c.name for p in (EXACT, PUBLIC) for c in p.areas()),
)


def update_placement(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    """Write new area codes, public columns and quality flags (PLACEMENT_COLUMNS), by `seq`."""
    if not rows:
        return
    statement = (
        sa.update(reports)
        .where(reports.c.seq == sa.bindparam("key"))
        .values({c: sa.bindparam(f"v_{c}") for c in PLACEMENT_COLUMNS})
    )
    conn.execute(
        statement,
        [{"key": r["seq"], **{f"v_{c}": r.get(c) for c in PLACEMENT_COLUMNS}} for r in rows],
    )


def count(conn: Connection) -> int:
    return int(conn.scalar(sa.select(sa.func.count()).select_from(reports)) or 0)


_PUBLIC_RESOLUTION = "public_resolution"


def public_resolution_made(conn: Connection) -> int | None:
    """The public resolution the stored public columns were made at; None if unknown (a new
    schema, or the migration that added them)."""
    value = conn.scalar(sa.select(instance.c.value).where(instance.c.key == _PUBLIC_RESOLUTION))
    return int(value) if value is not None else None


def set_public_resolution_made(conn: Connection, resolution: int) -> None:
    conn.execute(sa.delete(instance).where(instance.c.key == _PUBLIC_RESOLUTION))
    conn.execute(sa.insert(instance).values(key=_PUBLIC_RESOLUTION, value=str(resolution)))
