"""Census margins per area, dimension and group. The caller owns the transaction."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mapping.storage.tables import census_margins


def replace_margins(
    conn: Connection, margins: Mapping[str, Mapping[str, int]], *, dimension: str, source: str
) -> int:
    """Store `margins` (area code -> group -> population) for `dimension`, replacing what
    those areas had for it; the number of rows written."""
    table = census_margins.c
    conn.execute(
        sa.delete(census_margins).where(
            table.dimension == dimension, table.area_code.in_(list(margins))
        )
    )
    rows = [
        {
            "area_code": code,
            "dimension": dimension,
            "grp": grp,
            "population": int(count),
            "source": source,
        }
        for code, groups in margins.items()
        for grp, count in groups.items()
    ]
    if rows:
        conn.execute(sa.insert(census_margins), rows)
    return len(rows)


def margins_of(
    conn: Connection, codes: Iterable[str], *, dimension: str
) -> dict[str, tuple[dict[str, int], str]]:
    """Area code -> (group -> population, source), for the areas of `codes` that have them."""
    table = census_margins.c
    query = sa.select(table.area_code, table.grp, table.population, table.source).where(
        table.dimension == dimension, table.area_code.in_(list(codes))
    )
    groups: dict[str, dict[str, int]] = defaultdict(dict)
    sources: dict[str, str] = {}
    for code, grp, population, source in conn.execute(query):
        groups[code][grp] = int(population)
        sources[code] = source
    return {code: (dict(g), sources[code]) for code, g in groups.items()}
