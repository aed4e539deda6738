"""Tallies: the sums of the public reports per H3 cell and per area, kept by the database itself.

Every public report (status pending, verified or duplicate, with its public columns made) adds
to one row per unit it falls in:

- `hex_tallies`: its public cell's ancestor at each of HEX_RESOLUTIONS, all time together
  (`month` 0), and at MONTHLY_RESOLUTION month by month;
- `area_tallies`: each area that holds its public position, month by month.

A row is keyed by the unit, the month, kind, category, source (the empty string for a report
sent here) and, for hexagons, whether the report is sensitive (such reports count only at
resolutions up to the public one). Its sums are those of mapping.analysis.sums, in whole
numbers so that adding and taking away is exact: surveyed length in millimetres, and the sum of
the record keys, so that the cell key method can perturb a tallied count as it would a counted
one.

Triggers keep the tallies in the transaction that changes a report: ingest, moderation,
republishing, area assignment and deletion alike, whichever process or command writes. On
PostgreSQL they run once per statement over its transition tables and take a transaction-level
advisory lock first, so that two writers add to the same rows one after the other instead of
deadlocking (a statement-level trigger before each write takes it too, before any report row
is locked: `create_lock_trigger`); on SQLite, which has one writer at a time, they run per row.
`rebuild` recomputes every tally from the reports with the same expressions.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mapping import hexgrid
from mapping.storage import dialect
from mapping.storage.reports import PUBLIC_STATUSES
from mapping.storage.tables import AREA_LEVELS, TALLY_SUMS, area_tallies, hex_tallies

SUMS = TALLY_SUMS

# Resolutions tallied for all time, and the one tallied month by month.
HEX_RESOLUTIONS = (5, 7)
MONTHLY_RESOLUTION = 3
ALL_TIME = 0

# Report columns a tally reads: an update that changes none of them changes no tally.
READ_COLUMNS = (
    "status",
    "kind",
    "category",
    "sensitive",
    "source",
    "public_h3",
    "public_observed_at",
    *(f"public_area_{level}" for level in AREA_LEVELS),
    "satisfaction",
    "litter_items",
    "litter_plastic",
    "survey_length_m",
    "severity",
    "people_affected",
    "attributes",
    "record_key",
)

_LOCK_KEY = 7_401_151_003  # pg_advisory_xact_lock's key for the tallies of this database


def month_number(sqlite: bool, column: str) -> str:
    """SQL: the month of a UTC timestamp column as year * 12 + month - 1."""
    if sqlite:
        return (
            f"(CAST(substr({column}, 1, 4) AS INTEGER) * 12 "
            f"+ CAST(substr({column}, 6, 2) AS INTEGER) - 1)"
        )
    utc = f"({column} AT TIME ZONE 'UTC')"
    year, month = (f"CAST(EXTRACT({part} FROM {utc}) AS INTEGER)" for part in ("YEAR", "MONTH"))
    return f"({year} * 12 + {month} - 1)"


def surveyed_mm(sqlite: bool, column: str) -> str:
    """SQL: a survey length in metres as whole millimetres (0 for none)."""
    whole = "INTEGER" if sqlite else "BIGINT"
    return f"COALESCE(CAST(ROUND({column} * 1000) AS {whole}), 0)"


def given_status(sqlite: bool, column: str) -> str:
    """SQL: the service status its reporter gave, from the attributes' JSON."""
    return f"json_extract({column}, '$.status')" if sqlite else f"({column} ->> 'status')"


def _sum_terms(sqlite: bool) -> dict[str, str]:
    status = given_status(sqlite, "r.attributes")
    service = "r.kind = 'service'"
    return {
        "reports": "1",
        "rated": "CASE WHEN r.satisfaction IS NOT NULL THEN 1 ELSE 0 END",
        "satisfied": "CASE WHEN r.satisfaction >= 3 THEN 1 ELSE 0 END",
        "satisfaction_sum": "COALESCE(r.satisfaction, 0)",
        "items": "COALESCE(r.litter_items, 0)",
        "plastic": "COALESCE(r.litter_plastic, 0)",
        "surveyed_mm": surveyed_mm(sqlite, "r.survey_length_m"),
        "severity_sum": "COALESCE(r.severity, 0)",
        "people_affected": "COALESCE(r.people_affected, 0)",
        "status_operational": f"CASE WHEN {service} AND {status} = 'operational' THEN 1 ELSE 0 END",
        "status_partly": f"CASE WHEN {service} AND {status} = 'partly' THEN 1 ELSE 0 END",
        "status_closed": f"CASE WHEN {service} AND {status} = 'closed' THEN 1 ELSE 0 END",
        "record_keys": "COALESCE(r.record_key, 0)",
    }


def _union(values: Sequence[int], name: str) -> str:
    """A FROM item of one column `name` with a row for each of `values`."""
    return " UNION ALL ".join(f"SELECT {v} AS {name}" for v in values)


def _public(sqlite: bool) -> str:
    statuses = ", ".join(f"'{s}'" for s in PUBLIC_STATUSES)
    return f"r.status IN ({statuses}) AND r.public_observed_at IS NOT NULL"


def upserts(sqlite: bool, rows: str, *, may_empty: bool = True) -> list[str]:
    """The statements that add the report rows `rows` (a FROM item with the report columns and
    a `sign` of 1 or -1) to the tallies, then, if `may_empty`, drop the rows that come to
    nothing."""
    terms = _sum_terms(sqlite)
    sums = ", ".join(f"SUM(r.sign * {terms[name]})" for name in SUMS)
    add = ", ".join(f"{name} = {{table}}.{name} + excluded.{name}" for name in SUMS)
    month = month_number(sqlite, "r.public_observed_at")
    parent = {
        res: str(
            hexgrid.sql_parent(sa.literal_column("r.public_h3"), res).compile(
                compile_kwargs={"literal_binds": True}
            )
        )
        for res in (*HEX_RESOLUTIONS, MONTHLY_RESOLUTION)
    }
    cell = (
        "CASE g.res " + " ".join(f"WHEN {res} THEN {sql}" for res, sql in parent.items()) + " END"
    )
    hex_keys = "resolution, cell, kind, category, source, sensitive, month"
    hexes = (
        f"INSERT INTO hex_tallies ({hex_keys}, {', '.join(SUMS)}) "
        f"SELECT g.res, {cell}, r.kind, r.category, COALESCE(r.source, ''), r.sensitive, "
        f"CASE WHEN g.res = {MONTHLY_RESOLUTION} THEN {month} ELSE {ALL_TIME} END, {sums} "
        f"FROM {rows} CROSS JOIN ({_union(list(parent), 'res')}) g "
        f"WHERE {_public(sqlite)} AND r.public_h3 IS NOT NULL "
        "GROUP BY 1, 2, 3, 4, 5, 6, 7 ORDER BY 1, 2, 3, 4, 5, 6, 7 "
        f"ON CONFLICT ({hex_keys}) DO UPDATE SET {add.format(table='hex_tallies')}"
    )
    code = (
        "CASE g.level "
        + " ".join(f"WHEN {level} THEN r.public_area_{level}" for level in AREA_LEVELS)
        + " END"
    )
    area_keys = "level, code, kind, category, source, month"
    areas = (
        f"INSERT INTO area_tallies ({area_keys}, {', '.join(SUMS)}) "
        f"SELECT g.level, {code}, r.kind, r.category, COALESCE(r.source, ''), {month}, {sums} "
        f"FROM {rows} CROSS JOIN ({_union(list(AREA_LEVELS), 'level')}) g "
        f"WHERE {_public(sqlite)} AND {code} IS NOT NULL "
        "GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6 "
        f"ON CONFLICT ({area_keys}) DO UPDATE SET {add.format(table='area_tallies')}"
    )
    if not may_empty:
        return [hexes, areas]
    return [
        hexes,
        areas,
        "DELETE FROM hex_tallies WHERE reports = 0",
        "DELETE FROM area_tallies WHERE reports = 0",
    ]


def _row_of(reference: str, sign: int) -> str:
    """A FROM item of one report row of a SQLite trigger (`NEW` or `OLD`)."""
    columns = ", ".join(f"{reference}.{c} AS {c}" for c in READ_COLUMNS)
    return f"(SELECT {columns}, {sign} AS sign) r"


def create_triggers(conn: Connection) -> None:
    """Make the triggers that keep the tallies (drop_triggers takes them away)."""
    if dialect.is_sqlite(conn):
        body = {
            "insert": upserts(True, _row_of("NEW", 1), may_empty=False),
            "delete": upserts(True, _row_of("OLD", -1)),
            "update": upserts(True, _row_of("OLD", -1), may_empty=False)
            + upserts(True, _row_of("NEW", 1)),
        }
        for event, statements in body.items():
            on = f"UPDATE OF {', '.join(READ_COLUMNS)}" if event == "update" else event.upper()
            conn.exec_driver_sql(
                f"CREATE TRIGGER tally_reports_{event} AFTER {on} ON reports BEGIN "
                + "; ".join(statements)
                + "; END"
            )
        return
    changed = " OR ".join(f"o.{c} IS DISTINCT FROM n.{c}" for c in READ_COLUMNS)
    columns = ", ".join(READ_COLUMNS)
    moved = (
        f"(SELECT {', '.join(f'o.{c}' for c in READ_COLUMNS)}, -1 AS sign FROM old_rows o "
        f"JOIN new_rows n ON n.seq = o.seq WHERE {changed} UNION ALL "
        f"SELECT {', '.join(f'n.{c}' for c in READ_COLUMNS)}, 1 AS sign FROM old_rows o "
        f"JOIN new_rows n ON n.seq = o.seq WHERE {changed}) r"
    )
    branches = {
        "INSERT": (f"(SELECT {columns}, 1 AS sign FROM new_rows) r", "new_rows"),
        "DELETE": (f"(SELECT {columns}, -1 AS sign FROM old_rows) r", "old_rows"),
        "UPDATE": (moved, f"old_rows o JOIN new_rows n ON n.seq = o.seq WHERE {changed}"),
    }
    # The test of TG_OP stands alone: a statement naming a transition table that this event
    # lacks fails even where its value is not needed.
    function = " ".join(
        f"IF TG_OP = '{op}' THEN IF EXISTS (SELECT 1 FROM {probe}) THEN "
        f"PERFORM pg_advisory_xact_lock({_LOCK_KEY}); "
        + "; ".join(upserts(False, rows, may_empty=op != "INSERT"))
        + "; END IF; END IF;"
        for op, (rows, probe) in branches.items()
    )
    conn.exec_driver_sql(
        "CREATE OR REPLACE FUNCTION tally_reports() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN {function} RETURN NULL; END $$"
    )
    transitions = {
        "INSERT": "NEW TABLE AS new_rows",
        "DELETE": "OLD TABLE AS old_rows",
        "UPDATE": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
    }
    for op, referencing in transitions.items():
        conn.exec_driver_sql(
            f"CREATE TRIGGER tally_reports_{op.lower()} AFTER {op} ON reports "
            f"REFERENCING {referencing} FOR EACH STATEMENT EXECUTE FUNCTION tally_reports()"
        )


def create_lock_trigger(conn: Connection) -> None:
    """PostgreSQL: every statement that writes reports takes the tallies' lock before it locks
    any report row (drop_lock_trigger takes it away). Taken only after the rows, as the
    tallying trigger takes it, a transaction that had changed some reports and went on to
    another that a moderator had just changed deadlocked with that moderator's change, which
    held its row and waited for the lock."""
    if dialect.is_sqlite(conn):
        return
    conn.exec_driver_sql(
        "CREATE OR REPLACE FUNCTION tally_lock() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN PERFORM pg_advisory_xact_lock({_LOCK_KEY}); RETURN NULL; END $$"
    )
    conn.exec_driver_sql("DROP TRIGGER IF EXISTS tally_lock ON reports")
    conn.exec_driver_sql(
        "CREATE TRIGGER tally_lock BEFORE INSERT OR UPDATE OR DELETE ON reports "
        "FOR EACH STATEMENT EXECUTE FUNCTION tally_lock()"
    )


def drop_lock_trigger(conn: Connection) -> None:
    if not dialect.is_sqlite(conn):
        conn.exec_driver_sql("DROP TRIGGER IF EXISTS tally_lock ON reports")
        conn.exec_driver_sql("DROP FUNCTION IF EXISTS tally_lock()")


def drop_triggers(conn: Connection) -> None:
    for event in ("insert", "update", "delete"):
        if dialect.is_sqlite(conn):
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS tally_reports_{event}")
        else:
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS tally_reports_{event} ON reports")
    if not dialect.is_sqlite(conn):
        conn.exec_driver_sql("DROP FUNCTION IF EXISTS tally_reports()")


def rebuild(conn: Connection) -> dict[str, int]:
    """Recompute every tally from the stored reports, in the caller's transaction; the rows
    each table holds afterwards."""
    sqlite = dialect.is_sqlite(conn)
    if not sqlite:
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_LOCK_KEY})")
    conn.execute(sa.delete(hex_tallies))
    conn.execute(sa.delete(area_tallies))
    columns = ", ".join(READ_COLUMNS)
    for statement in upserts(
        sqlite, f"(SELECT {columns}, 1 AS sign FROM reports) r", may_empty=False
    ):
        conn.exec_driver_sql(statement)
    return {
        table.name: int(conn.scalar(sa.select(sa.func.count()).select_from(table)) or 0)
        for table in (hex_tallies, area_tallies)
    }
