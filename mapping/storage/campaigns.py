"""Campaigns: a named effort with a kind, categories, an area and a time window."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping

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
