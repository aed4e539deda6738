"""Properties of report validation and geometry handling, over generated input."""

from __future__ import annotations

import math
import sys
from datetime import UTC, datetime, timedelta

import h3
import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from mapping.errors import InvalidInput
from mapping.reports.rows import Limits, client_id_for, to_row, validate_feature
from mapping.storage import reports as store
from mapping.taxonomy import HOTSPOT_THEMES, LITTER_ITEMS, SERVICE_CATEGORIES

NOW = datetime.now(UTC)
LIMITS = Limits()

# Subnormal numbers (5e-324) are refused: no device measures a position that close to zero.
lons = st.floats(-180, 180, allow_nan=False, allow_subnormal=False).map(lambda x: x or 1.0)
lats = st.floats(-90, 90, allow_nan=False, allow_subnormal=False)
times = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2026, 1, 1), timezones=st.just(UTC)
)
TEXT = st.text(
    st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), max_size=50
)
json_values = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=True) | st.integers() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@st.composite
def reports(draw):  # type: ignore[no-untyped-def]
    kind = draw(st.sampled_from(["service", "litter", "hotspot"]))
    if kind == "service":
        category = draw(st.sampled_from([c.code for c in SERVICE_CATEGORIES]))
        attributes = {
            "satisfaction": draw(st.integers(1, 4)),
            "status": draw(st.sampled_from(["operational", "partly", "closed"])),
        }
    elif kind == "litter":
        category = draw(st.sampled_from(["monitoring", "cleanup", "sighting"]))
        codes = draw(
            st.lists(st.sampled_from([i.code for i in LITTER_ITEMS]), min_size=1, max_size=5)
        )
        attributes = {
            "survey_length_m": draw(st.floats(0.5, 1000)),
            "items": {c: draw(st.integers(0, 100_000)) for c in codes},
        }
    else:
        category = draw(st.sampled_from([c.code for c in HOTSPOT_THEMES]))
        attributes = {"severity": draw(st.integers(1, 5))}
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [draw(lons), draw(lats)]},
        "properties": {
            "kind": kind,
            "category": category,
            "observed_at": draw(times).isoformat(),
            "attributes": attributes,
            "description": draw(TEXT),
        },
    }


@given(feature=reports())
def test_every_valid_report_is_accepted_and_placed_where_it_is(feature):
    report = validate_feature(feature, limits=LIMITS, now=NOW)
    lon, lat = feature["geometry"]["coordinates"]
    row = to_row(report, client_id=client_id_for(report, None), received_at=NOW, limits=LIMITS)
    assert row["h3"] == h3.str_to_int(h3.latlng_to_cell(lat, lon, 15))
    assert row["geom"] == f"SRID=4326;POINT({lon!r} {lat!r})"
    assert row["status"] == "pending"


@given(obj=json_values)
def test_any_json_is_refused_with_a_message_never_a_crash(obj):
    try:
        validate_feature(obj, limits=LIMITS, now=NOW)
    except InvalidInput as exc:
        assert exc.errors and all(e["msg"] for e in exc.errors)


@given(feature=reports(), path=st.sampled_from(["geometry", "properties"]), junk=json_values)
def test_a_report_with_any_member_replaced_is_refused_or_still_valid(feature, path, junk):
    feature[path] = junk
    try:
        validate_feature(feature, limits=LIMITS, now=NOW)
    except InvalidInput as exc:
        assert any(e["loc"][0] == path for e in exc.errors)


@given(
    lon=st.floats(allow_nan=True, allow_infinity=True),
    lat=st.floats(allow_nan=True, allow_infinity=True),
)
def test_coordinates_outside_wgs84_are_refused(lon, lat):
    feature = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": {
            "kind": "hotspot",
            "category": "water",
            "observed_at": "2024-01-01T00:00:00Z",
            "attributes": {"severity": 2},
        },
    }
    inside = math.isfinite(lon) and math.isfinite(lat) and abs(lon) <= 180 and abs(lat) <= 90
    inside = inside and not any(0 < abs(v) < sys.float_info.min for v in (lon, lat))
    try:
        validate_feature(feature, limits=LIMITS, now=NOW)
        accepted = True
    except InvalidInput as exc:
        accepted = False
        assert exc.errors[0]["loc"][:2] == ["geometry", "coordinates"]
    assert accepted == (inside and (lon, lat) != (0, 0))


@given(observed=st.datetimes(timezones=st.just(UTC)))
def test_observed_at_must_fall_between_2000_and_five_minutes_from_now(observed):
    feature = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [1.5, 6.5]},
        "properties": {
            "kind": "hotspot",
            "category": "water",
            "observed_at": observed.isoformat(),
            "attributes": {"severity": 2},
        },
    }
    ok = datetime(2000, 1, 1, tzinfo=UTC) <= observed <= NOW + timedelta(minutes=5)
    try:
        validate_feature(feature, limits=LIMITS, now=NOW)
        assert ok
    except InvalidInput:
        assert not ok


@given(feature=reports())
@settings(max_examples=40, deadline=None)
def test_points_come_back_from_storage_exactly(engine, feature):
    report = validate_feature(feature, limits=LIMITS, now=NOW)
    row = to_row(report, client_id=client_id_for(report, None), received_at=NOW, limits=LIMITS)
    with engine.begin() as conn:
        store.insert_rows(conn, [row])
        stored = store.get_by_client_id(conn, row["client_id"])
        conn.execute(sa.text("DELETE FROM reports WHERE seq = :s"), {"s": stored["seq"]})
    assert (stored["lon"], stored["lat"]) == tuple(feature["geometry"]["coordinates"])


def test_text_with_half_a_surrogate_pair_is_refused_before_storage():
    """No UTF-8 file or form holds a lone surrogate, and PostgreSQL cannot store one: a caller
    of the Python API that passes one gets the field named, not a database error."""
    feature = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [1.5, 6.5]},
        "properties": {
            "kind": "hotspot",
            "category": "water",
            "observed_at": "2024-01-01T00:00:00Z",
            "description": "flooded \ud800 road",
            "attributes": {"severity": 2},
        },
    }
    with pytest.raises(InvalidInput) as refused:
        validate_feature(feature, limits=LIMITS, now=NOW)
    assert refused.value.errors[0]["loc"][-1] == "description"
