"""Aggregates over periods at the far ends of the calendar: a `since` in the last month that
dates can name leaves no whole month to read from the tallies, and is answered, not a 500."""

from __future__ import annotations

import pytest

from tests.conftest import make_report

LAST_HOUR = "9999-12-31T23:00:00Z"


@pytest.fixture(scope="module", autouse=True)
def stored(client, ghana_regions):  # type: ignore[no-untyped-def]
    sent = client.post("/api/v1/reports", json=make_report())
    assert sent.status_code == 201, sent.text


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/v1/aggregates/hexes", {"resolution": 3}),
        ("/api/v1/aggregates/cells", {"resolution": 3}),
        ("/api/v1/aggregates/areas", {"level": 1}),
    ],
)
def test_a_since_in_the_last_month_of_the_calendar_finds_nothing(client, path, params):
    answer = client.get(path, params={**params, "since": LAST_HOUR})
    assert answer.status_code == 200, answer.text
    assert "9999" in answer.text  # the filter is echoed in the metadata
    whole = client.get(path, params=params).json()
    assert answer.json() != whole
