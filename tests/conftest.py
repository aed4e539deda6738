"""Fixtures: a fresh database per test module on each backend, the app on it, report factories.

PostGIS tests need a server: `CIVICMAP_TEST_POSTGRES_URL` names a role that may create databases
(default: civicmap@localhost). Without one they skip, except in CI, where a skip is a failure.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import hypothesis
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from api.app import create_app
from mapping.areas.files import Boundaries
from mapping.keys import ROLES, create_key
from mapping.settings import Settings
from mapping.storage import make_engine, scratch, upgrade
from tests.data import store_ghana_regions

# Helper modules whose asserts should explain a failure as a test module's do.
pytest.register_assert_rewrite("tests.photos", "tests.forms")

# Two cores shared with servers and browsers: generation can be slow without being wrong.
hypothesis.settings.register_profile(
    "civicmap", deadline=None, suppress_health_check=[hypothesis.HealthCheck.too_slow]
)
hypothesis.settings.load_profile("civicmap")

POSTGRES_URL = os.environ.get(
    "CIVICMAP_TEST_POSTGRES_URL", "postgresql+psycopg://civicmap:civicmap@localhost/postgres"
)
BACKENDS = ["spatialite", "postgis"]
IN_CI = os.environ.get("CI", "").lower() == "true"


@pytest.fixture(scope="session")
def postgres_error() -> str | None:
    return scratch.problem_reaching(POSTGRES_URL)


@pytest.fixture(scope="module", params=BACKENDS)
def database_url(request, tmp_path_factory, postgres_error) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """A new, empty database of each backend for the test module."""
    if request.param == "spatialite":
        path = tmp_path_factory.mktemp("db") / "civicmap.sqlite"
        yield f"sqlite:///{path}"
        return
    yield from postgis_database(postgres_error)


def postgis_database(postgres_error: str | None) -> Iterator[str]:
    """A new, empty PostGIS database for as long as the generator runs; a failure in CI and a
    skip elsewhere when PostgreSQL cannot be reached."""
    if postgres_error:
        message = f"PostGIS not reachable at {POSTGRES_URL}: {postgres_error}"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    with scratch.temporary_database(POSTGRES_URL, "civicmap_test") as url:
        yield url


def settings_for(
    database_url: str, tmp_path_factory: pytest.TempPathFactory, **overrides: Any
) -> Settings:
    """Test settings: quotas high enough for the tests' traffic (the tests of quotas lower
    them), photos in a directory of the module's own (never under the checkout), no .env file;
    `overrides` on top."""
    values: dict[str, Any] = {
        "database_url": database_url,
        "anonymous_writes_per_minute": 1_000_000,
        "key_writes_per_minute": 1_000_000,
        "photo_dir": str(tmp_path_factory.mktemp("photos")),
        # The tests' webhook receivers listen on this machine.
        "webhook_allowed_hosts": ["127.0.0.1"],
        **overrides,
    }
    return Settings(**values, _env_file=None)  # type: ignore[call-arg]


@pytest.fixture(scope="module")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return settings_for(database_url, tmp_path_factory)


@pytest.fixture(scope="module")
def engine(settings: Settings) -> Iterator[Engine]:
    engine = make_engine(settings.database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def client(settings: Settings, engine: Engine) -> Iterator[TestClient]:
    app = create_app(settings)
    with TestClient(app) as client:
        yield client
    app.state.engine.dispose()


@pytest.fixture(scope="module")
def keys(engine: Engine) -> dict[str, dict[str, str]]:
    """An Authorization header for a key of each role."""
    made = {}
    with engine.begin() as conn:
        for role in ROLES:
            _, key = create_key(conn, name=f"test {role}", role=role)
            made[role] = {"Authorization": f"Bearer {key}"}
    return made


@pytest.fixture(scope="module")
def ghana_regions(engine: Engine) -> Boundaries:
    """Ghana's 16 regions (tests.data.GHANA_ADM1) stored as the level-1 areas of the module's
    database; what was read from the file."""
    return store_ghana_regions(engine)


def count_reports(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.exec_driver_sql("SELECT count(*) FROM reports").scalar_one())


def make_report(
    kind: str = "service",
    lon: float = -0.1870,
    lat: float = 5.6037,
    **properties: Any,
) -> dict[str, Any]:
    """A valid report Feature of `kind`; keyword arguments replace or add properties."""
    attributes = {
        "service": {"name": "Korle Bu clinic", "status": "operational", "satisfaction": 3},
        "litter": {"survey_length_m": 100, "items": {"G1": 2, "G21": 5}},
        "hotspot": {"severity": 3, "people_affected": 40},
    }[kind]
    category = {"service": "health_facility", "litter": "monitoring", "hotspot": "flooding"}[kind]
    props: dict[str, Any] = {
        "kind": kind,
        "category": category,
        "observed_at": (datetime.now(UTC) - timedelta(days=2)).isoformat(timespec="seconds"),
        "client_id": str(uuid.uuid4()),
        "attributes": attributes,
    }
    props.update(properties)
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": props,
    }
