"""Where imported data came from: sources with their licence and required credit.

A report's `source` names one (null: a citizen report sent to this installation), as does a
facility list's. A licence of None means the source states none. The caller owns the
transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mapping.storage.tables import facilities, reports, sources


@dataclass(frozen=True, slots=True)
class Source:
    """One origin of data: `license` is an SPDX id (e.g. `CC-BY-4.0`), None where the source
    states none; `credit` is the attribution its terms ask for."""

    id: str
    title: str
    license: str | None = None
    credit: str | None = None
    url: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _source(row: Any) -> Source:
    return Source(row.id, row.title, row.license, row.credit, row.url)


def upsert(conn: Connection, source: Source) -> None:
    """Record `source`, replacing what was recorded under its id before."""
    conn.execute(sa.delete(sources).where(sources.c.id == source.id))
    conn.execute(sa.insert(sources).values(**source.as_dict(), recorded_at=datetime.now(UTC)))


def get(conn: Connection, source_id: str) -> Source | None:
    row = conn.execute(sa.select(sources).where(sources.c.id == source_id)).first()
    return _source(row) if row is not None else None


def list_sources(conn: Connection, ids: Iterable[str] | None = None) -> list[Source]:
    """Every recorded source (those of `ids`, when given), by id."""
    query = sa.select(sources).order_by(sources.c.id)
    if ids is not None:
        query = query.where(sources.c.id.in_(list(ids)))
    return [_source(row) for row in conn.execute(query)]


def report_sources(conn: Connection, where: Sequence[sa.ColumnElement[bool]]) -> list[str | None]:
    """The distinct `source` of the reports that `where` selects (None among them when some
    were sent to this installation): one SELECT DISTINCT on the indexed column."""
    query = sa.select(reports.c.source).distinct().where(*where)
    return list(conn.scalars(query))


def report_source_counts(
    conn: Connection, where: Sequence[sa.ColumnElement[bool]]
) -> dict[str | None, int]:
    """How many of the reports that `where` selects come from each source (None: sent here)."""
    query = sa.select(reports.c.source, sa.func.count()).where(*where).group_by(reports.c.source)
    return {source: int(n) for source, n in conn.execute(query)}


def facility_lists(conn: Connection, *, category: str) -> list[str]:
    """The names of the facility lists that hold facilities of `category`."""
    query = (
        sa.select(facilities.c.source)
        .distinct()
        .where(facilities.c.category == category)
        .order_by(facilities.c.source)
    )
    return list(conn.scalars(query))
