"""The public view of a report, tested on its own: for any point, a sensitive report shows only
its public cell, in every member, and no view shows who reported it. The oracle is the h3
library itself, not mapping.hexgrid."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import h3
import hypothesis.strategies as st
from hypothesis import given

from mapping import hexgrid
from mapping.disclosure.publish import View, report_feature

PUBLIC = View(public_resolution=7)
STAFF = View(public_resolution=7, exact_locations=True)
MODERATOR = View(public_resolution=7, exact_locations=True, moderation=True)
REPORTER = {"reporter_sex": "female", "reporter_age_group": "65+", "reporter_disability": True}

lons = st.floats(-179.9, 179.9, allow_nan=False, allow_subnormal=False)
lats = st.floats(-84.0, 84.0, allow_nan=False, allow_subnormal=False)


def stored(lon: float, lat: float, *, sensitive: bool, **changes: Any) -> dict[str, Any]:
    """A report row as storage returns it."""
    row: dict[str, Any] = {
        "id": uuid.uuid4(),
        "client_id": uuid.uuid4(),
        "kind": "hotspot",
        "category": "safety",
        "observed_at": datetime(2026, 11, 30, 9, 41, 7, tzinfo=UTC),
        "received_at": datetime(2026, 11, 30, 9, 45, tzinfo=UTC),
        "status": "verified",
        "status_note": "checked by phone",
        "campaign": None,
        "description": None,
        "sensitive": sensitive,
        "accuracy_m": 4.0,
        "attributes": {"severity": 4},
        "h3": hexgrid.cell_at(lon, lat),
        "lon": lon,
        "lat": lat,
        "quality": [],
        "duplicate_of": None,
        "photo_count": 2,
        **{f"area_{level}": None for level in (1, 2, 3)},
        **REPORTER,
    }
    row.update(changes)
    return row


@given(lons, lats)
def test_a_sensitive_report_is_public_only_as_the_centre_of_its_public_cell(lon, lat):
    feature = report_feature(stored(lon, lat, sensitive=True), PUBLIC)
    public_cell = h3.cell_to_parent(h3.latlng_to_cell(lat, lon, 15), 7)
    centre_lat, centre_lon = h3.cell_to_latlng(public_cell)
    shown_lon, shown_lat = feature["geometry"]["coordinates"]
    assert (round(shown_lon, 9), round(shown_lat, 9)) == (
        round(centre_lon, 9),
        round(centre_lat, 9),
    )
    props = feature["properties"]
    assert props["h3"] == public_cell
    assert props["accuracy_m"] is None  # a small accuracy says the point is a real one
    assert props["location_generalised_to"] == "h3 resolution 7"
    assert props["photos"] == []  # a photo can show where it was taken


def numbers(value: Any) -> list[float]:
    if isinstance(value, dict):
        return [n for v in value.values() for n in numbers(v)]
    if isinstance(value, list):
        return [n for v in value for n in numbers(v)]
    return [value] if isinstance(value, float) else []


@given(lons, lats)
def test_no_member_of_the_public_view_carries_the_exact_point(lon, lat):
    row = stored(lon, lat, sensitive=True)
    feature = report_feature(row, PUBLIC)
    assert lon not in numbers(feature) and lat not in numbers(feature)
    text = json.dumps(feature)
    for level in range(8, 16):  # no cell finer than the public one, the stored one among them
        assert h3.latlng_to_cell(lat, lon, level) not in text


@given(lons, lats, st.booleans())
def test_staff_see_the_exact_point_and_everyone_else_sees_what_is_public(lon, lat, sensitive):
    row = stored(lon, lat, sensitive=sensitive)
    assert report_feature(row, STAFF)["geometry"]["coordinates"] == [lon, lat]
    public = report_feature(row, PUBLIC)["geometry"]["coordinates"]
    assert (public == [lon, lat]) is (not sensitive)


def test_no_view_shows_who_reported():
    row = stored(-0.187, 5.6037, sensitive=True)
    for view in (PUBLIC, STAFF, MODERATOR):
        text = json.dumps(report_feature(row, view))
        assert "reporter" not in text and "female" not in text and "65+" not in text


def test_only_moderators_see_the_client_id_and_the_note():
    row = stored(-0.187, 5.6037, sensitive=False)
    for view in (PUBLIC, STAFF):
        props = report_feature(row, view)["properties"]
        assert "client_id" not in props and "status_note" not in props
    props = report_feature(row, MODERATOR)["properties"]
    assert props["client_id"] == str(row["client_id"])
    assert props["status_note"] == "checked by phone"
    assert len(props["photos"]) == 2
