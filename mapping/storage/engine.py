"""Engines for both backends, each set up the way CivicMap needs it."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

from mapping.storage import versions
from mapping.storage.dialect import SPATIALITE, sqlite_connect_hook


def make_engine(
    url: str, *, spatialite: str = SPATIALITE, connect_timeout_s: int | None = None
) -> Engine:
    """An engine for `url`: `sqlite:///PATH` (SpatiaLite) or `postgresql+psycopg://...` (PostGIS).

    `spatialite` names the SpatiaLite extension to load, when it is not the system's;
    `connect_timeout_s` bounds how long a PostgreSQL connection attempt may wait (libpq's
    `connect_timeout`, 2 s at least), for a server that may be gone (a read replica).

    SQLite goes through `pysqlite3`, since many Python builds cannot load extensions; the folder
    of the database file is created when missing. Nothing connects until the engine is used.
    Its transactions move the data version when they change what answers are made of
    (mapping.storage.versions).
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        import pysqlite3.dbapi2 as sqlite3

        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(
            parsed, module=sqlite3, connect_args={"check_same_thread": False, "timeout": 30}
        )
        sa.event.listen(engine, "connect", sqlite_connect_hook(spatialite))
        versions.install(engine)
        return engine
    if parsed.get_backend_name() == "postgresql":
        # JIT compiling pays off for long analytical queries, not for the short ones on every
        # submission, where it costs tens of milliseconds each.
        connect_args: dict[str, object] = {"options": "-c jit=off"}
        if connect_timeout_s is not None:
            connect_args["connect_timeout"] = max(2, connect_timeout_s)
        engine = sa.create_engine(
            parsed,
            pool_pre_ping=True,
            pool_size=10,
            max_overflow=10,
            connect_args=connect_args,
        )
        versions.install(engine)
        return engine
    raise ValueError(
        f"unsupported database URL {parsed.render_as_string(hide_password=True)!r}: "
        "use sqlite:///PATH or postgresql+psycopg://USER@HOST/DB"
    )
