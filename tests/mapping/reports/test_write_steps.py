"""How many features a batch writes at once: fixed on SQLite, whose lock-hold rule is kept by
the budget between steps; on PostgreSQL as many as fit the budget, within bounds, so that a
busy machine gets smaller steps and the tallies' lock is held about as long as on a quiet one."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from mapping.reports import ingest
from mapping.reports.ingest import StepSize

# Engines are made without connecting: only their dialect is read.
SQLITE = sa.create_engine("sqlite://")
POSTGRES = sa.create_engine("postgresql+psycopg://nobody@localhost/none")


def test_sqlite_writes_the_same_step_whatever_the_speed():
    steps = StepSize(SQLITE)
    for seconds in (0.001, 5.0):
        steps.took(ingest.WRITE_STEP, seconds)
        assert steps.size == ingest.WRITE_STEP


def test_postgres_starts_small_and_grows_to_what_fits_the_budget(monkeypatch):
    monkeypatch.setattr(ingest, "WRITE_BUDGET_S", 0.15)
    steps = StepSize(POSTGRES)
    assert steps.size == ingest.WRITE_STEP
    steps.took(100, 0.03)  # 0.3 ms a row: 500 fit the budget
    assert steps.size == 500
    steps.took(500, 0.05)  # faster still: capped
    assert steps.size == ingest.POSTGRES_WRITE_STEP
    steps.took(1000, 1.5)  # a busy moment: back towards the floor
    assert steps.size == ingest.WRITE_STEP


@pytest.mark.parametrize("seconds", [0.0, 0.001])
def test_a_short_last_step_changes_nothing(seconds):
    steps = StepSize(POSTGRES)
    steps.took(ingest.WRITE_STEP - 1, seconds)
    assert steps.size == ingest.WRITE_STEP
