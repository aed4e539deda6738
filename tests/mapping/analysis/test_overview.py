"""Figures for the pages: suppression of headline counts and of the monthly trend."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.engine import Engine

from mapping.analysis import overview
from mapping.reports import ingest
from mapping.reports.rows import Limits
from mapping.storage.reports import ReportQuery
from tests.conftest import make_report

NOW = datetime(2026, 3, 15, tzinfo=UTC)


def test_month_keys_cross_the_year() -> None:
    keys = overview._month_keys(NOW, 4)
    assert keys == [(2025, 12), (2026, 1), (2026, 2), (2026, 3)]


def _store(engine: Engine, features: list[dict]) -> None:
    batch = {"type": "FeatureCollection", "features": features}
    result = ingest.submit_batch(engine, batch, limits=Limits(), now=NOW)
    assert result.created == len(features)


def test_trend_hides_small_months_and_what_would_reveal_them(engine: Engine) -> None:
    # 7 reports in January, 2 in February (hidden), 6 in March: March is hidden too, since the
    # window's total minus January would otherwise give February away.
    days = ["2026-01-10"] * 7 + ["2026-02-10"] * 2 + ["2026-03-10"] * 6
    _store(
        engine,
        [make_report(campaign="trend", observed_at=f"{d}T10:00:00+00:00") for d in days],
    )
    with engine.connect() as conn:
        trend = overview.monthly_trend(
            conn, ReportQuery(campaign="trend"), threshold=5, months=3, now=NOW
        )
    assert [m["month"] for m in trend] == ["2026-01", "2026-02", "2026-03"]
    assert [m["reports"] for m in trend] == [7, None, None]
    assert [m["suppressed"] for m in trend] == [False, True, True]
    assert trend[0]["satisfied_share"] == 1.0 and trend[0]["rated"] == 7
    assert trend[1]["satisfied_share"] is None


def test_headline_counts_suppress_a_small_kind(engine: Engine) -> None:
    with engine.connect() as conn:
        counts = overview.headline_counts(conn, threshold=5)
    assert counts["reports"] is not None and counts["reports"] >= 15
    assert counts["by_kind"]["service"] is not None
    assert counts["by_kind"]["hotspot"] == 0  # zero is published as zero
