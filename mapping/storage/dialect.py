"""Every difference between SpatiaLite and PostGIS that the queries need, in one place."""

from __future__ import annotations

import ctypes
import functools
import importlib
import importlib.util
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa
from geoalchemy2 import Geography
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.sql.selectable import NamedFromClause

SRID = 4326


def is_sqlite(bind: Connection | Engine) -> bool:
    return bind.dialect.name == "sqlite"


# The system's SpatiaLite extension, found by SQLite on its library path.
SPATIALITE = "mod_spatialite"


@functools.cache
def bind_bundled_libraries() -> None:
    """Resolve every symbol of the GDAL, PROJ, SQLite and GEOS copies that the pyogrio, pyproj
    and shapely wheels bundle, before SpatiaLite is loaded.

    SQLite loads extensions with RTLD_GLOBAL, so mod_spatialite's own dependencies (the system's
    libsqlite3, libproj, libgeos) become global; symbols that the bundled copies had not yet
    bound lazily would then resolve to those, of other versions, and crash the process (seen:
    reading a GeoPackage after SpatiaLite was loaded). Binding them all now keeps each library
    with its own copies. Wheels built against system libraries bundle nothing; nothing to do.
    """
    for package in ("pyogrio", "pyproj", "shapely"):
        spec = importlib.util.find_spec(package)
        if spec is None or spec.origin is None:
            continue
        importlib.import_module(package)
        bundled = Path(spec.origin).parent.parent / f"{package}.libs"
        for library in sorted(bundled.glob("*.so*")):
            ctypes.CDLL(str(library), mode=os.RTLD_NOW)


def sqlite_connect_hook(spatialite: str = SPATIALITE) -> Callable[[Any, Any], None]:
    """What each new SQLite connection runs: load the SpatiaLite extension `spatialite` (a name
    or a path), and make every commit durable before it returns (WAL, synchronous=FULL)."""

    def on_connect(dbapi_conn: Any, _record: Any) -> None:
        _set_up_sqlite(dbapi_conn, spatialite)

    return on_connect


def _set_up_sqlite(dbapi_conn: Any, spatialite: str) -> None:
    bind_bundled_libraries()
    dbapi_conn.enable_load_extension(True)
    dbapi_conn.load_extension(spatialite)
    dbapi_conn.enable_load_extension(False)
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def prepare_database(conn: Connection) -> None:
    """Make the database spatial: PostGIS extension, or SpatiaLite's metadata tables."""
    if is_sqlite(conn):
        have = conn.exec_driver_sql(
            "SELECT count(*) FROM sqlite_master WHERE name = 'spatial_ref_sys'"
        ).scalar()
        if not have:
            conn.exec_driver_sql("SELECT InitSpatialMetaData(1)")
    else:
        conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS postgis")


def add_geometry_column(
    conn: Connection,
    table: str,
    column: str,
    geometry_type: str = "POINT",
    *,
    nullable: bool = False,
) -> None:
    """Add a WGS84 geometry column with a spatial index, NOT NULL unless `nullable` (a column
    added to a table that has rows must start nullable)."""
    if is_sqlite(conn):
        conn.exec_driver_sql(
            f"SELECT AddGeometryColumn('{table}', '{column}', {SRID}, '{geometry_type}', 'XY', "
            f"{0 if nullable else 1})"
        )
        conn.exec_driver_sql(f"SELECT CreateSpatialIndex('{table}', '{column}')")
    else:
        null = "" if nullable else " NOT NULL"
        conn.exec_driver_sql(
            f"ALTER TABLE {table} ADD COLUMN {column} geometry({geometry_type}, {SRID}){null}"
        )
        conn.exec_driver_sql(f"CREATE INDEX ix_{table}_{column} ON {table} USING gist ({column})")


def drop_geometry_column(conn: Connection, table: str, column: str) -> None:
    if is_sqlite(conn):
        conn.exec_driver_sql(f"SELECT DisableSpatialIndex('{table}', '{column}')")
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS idx_{table}_{column}")
        conn.exec_driver_sql(f"SELECT DiscardGeometryColumn('{table}', '{column}')")


def point_lon(geom: sa.ColumnElement) -> sa.ColumnElement:
    return sa.func.ST_X(geom)


def point_lat(geom: sa.ColumnElement) -> sa.ColumnElement:
    return sa.func.ST_Y(geom)


def point_ewkt(lon: float, lat: float) -> str:
    """A point as EWKT, the text both backends' geometry columns accept on insert."""
    return f"SRID={SRID};POINT({lon!r} {lat!r})"


def within_boxes(
    bind: Connection,
    table: sa.Table,
    boxes: Sequence[tuple[float, float, float, float]],
    geom: str = "geom",
) -> sa.ColumnElement[bool]:
    """Rows whose geometry lies in any of `boxes` (minlon, minlat, maxlon, maxlat), using the
    spatial index: PostGIS's `&&` on a GiST index, SpatiaLite's R*Tree through its SpatialIndex
    virtual table (which rowid lookups need, since SpatiaLite never uses it on its own)."""
    clauses: list[sa.ColumnElement[bool]] = []
    for minx, miny, maxx, maxy in boxes:
        if is_sqlite(bind):
            # Unique parameters: two boxes in one query must not share `:x0` and its value.
            values = {"t": table.name, "g": geom, "x0": minx, "y0": miny, "x1": maxx, "y1": maxy}
            frame = sa.text(
                "SELECT ROWID FROM SpatialIndex WHERE f_table_name = :t AND "
                "f_geometry_column = :g AND search_frame = BuildMbr(:x0, :y0, :x1, :y1, 4326)"
            ).bindparams(*(sa.bindparam(k, v, unique=True) for k, v in values.items()))
            rowid: sa.ColumnElement[int] = sa.literal_column(f"{table.name}.rowid")
            clauses.append(rowid.in_(frame.columns(sa.column("rowid", sa.Integer))))
        else:
            envelope = sa.func.ST_MakeEnvelope(minx, miny, maxx, maxy, SRID)
            clauses.append(table.c[geom].op("&&")(envelope))
    return sa.or_(*clauses)


def among(
    bind: Connection, column: sa.ColumnElement[Any], values: Sequence[Any]
) -> sa.ColumnElement[bool]:
    """`column` is one of `values`: on PostgreSQL `= ANY` of one array parameter, so that the
    statement is the same whatever the number of values (one plan, one prepared statement);
    on SQLite an IN list (keep `values` under its limit of parameters)."""
    if is_sqlite(bind):
        return column.in_(list(values))
    from sqlalchemy.dialects.postgresql import ARRAY

    array = sa.bindparam(None, list(values), type_=ARRAY(column.type))
    return column == sa.any_(array)


def insert_ignoring_conflicts(bind: Connection, table: sa.Table, index_column: str):  # type: ignore[no-untyped-def]
    """INSERT ... ON CONFLICT (index_column) DO NOTHING, in the bind's dialect."""
    if is_sqlite(bind):
        from sqlalchemy.dialects.sqlite import insert
    else:
        from sqlalchemy.dialects.postgresql import insert  # type: ignore[assignment]
    return insert(table).on_conflict_do_nothing(index_elements=[index_column])


def copy_rows(
    cursor: Any,
    statement: str,
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[str],
    json_columns: Sequence[str],
    leading: Sequence[Any] | None = None,
) -> None:
    """Write `rows` (their `columns`, in order) to a psycopg `cursor` by COPY `statement`
    (text): the `json_columns` as JSON text, the rest as psycopg writes them. With `leading`,
    each row's value from it comes first (a column the statement names before `columns`)."""
    at = [columns.index(c) for c in json_columns if c in columns]
    with cursor.copy(statement) as copy:
        for n, row in enumerate(rows):
            values = [row[c] for c in columns]
            for i in at:
                values[i] = orjson.dumps(values[i]).decode()
            if leading is not None:
                values.insert(0, leading[n])
            copy.write_row(values)


def copy_into(
    conn: Connection, table: sa.Table, rows: Sequence[Mapping[str, Any]], serial: str
) -> list[int]:
    """PostgreSQL: COPY `rows` (text) straight into `table`, each with a value of the `serial`
    column drawn from its sequence beforehand; those values, in the order of `rows`.

    A row that breaks a constraint fails the whole COPY, raised as SQLAlchemy raises a
    statement's error (a unique violation is an IntegrityError): where that can happen, run it
    in a savepoint and fall back to `copy_ignoring_conflicts`.
    """
    import psycopg

    drawn = conn.exec_driver_sql(
        "SELECT nextval(pg_get_serial_sequence(%(table)s, %(column)s)) "
        "FROM generate_series(1, %(n)s)",
        {"table": table.name, "column": serial, "n": len(rows)},
    )
    serials = [int(value) for value in drawn.scalars()]
    columns = list(rows[0])
    quote = conn.dialect.identifier_preparer.quote
    names = ", ".join(quote(c) for c in (serial, *columns))
    statement = f"COPY {quote(table.name)} ({names}) FROM STDIN"
    encoded = [c for c in columns if isinstance(table.c[c].type, sa.JSON)]
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        copy_rows(cursor, statement, rows, columns, encoded, leading=serials)
    except psycopg.Error as exc:
        conn._handle_dbapi_exception(exc, statement, None, cursor, None)
    finally:
        cursor.close()
    return serials


def copy_ignoring_conflicts(
    conn: Connection,
    table: sa.Table,
    rows: Sequence[Mapping[str, Any]],
    index_column: str,
    returning: Sequence[str],
) -> list[tuple[Any, ...]]:
    """PostgreSQL: what `insert_ignoring_conflicts` does, for many rows at the cost of a COPY;
    the `returning` columns of the rows stored.

    The rows are COPYed (text) into a temporary table of this session, then moved into `table`
    by one INSERT ... SELECT ... ON CONFLICT (index_column) DO NOTHING, so that a row whose key a
    concurrent writer committed meanwhile is skipped like any known one, without a failed COPY
    to undo. The values are what SQLAlchemy would bind: JSON columns are encoded here, and a
    geometry is its EWKT, which PostGIS reads as the column's text form.
    """
    import psycopg

    columns = list(rows[0])
    encoded = [i for i, name in enumerate(columns) if isinstance(table.c[name].type, sa.JSON)]
    quote = conn.dialect.identifier_preparer.quote
    names = ", ".join(quote(c) for c in columns)
    staging = quote(f"copy_{table.name}")
    # Made once per session, empty at the end of every transaction; no constraint, no index.
    conn.exec_driver_sql(
        f"CREATE TEMPORARY TABLE IF NOT EXISTS {staging} ON COMMIT DELETE ROWS AS "
        f"SELECT {', '.join(quote(c.name) for c in table.c)} FROM {quote(table.name)} "
        "WITH NO DATA"
    )
    statement = f"COPY {staging} ({names}) FROM STDIN"
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        copy_rows(cursor, statement, rows, columns, [columns[i] for i in encoded])
    except psycopg.Error as exc:
        # Raised as SQLAlchemy raises a statement's error, through the engine's `handle_error`
        # hooks (a deadlock is the same Busy as anywhere else).
        conn._handle_dbapi_exception(exc, statement, None, cursor, None)
    finally:
        cursor.close()
    moved = conn.exec_driver_sql(
        f"WITH moved AS (DELETE FROM {staging} RETURNING {names}) "
        f"INSERT INTO {quote(table.name)} ({names}) SELECT {names} FROM moved "
        f"ON CONFLICT ({quote(index_column)}) DO NOTHING "
        f"RETURNING {', '.join(quote(c) for c in returning)}"
    )
    return [tuple(row) for row in moved]


def upsert(  # type: ignore[no-untyped-def]
    bind: Connection,
    table: sa.Table,
    values: Mapping[str, Any],
    *,
    index: Sequence[str],
    update: Mapping[str, Any],
):
    """INSERT `values`, or where a row with the same `index` columns exists, set `update`."""
    if is_sqlite(bind):
        from sqlalchemy.dialects.sqlite import insert
    else:
        from sqlalchemy.dialects.postgresql import insert  # type: ignore[assignment]
    return insert(table).values(**values).on_conflict_do_update(index_elements=index, set_=update)


def upsert_increment(bind: Connection, table: sa.Table, **key: Any):  # type: ignore[no-untyped-def]
    """INSERT a counter row at 1, or add 1 to the existing one; RETURNING the new count."""
    if is_sqlite(bind):
        from sqlalchemy.dialects.sqlite import insert
    else:
        from sqlalchemy.dialects.postgresql import insert  # type: ignore[assignment]
    statement = insert(table).values(**key, count=1)
    return statement.on_conflict_do_update(
        index_elements=list(key), set_={"count": table.c.count + 1}
    ).returning(table.c.count)


def metres_apart(a: sa.ColumnElement[Any], b: sa.ColumnElement[Any], bind: Connection):  # type: ignore[no-untyped-def]
    """The geodesic distance in metres between two WGS84 geometry columns."""
    if is_sqlite(bind):
        return sa.func.ST_Distance(a, b, 1)
    return sa.func.ST_Distance(sa.cast(a, Geography), sa.cast(b, Geography))


def shifted(bind: Connection, ts: sa.ColumnElement[Any], seconds: float):  # type: ignore[no-untyped-def]
    """`ts` moved by `seconds`, comparable with stored timestamps (so an index range applies)."""
    if is_sqlite(bind):
        # SQLAlchemy stores SQLite times as 'YYYY-MM-DD HH:MM:SS.ffffff' text.
        return sa.func.strftime("%Y-%m-%d %H:%M:%f", ts, f"{seconds:+.0f} seconds")
    return ts + sa.func.make_interval(0, 0, 0, 0, 0, 0, seconds)


def skipping_locked(bind: Connection, query: sa.Select[Any]) -> sa.Select[Any]:
    """`query` with FOR UPDATE SKIP LOCKED on PostgreSQL, so that workers claiming rows never
    wait for or take each other's; SQLite has one writer at a time and needs nothing."""
    if is_sqlite(bind):
        return query
    return query.with_for_update(skip_locked=True)


def near(
    bind: Connection,
    left: NamedFromClause,
    right: NamedFromClause,
    geom: str,
    degrees: float,
    onclause: sa.ColumnElement[bool],
) -> tuple[sa.FromClause, sa.ColumnElement[bool]]:
    """A FROM item and a condition that keep the rows of `left` for which some row of `right`
    has its geometry `geom` in the box of `degrees` around left's and meets `onclause`; each
    left row appears once.

    Each left row looks up its own few neighbours in the spatial index, whatever the planner's
    statistics say: on PostGIS through a LATERAL subquery (one match is enough) on the GiST
    index; on SpatiaLite through a correlated EXISTS on the R*Tree that SpatiaLite keeps for
    the column (`idx_<table>_<column>`) and never uses on its own, asked for the box directly
    (SpatiaLite's SpatialIndex virtual table does the same at several times the cost, running
    a query of its own per row). A join would let SQLite's planner scan the whole R*Tree first
    when `left` is long; the EXISTS can only be answered per left row, and stops at a match.
    """
    point = left.c[geom]
    if not is_sqlite(bind):
        near = right.c[geom].op("&&")(sa.func.ST_Expand(point, degrees))
        match = sa.select(sa.literal(1).label("one")).where(near, onclause).limit(1)
        return left.join(match.lateral("near"), sa.true()), sa.true()
    table = right.element.name  # type: ignore[attr-defined]
    index = sa.table(
        f"idx_{table}_{geom}",
        sa.column("pkid"),
        sa.column("xmin"),
        sa.column("xmax"),
        sa.column("ymin"),
        sa.column("ymax"),
    ).alias("spatial_index")
    x, y = sa.func.X(point), sa.func.Y(point)
    rowid: sa.ColumnElement[int] = sa.literal_column(f"{right.name}.rowid")
    match = (
        sa.select(sa.literal(1))
        .select_from(index)
        # `+ 0`: the R*Tree answers rowids for a box, and must not be asked for a rowid.
        .join(right, rowid == index.c.pkid + 0)
        .where(
            index.c.xmin <= x + degrees,
            index.c.xmax >= x - degrees,
            index.c.ymin <= y + degrees,
            index.c.ymax >= y - degrees,
            onclause,
        )
        .correlate(left)
    )
    return left, match.exists()


def unindexed(bind: Connection, column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    """`column` as an expression of the same value that no index is on, so that the planner
    cannot reach the table through an index on it: for a join that must go through another
    index. SQLite's documented way is a unary `+`; PostgreSQL's, an operation that changes
    nothing (adding no time, appending nothing)."""
    if is_sqlite(bind):
        name = f"+{column.table.name}.{column.name}"  # type: ignore[attr-defined]
        return sa.type_coerce(sa.literal_column(name), column.type)
    if isinstance(column.type, sa.DateTime):
        return sa.type_coerce(column + sa.text("interval '0 s'"), column.type)
    return sa.type_coerce(column.op("||")(sa.literal("", sa.String)), column.type)
