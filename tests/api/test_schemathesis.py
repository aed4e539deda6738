"""schemathesis, as its command line runs it, against a live server's /openapi.json.

All its checks run: no server error, status codes, content types, headers and bodies as
documented, and authentication as declared. One check is tuned: the API refuses, with a 400 or
422 problem, some requests that its JSON Schema cannot rule out (an `observed_at` in the future,
a category of another kind, a cursor it never gave), so those statuses count as a proper refusal
of schema-valid input.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from mapping.keys import create_key
from tests.live import ServerFactory

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
CONFIG = """
[checks.positive_data_acceptance]
expected-statuses = ["2xx", "400", "401", "403", "404", "409", "422"]
"""


@pytest.fixture(scope="module")
def server(database_url, engine, tmp_path_factory):  # type: ignore[no-untyped-def]
    factory = ServerFactory(database_url, tmp_path_factory.mktemp("schemathesis"))
    try:
        yield factory.start()
    finally:
        factory.cleanup()


@pytest.mark.parametrize("role", ["anonymous", "moderator"])
def test_schemathesis_finds_no_failure(server, engine, role, database_url, tmp_path):  # type: ignore[no-untyped-def]
    headers = []
    if role != "anonymous":
        with engine.begin() as conn:
            _, key = create_key(conn, name=f"schemathesis {role}", role=role)
        # What a moderator's key changes is what is read (exact places, hidden reports) and
        # moderation; its POSTs run the same code as the anonymous run's, so they are not
        # repeated.
        headers = ["-H", f"Authorization: Bearer {key}", "--exclude-method", "POST"]
    config = tmp_path / "schemathesis.toml"
    config.write_text(CONFIG)
    result = subprocess.run(
        [
            str(SCHEMATHESIS),
            "--config-file",
            str(config),
            "run",
            f"{server.base_url}/openapi.json",
            "--checks",
            "all",
            "--max-examples",
            "8",
            "--generation-deterministic",
            "--request-timeout",
            "20",
            *headers,
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "NO_COLOR": "1"},
        cwd=tmp_path,
    )
    backend = "postgis" if database_url.startswith("postgresql") else "spatialite"
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"schemathesis-{backend}-{role}.txt").write_text(result.stdout + result.stderr)
    summary = result.stdout[result.stdout.rfind("SUMMARY") :]
    assert result.returncode == 0, summary or result.stderr[-3000:]
