"""The public view of a report, without HTTP: what each role sees of a stored row.

Every output (listings, downloads, OGC, Open311, feeds, webhooks) goes through
`report_feature`, so what holds here holds everywhere. The views are the ones `api.auth` gives
each role; the expected cell and centre come from the h3 library directly, the areas from the
region outlines read with shapely, not from the code under test. The HTTP tests check single
reports end to end; these check every resolution, role and point, and every member of the
answer, not only its geometry.
"""

from __future__ import annotations

import functools
import json
import uuid
from datetime import UTC, datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any, get_args
from urllib.parse import urlsplit

import h3
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Point, shape

from api.auth import get_view
from mapping.disclosure.publish import View, photo_links, photos_visible, report_feature, rfc3339
from mapping.keys import ROLES, Principal
from mapping.reports.moderation import Status
from mapping.storage.reports import PUBLIC, report_columns
from tests.data import GHANA_ADM1

# A point in Accra, with digits no cell centre shares.
LON, LAT = -0.2103917, 5.5571283
ACCURACY_M = 12.75
# Who may see what, as the module says: exact points for moderators and planners (and admins,
# who may do everything); client ids and status notes for those who moderate.
EXACT = {"moderator", "planner", "admin"}
MODERATION = {"moderator", "admin"}
PUBLIC_ROLES = [None, "volunteer"]  # None: no key at all
ALL_ROLES = [None, *ROLES]
PUBLIC_STATUSES = {"pending", "verified", "duplicate"}
# What a stored row holds about who sent it; in no view.
PRIVATE_VALUES = {
    "reporter_age_group": "45-64",
    "reporter_wg": "113111",
    "reporter_residence": "GH-UW-17",
    "reporter_respondent": "interview-7",
    "submitter": "k:9d41e0c7b2",
    "content_hash": "c0ffee" * 10 + "abcd",
    "receipt_hash": "5eed" * 16,
}


def view_of(role: str | None, public_resolution: int = 7) -> View:
    """The view `api.auth` gives a request with a key of `role` (None: no key)."""
    return get_view(Principal(role=role), SimpleNamespace(public_h3_resolution=public_resolution))


def cell15(lon: float, lat: float) -> str:
    return h3.latlng_to_cell(lat, lon, 15)


def stored_row(lon: float = LON, lat: float = LAT, **changes: Any) -> dict[str, Any]:
    """A report row as storage reads it: every column but the geometry, plus lon and lat."""
    row: dict[str, Any] = {
        "seq": 4242,
        "id": uuid.UUID("6f1c2e4a-0000-4000-8000-000000000001"),
        "client_id": uuid.UUID("0c11e471-0000-4000-8000-000000000002"),
        "kind": "hotspot",
        "category": "flooding",
        "observed_at": datetime(2026, 3, 1, 9, 30),  # naive, as SQLite gives it back
        "received_at": datetime(2026, 3, 1, 9, 31, tzinfo=UTC),
        "h3": h3.str_to_int(cell15(lon, lat)),
        "accuracy_m": ACCURACY_M,
        "campaign": "floods-2026",
        "description": "Water up to the knees at the junction",
        "sensitive": True,
        "reporter_sex": "female",
        "reporter_disability": True,
        "satisfaction_missing": None,
        "source": None,
        "beach": None,
        "attributes": {"depth_cm": 40},
        "status": "pending",
        "status_note": "Passed to the municipal assembly",
        "quality": [],
        "satisfaction": None,
        "severity": 3,
        "people_affected": 12,
        "survey_length_m": None,
        "litter_items": None,
        "litter_plastic": None,
        "area_0": "GH",
        "area_1": "GH-AA",
        **{f"area_{level}": None for level in range(2, 6)},
        "duplicate_of": None,
        "photo_count": 2,
        "lon": lon,
        "lat": lat,
        **PRIVATE_VALUES,
    }
    row.update(changes)
    return row


def test_the_test_row_has_every_column_a_read_row_has():
    """So that a column added to the table (a reporter's name, say) is in the rows below."""
    assert set(stored_row()) == {c.key for c in report_columns(PUBLIC)}


def generalised(lon: float, lat: float, resolution: int) -> tuple[str, list[float]]:
    """The public cell of the point and its centre [lon, lat], by h3 itself."""
    cell = h3.cell_to_parent(cell15(lon, lat), resolution)
    centre_lat, centre_lon = h3.cell_to_latlng(cell)
    return cell, [centre_lon, centre_lat]


@given(
    lon=st.floats(-180, 180, allow_nan=False),
    lat=st.floats(-89.9, 89.9, allow_nan=False),
    resolution=st.integers(0, 15),
    role=st.sampled_from(PUBLIC_ROLES),
)
@settings(max_examples=200)
def test_a_sensitive_report_is_public_only_as_its_cells_centre(lon, lat, resolution, role):
    feature = report_feature(stored_row(lon, lat), view_of(role, resolution))
    cell, centre = generalised(lon, lat, resolution)
    props = feature["properties"]
    assert feature["geometry"] == {"type": "Point", "coordinates": pytest.approx(centre, abs=1e-9)}
    assert props["h3"] == cell
    assert props["accuracy_m"] is None
    assert props["location_generalised_to"] == f"h3 resolution {resolution}"
    # A client that locates the published point again finds the published cell, no finer one.
    published_lon, published_lat = feature["geometry"]["coordinates"]
    assert h3.latlng_to_cell(published_lat, published_lon, resolution) == cell


def _descendant(cell: str, digits: list[int]) -> str:
    """The resolution-15 descendant of `cell` reached by the child `digits` (one a level)."""
    for digit in digits:
        children = sorted(h3.cell_to_children(cell, h3.get_resolution(cell) + 1))
        cell = children[digit % len(children)]
    return cell


@given(
    digits=st.tuples(
        st.lists(st.integers(0, 6), min_size=8, max_size=8),
        st.lists(st.integers(0, 6), min_size=8, max_size=8),
    ),
    accuracies=st.tuples(st.floats(0.5, 5000), st.floats(0.5, 5000)),
    role=st.sampled_from(PUBLIC_ROLES),
)
@settings(max_examples=60)
def test_where_in_its_cell_a_sensitive_report_was_made_is_in_no_member(digits, accuracies, role):
    """Two sensitive reports made at different points of one public cell look the same to the
    public, down to the last byte; no member (geometry, h3, accuracy) holds the exact point."""
    public_cell = h3.latlng_to_cell(LAT, LON, 7)
    answers = []
    for path, accuracy in zip(digits, accuracies, strict=True):
        exact = _descendant(public_cell, path)
        lat, lon = h3.cell_to_latlng(exact)
        row = stored_row(lon, lat, h3=h3.str_to_int(exact), accuracy_m=accuracy)
        text = json.dumps(report_feature(row, view_of(role)), default=str)
        assert exact not in text and repr(accuracy) not in text
        if exact != h3.cell_to_center_child(public_cell, 15):  # else the point is the centre
            assert repr(lon) not in text and repr(lat) not in text
        # No ancestor of the exact cell finer than the public one either.
        for finer in range(8, 15):
            assert h3.cell_to_parent(exact, finer) not in text
        answers.append(text)
    assert answers[0] == answers[1]


@functools.cache
def _straddling_rows() -> tuple[dict[str, Any], dict[str, Any]]:
    """Two sensitive rows in one resolution-7 cell on the border of Greater Accra and Central
    regions, one on either side, with the regions that hold their exact points, as ingest
    places them."""
    regions = {
        f["properties"]["shapeISO"]: shape(f["geometry"])
        for f in json.loads(GHANA_ADM1.read_text())["features"]
    }
    accra, central = regions["GH-AA"], regions["GH-CP"]
    border = accra.boundary.intersection(central.boundary)
    assert not border.is_empty
    points = shapely.extract_unique_points(shapely.segmentize(border, 0.002))
    for point in shapely.get_parts(points):
        cell = h3.latlng_to_cell(point.y, point.x, 7)
        sides: dict[str, dict[str, Any]] = {}
        for child in h3.cell_to_children(cell, 9):
            lat, lon = h3.cell_to_latlng(child)
            for code, region in (("GH-AA", accra), ("GH-CP", central)):
                if region.contains(Point(lon, lat)):
                    sides.setdefault(code, stored_row(lon, lat, area_1=code))
        if len(sides) == 2:
            return sides["GH-AA"], sides["GH-CP"]
    raise AssertionError("no resolution-7 cell straddles the border")


def test_a_public_cell_can_straddle_an_area_border():
    """The case the next test needs exists: one cell, two regions, as ingest would place them."""
    one, other = _straddling_rows()
    assert h3.cell_to_parent(h3.int_to_str(one["h3"]), 7) == h3.cell_to_parent(
        h3.int_to_str(other["h3"]), 7
    )
    assert (one["area_1"], other["area_1"]) == ("GH-AA", "GH-CP")


# That a sensitive report's areas and flags say no more than its cell is decided at ingest (its
# public columns), so it is tested on stored reports: tests/api/test_public_columns.py.


@pytest.mark.parametrize("role", ALL_ROLES)
@pytest.mark.parametrize("sensitive", [True, False])
def test_what_each_role_sees_of_the_location(role, sensitive):
    row = stored_row(sensitive=sensitive)
    feature = report_feature(row, view_of(role))
    props = feature["properties"]
    if sensitive and role not in EXACT:
        cell, centre = generalised(LON, LAT, 7)
        assert feature["geometry"]["coordinates"] == pytest.approx(centre)
        assert props["h3"] == cell and props["accuracy_m"] is None
        assert "location_generalised_to" in props
    else:
        assert feature["geometry"]["coordinates"] == [LON, LAT]
        assert props["h3"] == cell15(LON, LAT) and props["accuracy_m"] == ACCURACY_M
        assert "location_generalised_to" not in props


@pytest.mark.parametrize("role", ALL_ROLES)
@pytest.mark.parametrize("sensitive", [True, False])
def test_who_sent_a_report_is_in_no_view(role, sensitive):
    """Not the reporter's sex, age or disability, not the sender's pseudonym, not the hashes that
    identify the content and the receipt; the client id and the moderators' note only for those
    who moderate."""
    row = stored_row(sensitive=sensitive)
    feature = report_feature(row, view_of(role))
    text = json.dumps(feature, default=str)
    for value in PRIVATE_VALUES.values():
        assert value not in text
    assert "female" not in text

    def keys(value: Any) -> set[str]:
        if isinstance(value, dict):
            return set(value) | {k for v in value.values() for k in keys(v)}
        if isinstance(value, list):
            return {k for v in value for k in keys(v)}
        return set()

    assert not {k for k in keys(feature) if any(w in k for w in ("reporter", "submit", "hash"))}
    assert "seq" not in keys(feature)
    moderates = role in MODERATION
    assert (str(row["client_id"]) in text) is moderates
    assert (row["status_note"] in text) is moderates


@pytest.mark.parametrize("role", ALL_ROLES)
@pytest.mark.parametrize("sensitive", [True, False])
@pytest.mark.parametrize("status", get_args(Status))
def test_photos_only_of_public_reports_that_are_not_sensitive(role, sensitive, status):
    """A photo can show where it was taken: those of a sensitive report are for moderators
    only, even where the role sees exact points (planners)."""
    row = stored_row(sensitive=sensitive, status=status, photo_count=3)
    view = view_of(role)
    expected = role in MODERATION or (not sensitive and status in PUBLIC_STATUSES)
    assert photos_visible(row, view) is expected
    links = report_feature(row, view)["properties"]["photos"]
    if not expected:
        assert links == []
        return
    base = f"/api/v1/reports/{row['id']}/photos"
    assert [urlsplit(link["url"]).path for link in links] == [f"{base}/{n}" for n in (1, 2, 3)]
    assert [link["thumb"] for link in links] == [f"{base}/{n}/thumb" for n in (1, 2, 3)]
    assert photo_links(stored_row(sensitive=sensitive, status=status, photo_count=0), view) == []


@pytest.mark.parametrize("status", get_args(Status))
def test_a_senders_receipt_shows_every_photo_of_their_report(status):
    row = stored_row(status=status, photo_count=2)
    links = photo_links(row, view_of(None), receipt="r-123")
    assert [link["url"] for link in links] == [
        f"/api/v1/reports/{row['id']}/photos/{n}?receipt=r-123" for n in (1, 2)
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (datetime(2026, 3, 1, 9, 30), "2026-03-01T09:30:00Z"),  # naive: stored in UTC
        (datetime(2026, 3, 1, 9, 30, tzinfo=UTC), "2026-03-01T09:30:00Z"),
        (datetime(2026, 3, 1, 9, 30, tzinfo=timezone(timedelta(hours=-5))), "2026-03-01T14:30:00Z"),
    ],
)
def test_times_are_published_in_utc(value, expected):
    assert rfc3339(value) == expected
    row = stored_row(observed_at=value)
    assert report_feature(row, view_of(None))["properties"]["observed_at"] == expected
