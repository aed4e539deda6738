"""A database too busy to answer is a 503 with Retry-After, never a 500: in the problem shape on
the API, in GeoReport's shape on Open311. The lock is real: another connection holds it (SQLite
`BEGIN IMMEDIATE`; PostgreSQL `LOCK TABLE` against the app's short `lock_timeout`)."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any

import psycopg
import psycopg.errors
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine, make_url

from api.app import create_app
from api.errors import database_busy, headers_of, raise_busy, status_of
from mapping.errors import Busy
from mapping.settings import Settings
from mapping.storage.tables import audit_log
from tests.conftest import count_reports, make_report, settings_for

# How long the app's connections wait for a lock here (the app's own wait is 30 s).
WAIT_MS = 200
FLOOD = {
    "service_code": "hotspot-flooding",
    "lat": "5.61",
    "long": "-0.21",
    "description": "Street under water",
    "attribute[severity]": "4",
    "attribute[people_affected]": "30",
}


@pytest.fixture(scope="module")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return settings_for(database_url, tmp_path_factory, webhook_worker_interval_s=0)


def _wait_briefly(engine: Engine) -> None:
    """Make each new connection of the app give up on a lock after WAIT_MS."""

    @sa.event.listens_for(engine, "connect")
    def short_wait(dbapi_conn: Any, _record: Any) -> None:
        if engine.dialect.name == "sqlite":
            dbapi_conn.execute(f"PRAGMA busy_timeout={WAIT_MS}")
        else:
            dbapi_conn.execute(f"SET lock_timeout = '{WAIT_MS}ms'")
            dbapi_conn.commit()


@pytest.fixture(scope="module")
def client(settings: Settings, engine: Engine) -> Iterator[TestClient]:
    app = create_app(settings)
    _wait_briefly(app.state.engine)
    with TestClient(app) as client:
        yield client
    app.state.engine.dispose()


@contextmanager
def write_lock(database_url: str) -> Iterator[None]:
    """Another connection holds the write lock on reports until the block ends."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        import pysqlite3.dbapi2 as pysqlite3

        sqlite = pysqlite3.connect(url.database, isolation_level=None)
        try:
            sqlite.execute("BEGIN IMMEDIATE")
            yield
            sqlite.execute("ROLLBACK")
        finally:
            sqlite.close()
        return
    conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo) as pg:
        # Reads go on; any write of reports waits for this transaction.
        pg.execute("LOCK TABLE reports IN EXCLUSIVE MODE")
        yield
        pg.rollback()


def assert_busy_problem(response: Any) -> None:
    assert response.status_code == 503, response.text
    assert int(response.headers["retry-after"]) > 0
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 503
    assert problem["title"] == "Service busy"
    assert "again" in problem["detail"]
    assert "locked" not in problem["detail"]  # no database text leaks out


def test_a_report_sent_while_the_database_is_locked_is_503_and_stores_nothing(
    client, engine, settings
):
    report = make_report()
    before = count_reports(engine)
    with write_lock(settings.database_url):
        busy = client.post("/api/v1/reports", json=report)
    assert_busy_problem(busy)
    assert count_reports(engine) == before
    again = client.post("/api/v1/reports", json=report)
    # 201, not 200: the busy attempt left no report to be a duplicate of.
    assert again.status_code == 201, again.text
    assert count_reports(engine) == before + 1


def test_a_moderation_while_the_database_is_locked_is_503_and_changes_nothing(
    client, engine, keys, settings
):
    report = client.post("/api/v1/reports", json=make_report()).json()
    url = f"/api/v1/reports/{report['id']}"
    change = {"status": "verified", "note": "checked on site"}

    def audit_entries() -> int:
        with engine.connect() as conn:
            query = sa.select(sa.func.count()).where(
                audit_log.c.report_id == uuid.UUID(report["id"])
            )
            return int(conn.execute(query).scalar_one())

    entries = audit_entries()
    with write_lock(settings.database_url):
        busy = client.patch(url, json=change, headers=keys["moderator"])
    assert_busy_problem(busy)
    assert client.get(url).json()["properties"]["status"] == report["properties"]["status"]
    assert audit_entries() == entries
    done = client.patch(url, json=change, headers=keys["moderator"])
    assert done.status_code == 200, done.text
    assert done.json()["properties"]["status"] == "verified"


def test_an_open311_request_while_the_database_is_locked_is_503_in_the_spec_shape(
    client, engine, settings
):
    before = count_reports(engine)
    with write_lock(settings.database_url):
        busy = client.post("/open311/v2/requests.json", data=FLOOD)
        busy_xml = client.post("/open311/v2/requests.xml", data=FLOOD)
    assert busy.status_code == 503, busy.text
    assert int(busy.headers["retry-after"]) > 0
    [error] = busy.json()
    assert error["code"] == 503 and "again" in error["description"]
    assert busy_xml.status_code == 503
    assert busy_xml.headers["content-type"].startswith("text/xml")
    assert b"<code>503</code>" in busy_xml.content
    assert int(busy_xml.headers["retry-after"]) > 0
    assert count_reports(engine) == before
    assert client.post("/open311/v2/requests.json", data=FLOOD).status_code == 201


def test_another_database_error_stays_a_500_that_closes_the_connection(settings):
    app = create_app(settings)

    def broken() -> None:
        with app.state.engine.connect() as conn:
            conn.exec_driver_sql("SELECT * FROM no_such_table")

    app.add_api_route("/broken", broken)
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            response = client.get("/broken")
    finally:
        app.state.engine.dispose()
    assert response.status_code == 500
    assert response.headers["connection"] == "close"
    assert "retry-after" not in response.headers


def _operational(orig: BaseException) -> sa.exc.OperationalError:
    return sa.exc.OperationalError("UPDATE reports SET status = ?", {}, orig)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "orig",
    [
        psycopg.errors.LockNotAvailable("canceling statement due to lock timeout"),
        psycopg.errors.SerializationFailure("could not serialize access"),
        psycopg.errors.DeadlockDetected("deadlock detected"),
        sqlite3.OperationalError("database is locked"),
        sqlite3.OperationalError("database table is locked: reports"),
    ],
    ids=["lock-timeout", "serialization", "deadlock", "sqlite-busy", "sqlite-locked"],
)
def test_a_busy_database_error_is_503_with_retry_after(orig):
    context = SimpleNamespace(sqlalchemy_exception=_operational(orig), original_exception=orig)
    with pytest.raises(Busy) as raised:
        raise_busy(context)  # type: ignore[arg-type]
    assert status_of(raised.value) == 503
    assert int((headers_of(raised.value) or {})["Retry-After"]) > 0


@pytest.mark.parametrize(
    "error",
    [
        _operational(psycopg.OperationalError("connection refused")),
        _operational(psycopg.errors.QueryCanceled("canceling statement due to statement timeout")),
        _operational(sqlite3.OperationalError("no such table: reports")),
        _operational(sqlite3.OperationalError("disk I/O error")),
        sa.exc.IntegrityError("INSERT", {}, psycopg.errors.UniqueViolation("duplicate key")),
        sa.exc.DatabaseError("UPDATE", {}, sqlite3.DatabaseError("database is locked")),
    ],
)
def test_other_database_errors_are_not_busy(error):
    assert not database_busy(error)
    context = SimpleNamespace(sqlalchemy_exception=error, original_exception=error.orig)
    raise_busy(context)  # type: ignore[arg-type]  # returns: the error goes on as it was
