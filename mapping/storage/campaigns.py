"""Campaigns: a named effort with a kind, categories, an area and a time window."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping

from mapping.storage import dialect
from mapping.storage.tables import campaigns


def save_campaign(conn: Connection, **values: Any) -> None:
    """Insert the campaign, or replace the one with the same slug."""
    values.setdefault("categories", [])
    values.setdefault("demo", False)
    values.setdefault("created_at", datetime.now(UTC))
    conn.execute(sa.delete(campaigns).where(campaigns.c.slug == values["slug"]))
    conn.execute(sa.insert(campaigns).values(**values))


def get_campaign(conn: Connection, slug: str) -> RowMapping | None:
    return conn.execute(sa.select(campaigns).where(campaigns.c.slug == slug)).mappings().first()


def insert_campaign(conn: Connection, **values: Any) -> bool:
    """Insert a new campaign; False (and nothing written) when its slug is taken."""
    statement = (
        dialect.insert_ignoring_conflicts(conn, campaigns, "slug")
        .values(**values)
        .returning(campaigns.c.slug)
    )
    return conn.execute(statement).scalar() is not None


def list_campaigns(conn: Connection, *, active_at: datetime | None = None) -> list[RowMapping]:
    """Every campaign, newest start first; with `active_at`, those running at that time (a
    missing start or end leaves that side open)."""
    query = sa.select(campaigns).order_by(campaigns.c.start.desc().nulls_last(), campaigns.c.slug)
    if active_at is not None:
        query = query.where(
            sa.or_(campaigns.c.start.is_(None), campaigns.c.start <= active_at),
            sa.or_(campaigns.c.end.is_(None), campaigns.c.end > active_at),
        )
    return list(conn.execute(query).mappings())


def campaigns_by_slug(conn: Connection, slugs: Iterable[str]) -> dict[str, RowMapping]:
    wanted = sorted(set(slugs))
    if not wanted:
        return {}
    query = sa.select(campaigns).where(campaigns.c.slug.in_(wanted))
    return {row["slug"]: row for row in conn.execute(query).mappings()}
