"""Fixtures of the API tests that drive the `civicmap` command as well."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from mapping.cli.main import main


@pytest.fixture(scope="module")
def run(database_url):  # type: ignore[no-untyped-def]
    """`civicmap` with its arguments, on the module's database."""
    runner = CliRunner()

    def invoke(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(main, list(args), env={"CIVICMAP_DATABASE_URL": database_url})

    return invoke
