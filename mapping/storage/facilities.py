"""Reading and writing official facility lists. The caller owns the transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mapping import hexgrid
from mapping.storage import dialect
from mapping.storage.tables import AREA_LEVELS, facilities


class Placer(Protocol):
    """What places points in areas (an AreaIndex), named here so storage imports no areas."""

    def __bool__(self) -> bool: ...

    def assign(
        self, lons: Sequence[float], lats: Sequence[float]
    ) -> dict[int, list[str | None]]: ...


def replace_list(
    conn: Connection, rows: pd.DataFrame, *, source: str, areas: Placer | None = None
) -> int:
    """Store `rows` (a FacilityList's rows) as the list `source`, replacing its earlier version.

    Each facility gets its resolution-15 H3 cell and the code of every area that holds it, as
    reports do, so coverage can group and filter them the same way.
    """
    conn.execute(sa.delete(facilities).where(facilities.c.source == source))
    if rows.empty:
        return 0
    lons, lats = rows["lon"].tolist(), rows["lat"].tolist()
    cells = hexgrid.cells_at(lons, lats)
    placed = areas.assign(lons, lats) if areas else {}
    now = datetime.now(UTC)
    records: list[dict[str, Any]] = []
    for i, r in enumerate(rows.itertuples(index=False)):
        record = {
            "source": source,
            "code": r.code,
            "name": r.name[:300],
            "category": r.category,
            "type": r.type[:100] or None,
            "type_raw": r.type_raw[:100] or None,
            "ownership": r.ownership[:100] or None,
            "attributes": r.attributes,
            "status": getattr(r, "status", "") or None,
            "tier": _tier(getattr(r, "tier", None)),
            "h3": cells[i],
            "imported_at": now,
            "geom": dialect.point_ewkt(r.lon, r.lat),
        }
        for level in AREA_LEVELS:
            record[f"area_{level}"] = placed[level][i] if level in placed else None
        records.append(record)
    for start in range(0, len(records), 5000):
        conn.execute(sa.insert(facilities), records[start : start + 5000])
    return len(records)


def count_by_category(conn: Connection) -> dict[str, int]:
    query = sa.select(facilities.c.category, sa.func.count()).group_by(facilities.c.category)
    return {category: n for category, n in conn.execute(query)}


def _tier(value: object) -> int | None:
    if value is None or value != value:  # None or NaN: no tier
        return None
    return int(value)  # type: ignore[call-overload]
