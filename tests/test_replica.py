"""A real PostgreSQL streaming replica under CIVICMAP_READ_DATABASE_URL: listings and maps are
read from it, a client's own writes and every status page from the primary, and a replica that
lags past the limit, or is stopped, leaves the reads to the primary without an error.

The replica is a copy of the test cluster made with `pg_basebackup -R`, run with pg_ctl on a
free port of this machine (as the `postgres` OS user when the tests run as root), and stopped
at the end. Which database answered is told by what it holds: while the replica's replay is
paused, a report written since is on the primary only.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy.engine import Engine

from api.app import create_app
from api.replica import COOKIE, may_read_replica
from mapping.keys import create_key
from mapping.settings import Settings
from mapping.storage import make_engine, upgrade
from tests.conftest import POSTGRES_URL, make_report, postgis_database, settings_for
from tests.data import store_ghana_regions
from tests.standby import Standby

WAIT_S = 60.0


def eventually(condition: Callable[[], bool], what: str) -> None:
    """Wait for `condition`, polling; fail naming `what` if it never holds."""
    deadline = time.monotonic() + WAIT_S
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not happen within {WAIT_S:.0f} s")
        time.sleep(0.1)


@pytest.fixture(scope="module")
def primary_url(postgres_error: str | None) -> Iterator[str]:
    yield from postgis_database(postgres_error)


@pytest.fixture(scope="module")
def primary(primary_url: str) -> Iterator[Engine]:
    engine = make_engine(primary_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def standby(primary: Engine) -> Iterator[Standby]:
    server = Standby(POSTGRES_URL)
    try:
        server.start()
        yield server
    finally:
        server.remove()


@pytest.fixture(scope="module")
def replica(standby: Standby, primary_url: str) -> Iterator[Engine]:
    engine = sa.create_engine(standby.url(primary_url), isolation_level="AUTOCOMMIT")
    yield engine
    engine.dispose()


def app_reading(
    primary_url: str, standby: Standby, tmp_path_factory: pytest.TempPathFactory, max_lag_s: float
) -> Iterator[Any]:
    settings = settings_for(
        primary_url,
        tmp_path_factory,
        read_database_url=standby.url(primary_url),
        read_max_lag_s=max_lag_s,
        webhook_worker_interval_s=0,
    )
    app = create_app(settings)
    yield app
    app.state.replica.replica.dispose()
    app.state.engine.dispose()


@pytest.fixture(scope="module")
def patient(primary_url: str, standby: Standby, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """An app that lets its replica lag an hour."""
    yield from app_reading(primary_url, standby, tmp_path_factory, max_lag_s=3600)


@pytest.fixture(scope="module")
def impatient(primary_url: str, standby: Standby, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """An app that lets its replica lag one second."""
    yield from app_reading(primary_url, standby, tmp_path_factory, max_lag_s=1)


def replay_caught_up(primary: Engine, replica: Engine) -> bool:
    with primary.connect() as conn:
        position = conn.exec_driver_sql("SELECT pg_current_wal_lsn()").scalar_one()
    with replica.connect() as conn:
        return bool(
            conn.exec_driver_sql(
                "SELECT pg_last_wal_replay_lsn() >= %(p)s::pg_lsn", {"p": position}
            ).scalar_one()
        )


def pause_replay(replica: Engine) -> None:
    with replica.connect() as conn:
        conn.exec_driver_sql("SELECT pg_wal_replay_pause()")
    eventually(lambda: replay_state(replica) == "paused", "pausing the replay")


def resume_replay(replica: Engine) -> None:
    with replica.connect() as conn:
        conn.exec_driver_sql("SELECT pg_wal_replay_resume()")


def replay_state(replica: Engine) -> str:
    with replica.connect() as conn:
        return str(conn.exec_driver_sql("SELECT pg_get_wal_replay_pause_state()").scalar_one())


def listed(client: TestClient, **headers: str) -> set[str]:
    answer = client.get("/api/v1/reports", headers=headers)
    assert answer.status_code == 200, answer.text
    return {feature["id"] for feature in answer.json()["features"]}


def send(client: TestClient, **properties: Any) -> dict[str, Any]:
    answer = client.post("/api/v1/reports", json=make_report(**properties))
    assert answer.status_code == 201, answer.text
    return answer.json()  # type: ignore[no-any-return]


class Clock:
    """The clock of an app's replica monitor, moved by the test: the lag passes the limit when
    the test says so, however slow the machine."""

    def __init__(self, now: float = 0.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.mark.slow
def test_reads_follow_the_replica_the_writer_and_the_lag_limit(
    primary: Engine, replica: Engine, patient: Any, impatient: Any
) -> None:
    writer, reader, hurried = TestClient(patient), TestClient(patient), TestClient(impatient)
    clock = impatient.state.replica.clock = Clock()
    before = send(writer)

    def reads_the_replica(client: TestClient) -> Callable[[], bool]:
        def check() -> bool:
            clock.now += 0.5  # so that each read checks the replica again
            listed(client)
            return bool(client.app.state.replica.usable())  # type: ignore[attr-defined]

        return check

    eventually(lambda: replay_caught_up(primary, replica), "the replica catching up")
    eventually(reads_the_replica(reader), "the replica catching up, for the patient app")
    eventually(reads_the_replica(hurried), "the replica catching up, for the hurried app")
    pause_replay(replica)

    after = send(writer)
    assert COOKIE in writer.cookies
    # The writer sees their report at once: on its status page and in the listing.
    status = writer.get(
        f"/api/v1/reports/{after['id']}/status", params={"receipt": after["receipt"]}
    )
    assert status.status_code == 200, status.text
    assert status.json()["status"] == "pending"
    assert writer.get(f"/api/v1/reports/{after['id']}").status_code == 200
    assert listed(writer) == {before["id"], after["id"]}
    # Others get the paused replica's listing and map, without the report written since.
    assert listed(reader) == {before["id"]}
    assert listed(hurried) == {before["id"]}
    hexes = reader.get("/api/v1/aggregates/hexes", params={"resolution": 6}).json()
    assert sum(f["properties"]["reports"] for f in hexes["features"]) == 1
    # A position of one's own making only sends one's own reads to the primary; junk is ignored.
    assert listed(TestClient(patient, cookies={COOKIE: "FFFFFFFF/0"})) == {
        before["id"],
        after["id"],
    }
    assert listed(TestClient(patient, cookies={COOKIE: "<script>"})) == {before["id"]}
    # A key made since is checked on the primary, whichever database then answers.
    with primary.begin() as conn:
        _, key = create_key(conn, name="made after the pause", role="moderator")
    assert listed(reader, Authorization=f"Bearer {key}") == {before["id"]}

    # Two seconds on, the app that allows one second of lag reads the primary; the other waits.
    clock.now += 2
    assert listed(hurried) == {before["id"], after["id"]}
    assert listed(reader) == {before["id"]}


# A GET of each kind the rule sends to the replica (api.replica.READ_PATHS).
REPLICA_READS = [
    ("/api/v1/reports", {}),
    ("/api/v1/reports", {"format": "csv"}),
    ("/api/v1/aggregates/hexes", {"resolution": 6}),
    ("/api/v1/aggregates/cells", {"resolution": 6}),
    ("/api/v1/aggregates/areas", {"level": 1}),
    ("/api/v1/indicators", {"level": 1}),
    ("/api/v1/hotspots", {"resolution": 6, "permutations": 0}),
    ("/api/v1/coverage", {"category": "health_facility", "resolution": 5, "max_distance_m": 5000}),
    ("/api/v1/areas", {"level": 1}),
    ("/api/v1/areas/GH-AA", {}),
    ("/api/v1/areas/GH-AA/feed.atom", {}),
    ("/api/v1/campaigns", {}),
    ("/api/v1/facilities", {"category": "health_facility"}),
    ("/api/v1/facilities/missing", {"category": "health_facility"}),
    ("/api/v1/beaches", {}),
    ("/ogc/collections", {}),
    ("/ogc/collections/reports/items", {}),
    ("/open311/v2/requests.json", {}),
]


@pytest.mark.slow
def test_every_read_sent_to_the_replica_is_answered_there(
    primary: Engine, replica: Engine, patient: Any
) -> None:
    """None of them writes (the replica is read-only), so none falls back to the primary."""
    store_ghana_regions(primary)
    reader = TestClient(patient)
    monitor = patient.state.replica
    resume_replay(replica)
    eventually(lambda: replay_caught_up(primary, replica), "the replica catching up")
    eventually(lambda: bool(listed(reader) is not None and monitor.usable()), "a check")
    monitor.clock = Clock(time.monotonic())
    for path, params in REPLICA_READS:
        assert may_read_replica("GET", path)
        answer = reader.get(path, params=params)
        assert answer.status_code == 200, (path, answer.text)
        assert monitor.usable(), f"{path} failed on the replica"
    monitor.clock = time.monotonic


@pytest.mark.slow
def test_a_stale_answer_carries_the_replicas_data_version(
    primary: Engine, replica: Engine, patient: Any
) -> None:
    """An ETag names the version of the database that made the answer: a copy of the paused
    replica's listing is refreshed once the replica has caught up, never kept as current."""
    writer, reader = TestClient(patient), TestClient(patient)
    if replay_state(replica) != "paused":
        pause_replay(replica)
    written = send(writer)
    stale = reader.get("/api/v1/reports")
    assert written["id"] not in {f["id"] for f in stale.json()["features"]}
    etag = stale.headers["etag"]
    assert reader.get("/api/v1/reports", headers={"If-None-Match": etag}).status_code == 304

    resume_replay(replica)
    eventually(lambda: written["id"] in listed(reader), "the replica replaying the report")
    fresh = reader.get("/api/v1/reports", headers={"If-None-Match": etag})
    assert fresh.status_code == 200
    assert written["id"] in {f["id"] for f in fresh.json()["features"]}


@pytest.mark.slow
def test_a_stopped_replica_leaves_every_read_to_the_primary(
    primary: Engine, replica: Engine, standby: Standby, patient: Any
) -> None:
    reader = TestClient(patient)
    resume_replay(replica)
    eventually(lambda: replay_caught_up(primary, replica), "the replica catching up")
    assert listed(reader)  # the replica answers, and the app holds connections to it
    # The app will not check the replica again before it fails a read there.
    patient.state.replica.clock = Clock(time.monotonic())
    assert patient.state.replica.usable()
    standby.stop()
    written = send(TestClient(patient))
    for _ in range(3):
        assert written["id"] in listed(reader)
        cells = reader.get("/api/v1/aggregates/cells", params={"resolution": 6})
        assert cells.status_code == 200, cells.text


@pytest.mark.parametrize(
    ("url", "read_url", "complaint"),
    [
        ("sqlite:///var/x.sqlite", "postgresql+psycopg://u:p@127.0.0.1:5433/db", "SpatiaLite"),
        ("postgresql+psycopg://u:p@127.0.0.1/db", "sqlite:///var/x.sqlite", "streaming replica"),
        ("postgresql+psycopg://u:p@127.0.0.1/db", "not a url", "streaming replica"),
    ],
)
def test_a_read_url_beside_spatialite_or_of_another_kind_is_refused_at_startup(
    url: str, read_url: str, complaint: str
) -> None:
    with pytest.raises(ValidationError, match=complaint) as refused:
        Settings(database_url=url, read_database_url=read_url, _env_file=None)  # type: ignore[call-arg]
    assert ":p@" not in str(refused.value), "the error shows a password"
