"""Rows of report photos. Functions take a connection; the caller owns the transaction."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping

from mapping.storage.tables import report_photos


def insert_photos(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    if rows:
        conn.execute(sa.insert(report_photos), list(rows))


def get_photo(conn: Connection, report_id: uuid.UUID, n: int) -> RowMapping | None:
    query = sa.select(report_photos).where(
        report_photos.c.report_id == report_id, report_photos.c.n == n
    )
    return conn.execute(query).mappings().first()
