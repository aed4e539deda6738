"""Webhooks and their deliveries (an outbox). Functions take a connection; the caller owns the
transaction."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping

from mapping.storage import dialect
from mapping.storage.tables import webhook_deliveries, webhooks

_d = webhook_deliveries.c


def insert_webhook(conn: Connection, **values: Any) -> None:
    conn.execute(sa.insert(webhooks).values(**values))


def list_webhooks(conn: Connection) -> list[RowMapping]:
    query = sa.select(webhooks).order_by(webhooks.c.created_at, webhooks.c.id)
    return list(conn.execute(query).mappings())


def get_webhook(conn: Connection, webhook_id: uuid.UUID) -> RowMapping | None:
    return conn.execute(sa.select(webhooks).where(webhooks.c.id == webhook_id)).mappings().first()


def delete_webhook(conn: Connection, webhook_id: uuid.UUID) -> bool:
    """Remove a webhook with its deliveries, sent or not; False when there was none."""
    conn.execute(sa.delete(webhook_deliveries).where(_d.webhook_id == webhook_id))
    return bool(conn.execute(sa.delete(webhooks).where(webhooks.c.id == webhook_id)).rowcount)


def insert_deliveries(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    if rows:
        conn.execute(sa.insert(webhook_deliveries), list(rows))


def _due(now: datetime) -> sa.ColumnElement[bool]:
    """Due for an attempt: waiting and its time has come, or claimed by a worker whose lease ran
    out (it stopped or crashed mid-delivery)."""
    return sa.or_(
        sa.and_(_d.status == "due", _d.next_at <= now),
        sa.and_(_d.status == "leased", _d.lease_until < now),
    )


def claim_due(
    conn: Connection, *, now: datetime, lease_until: datetime, limit: int
) -> list[RowMapping]:
    """Claim up to `limit` due deliveries for this worker until `lease_until`, counting the
    attempt now; the claimed rows.

    One UPDATE claims them, so two workers (threads, processes, machines) never claim the same
    row: PostgreSQL skips rows another claim has locked and re-checks `due` on the rows it
    updates; SQLite runs one writer at a time.
    """
    # A read first, so that an idle poll takes no write lock (SQLite has only one).
    if conn.scalar(sa.select(_d.seq).where(_due(now)).limit(1)) is None:
        return []
    pick = sa.select(_d.seq).where(_due(now)).order_by(_d.next_at, _d.seq).limit(limit)
    statement = (
        sa.update(webhook_deliveries)
        .where(_d.seq.in_(dialect.skipping_locked(conn, pick)), _due(now))
        .values(status="leased", lease_until=lease_until, attempts=_d.attempts + 1)
        .returning(*webhook_deliveries.c)
    )
    return sorted(conn.execute(statement).mappings(), key=lambda r: r["seq"])


def finish_attempt(conn: Connection, seq: int, **values: Any) -> None:
    """Write the outcome of an attempt (status, times, last status code or error, log)."""
    conn.execute(sa.update(webhook_deliveries).where(_d.seq == seq).values(**values))


def list_deliveries(
    conn: Connection, webhook_id: uuid.UUID, *, limit: int, before: int | None = None
) -> list[RowMapping]:
    """A webhook's deliveries, newest first; `before` pages on by storage order."""
    query = sa.select(webhook_deliveries).where(_d.webhook_id == webhook_id)
    if before is not None:
        query = query.where(_d.seq < before)
    return list(conn.execute(query.order_by(_d.seq.desc()).limit(limit)).mappings())
