"""Reading and writing beaches: the survey sites of beach-litter reports (SDG 14.1.1)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping

from mapping.storage import dialect
from mapping.storage.tables import beaches

LISTED = (
    beaches.c.code,
    beaches.c.name,
    beaches.c.country,
    beaches.c.regional_sea,
    beaches.c.water,
    beaches.c.reference_m,
    beaches.c.source,
    beaches.c.created_at,
    dialect.point_lon(beaches.c.geom).label("lon"),
    dialect.point_lat(beaches.c.geom).label("lat"),
)


def _row(values: Mapping[str, Any]) -> dict[str, Any]:
    row = {k: v for k, v in values.items() if k not in ("lon", "lat")}
    row["geom"] = dialect.point_ewkt(values["lon"], values["lat"])
    return row


def insert_beach(conn: Connection, **values: Any) -> bool:
    """Insert a new beach (`lon`, `lat` give its point); False, and nothing written, when its
    code is taken."""
    statement = (
        dialect.insert_ignoring_conflicts(conn, beaches, "code")
        .values(**_row(values))
        .returning(beaches.c.code)
    )
    return conn.execute(statement).scalar() is not None


def save_new_beaches(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert those of `rows` whose code is not stored yet; a stored beach is left as it is."""
    if rows:
        statement = dialect.insert_ignoring_conflicts(conn, beaches, "code")
        conn.execute(statement, [_row(r) for r in rows])


def get_beach(conn: Connection, code: str) -> RowMapping | None:
    return conn.execute(sa.select(*LISTED).where(beaches.c.code == code)).mappings().first()


def list_beaches(conn: Connection, *, codes: Iterable[str] | None = None) -> list[RowMapping]:
    """Every beach (or those of `codes`), by code."""
    query = sa.select(*LISTED).order_by(beaches.c.code)
    if codes is not None:
        query = query.where(beaches.c.code.in_(sorted(set(codes))))
    return list(conn.execute(query).mappings())


def known_codes(conn: Connection, codes: Iterable[str]) -> set[str]:
    """Those of `codes` that name a stored beach."""
    wanted = sorted(set(codes))
    found: set[str] = set()
    for start in range(0, len(wanted), 500):
        query = sa.select(beaches.c.code).where(beaches.c.code.in_(wanted[start : start + 500]))
        found.update(conn.scalars(query))
    return found
