"""Whole databases made and dropped, as the test suite and the benchmarks use them: PostgreSQL
databases by name, a SpatiaLite file in a temporary folder, and a check that a database
answers at all.

`admin_url` names a role that may CREATE DATABASE; the new database's URL is the same with
the database's name in it. Names come from the callers (fixed prefixes and random hex), never
from a request.
"""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from mapping.storage.engine import make_engine
from mapping.storage.migrate import upgrade


def problem_reaching(url: str) -> str | None:
    """Why `url` cannot be connected to, in one line; None when it can."""
    try:
        engine = sa.create_engine(url)
        with engine.connect():
            pass
        engine.dispose()
    except sa.exc.SQLAlchemyError as exc:
        return str(exc).splitlines()[0]
    return None


def database_url(admin_url: str, name: str) -> str:
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def _run(admin_url: str, *statements: str) -> None:
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            for statement in statements:
                conn.exec_driver_sql(statement)
    finally:
        admin.dispose()


def database_exists(admin_url: str, name: str) -> bool:
    admin = sa.create_engine(admin_url)
    try:
        with admin.connect() as conn:
            found = conn.scalar(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            )
    finally:
        admin.dispose()
    return found is not None


def create_database(admin_url: str, name: str, *, replace: bool = False) -> str:
    """Create the empty database `name` (first dropping one of that name with `replace`); its
    URL."""
    drop = [f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'] if replace else []
    _run(admin_url, *drop, f'CREATE DATABASE "{name}"')
    return database_url(admin_url, name)


def drop_database(admin_url: str, name: str) -> None:
    """Drop `name`, closing its connections; nothing when there is no such database."""
    _run(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def temporary_database(admin_url: str, prefix: str) -> Iterator[str]:
    """The URL of a new empty database named `prefix` and random hex, dropped afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    url = create_database(admin_url, name)
    try:
        yield url
    finally:
        drop_database(admin_url, name)


@contextmanager
def temporary_store(backend: str, admin_url: str, prefix: str) -> Iterator[str]:
    """The URL of a new database of `backend` ("spatialite" or "postgis") with CivicMap's schema,
    removed afterwards; PostgreSQL databases are made through `admin_url`."""
    with ExitStack() as stack:
        if backend == "spatialite":
            folder = stack.enter_context(tempfile.TemporaryDirectory(prefix=prefix + "_"))
            url = f"sqlite:///{folder}/civicmap.sqlite"
        else:
            url = stack.enter_context(temporary_database(admin_url, prefix))
        engine = make_engine(url)
        try:
            upgrade(engine)
        finally:
            engine.dispose()
        yield url
