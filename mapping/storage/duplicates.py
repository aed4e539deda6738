"""The `possible_duplicate` flag: a report that follows an earlier one of the same kind and
category, close in place and time.

A survey import sends thousands of reports of one kind, category and time, so every stored report
of that kind could be a candidate. Each new report therefore finds its candidates through the
spatial index, in a box as wide as the distance around its public point (PostGIS's GiST index;
SpatiaLite's R*Tree, which it only uses when asked by rowid), and only those few are compared in
time and measured: the work grows with the batch, not with its square.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mapping.storage import dialect
from mapping.storage.reports import add_flag
from mapping.storage.tables import reports

# New reports checked by one query on SQLite, whose statements take a bounded number of
# parameters; PostgreSQL takes them all in one array parameter (dialect.among).
_CHUNK = 500
# Made once: an alias of the reports table builds its columns anew, a cost paid per query.
_NEW, _OLD = reports.alias("new"), reports.alias("old")


def flag_possible_duplicates(
    conn: Connection, seqs: Sequence[int], *, distance_m: float, window_s: float
) -> list[int]:
    """Flag `possible_duplicate` on those of the reports `seqs` that follow an earlier report of
    the same kind and category within `distance_m` metres and `window_s` seconds.

    The flag is public, so it is decided on public positions and times alone, and never by a
    sensitive earlier report: a probe sent near a sensitive report must learn nothing of where
    it is. (Moderators see sensitive reports' exact points and can judge those pairs.)
    """
    new, old = _NEW, _OLD
    flagged: list[int] = []
    size = _CHUNK if dialect.is_sqlite(conn) else max(len(seqs), 1)
    for start in range(0, len(seqs), size):
        chunk = list(seqs[start : start + size])
        # Degrees of longitude shrink towards the poles: size the box for the chunk's highest
        # latitude. A degree of latitude is at least 110,574 m, of longitude 111,320 m times cos.
        top = conn.scalar(
            sa.select(sa.func.max(sa.func.abs(dialect.point_lat(reports.c.public_geom)))).where(
                dialect.among(conn, reports.c.seq, chunk)
            )
        )
        cos = math.cos(math.radians(min(float(top or 0), 89.0)))
        degrees = distance_m / 110_574 / max(cos, 0.01)
        # Every report of a survey has the same kind, category and time, so `old` must not be
        # reached by their indexes, only by the spatial one; `+ 0` likewise for the primary key.
        at = dialect.unindexed(conn, old.c.public_observed_at)
        same = sa.and_(
            dialect.unindexed(conn, old.c.kind) == new.c.kind,
            old.c.category == new.c.category,
            ~old.c.sensitive,
            at >= dialect.shifted(conn, new.c.public_observed_at, -window_s),
            at <= dialect.shifted(conn, new.c.public_observed_at, window_s),
            old.c.seq + 0 < new.c.seq,
            dialect.metres_apart(old.c.public_geom, new.c.public_geom, conn) <= distance_m,
        )
        reports_near, found = dialect.near(conn, new, old, "public_geom", degrees, same)
        query = (
            sa.select(new.c.seq)
            .select_from(reports_near)
            .where(dialect.among(conn, new.c.seq, chunk), found)
        )
        flagged += list(conn.scalars(query))
    add_flag(conn, flagged, "possible_duplicate")
    return flagged
