"""Rows of observer effort: visits and the cells each touched. The caller owns the transaction."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping

from mapping import hexgrid
from mapping.storage import dialect
from mapping.storage.reports import ReportQuery
from mapping.storage.tables import effort_cells, effort_visits

_JOINED = effort_cells.join(effort_visits, effort_visits.c.seq == effort_cells.c.visit_seq)


def insert_visit(
    conn: Connection, visit: Mapping[str, Any], cells: Sequence[Mapping[str, Any]]
) -> int | None:
    """Store a visit and its cells; None (nothing written) when its client id is taken."""
    statement = (
        dialect.insert_ignoring_conflicts(conn, effort_visits, "client_id")
        .values(**visit)
        .returning(effort_visits.c.seq)
    )
    seq = conn.execute(statement).scalar()
    if seq is None:
        return None
    if cells:
        conn.execute(sa.insert(effort_cells), [{**cell, "visit_seq": seq} for cell in cells])
    return int(seq)


def get_by_client_id(conn: Connection, client_id: uuid.UUID) -> RowMapping | None:
    query = sa.select(effort_visits).where(effort_visits.c.client_id == client_id)
    return conn.execute(query).mappings().first()


def effort_filters(q: ReportQuery) -> list[sa.ColumnElement[bool]]:
    """The report filters that apply to effort: kind, campaign, time (on `started_at`), area.

    Effort has no category (a visit looks for a kind of thing), no moderation status and no
    sensitive flag, so those filters do not narrow it; bboxes are applied by the caller to the
    units, as for reports.
    """
    v = effort_visits.c
    where: list[sa.ColumnElement[bool]] = []
    if q.kind:
        where.append(v.kind == q.kind)
    if q.campaign:
        where.append(v.campaign == q.campaign)
    if q.since:
        where.append(v.started_at >= q.since)
    if q.until:
        where.append(v.started_at < q.until)
    if q.area:
        where.append(sa.or_(*(c == q.area for c in effort_cells.c if c.name.startswith("area_"))))
    return where


def visits_by(
    conn: Connection,
    unit: sa.ColumnElement[Any],
    q: ReportQuery,
    *,
    where: Iterable[sa.ColumnElement[bool]] = (),
) -> dict[Any, int]:
    """How many distinct visits touched each `unit` (an expression over effort_cells)."""
    key = unit.label("unit")
    query = (
        sa.select(key, sa.func.count(sa.distinct(effort_cells.c.visit_seq)))
        .select_from(_JOINED)
        .where(*effort_filters(q), *where)
        .group_by(key)
    )
    return {u: int(n) for u, n in conn.execute(query) if u is not None}


def count_units(
    conn: Connection,
    unit: sa.ColumnElement[Any],
    q: ReportQuery,
    *,
    where: Iterable[sa.ColumnElement[bool]] = (),
) -> int:
    """How many distinct `unit`s the selected visits touched."""
    query = (
        sa.select(sa.func.count(sa.distinct(unit)))
        .select_from(_JOINED)
        .where(*effort_filters(q), *where)
    )
    return int(conn.scalar(query) or 0)


def count_visits(conn: Connection, q: ReportQuery) -> int:
    """How many visits `q` selects by kind, campaign and time (not by area)."""
    where = effort_filters(replace(q, area=None))
    query = sa.select(sa.func.count()).select_from(effort_visits).where(*where)
    return int(conn.scalar(query) or 0)


def stored_resolution(conn: Connection) -> int | None:
    """The H3 resolution of the newest visit's cells (the one effort is stored at now); None
    before any effort is stored."""
    cell = conn.scalar(
        sa.select(effort_cells.c.h3).order_by(effort_cells.c.visit_seq.desc()).limit(1)
    )
    return None if cell is None else hexgrid.resolution_of(int(cell))


def cells_of_visits_after(conn: Connection, *, after: int, visits: int) -> list[RowMapping]:
    """The cells (visit_seq, h3) of the next `visits` visits after `after`, by storage order."""
    chosen = (
        sa.select(effort_visits.c.seq)
        .where(effort_visits.c.seq > after)
        .order_by(effort_visits.c.seq)
        .limit(visits)
    )
    query = (
        sa.select(effort_cells.c.visit_seq, effort_cells.c.h3)
        .where(effort_cells.c.visit_seq.in_(chosen.scalar_subquery()))
        .order_by(effort_cells.c.visit_seq, effort_cells.c.h3)
    )
    return list(conn.execute(query).mappings())


def update_cell_areas(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    """Write new area codes of cells, keyed by (visit_seq, h3)."""
    if not rows:
        return
    columns = [c.name for c in effort_cells.c if c.name.startswith("area_")]
    statement = (
        sa.update(effort_cells)
        .where(
            effort_cells.c.visit_seq == sa.bindparam("k_visit"),
            effort_cells.c.h3 == sa.bindparam("k_h3"),
        )
        .values({c: sa.bindparam(f"v_{c}") for c in columns})
    )
    conn.execute(
        statement,
        [
            {"k_visit": r["visit_seq"], "k_h3": r["h3"], **{f"v_{c}": r.get(c) for c in columns}}
            for r in rows
        ],
    )
