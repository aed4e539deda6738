"""Content hashes never change: a replay of a report stored long ago must hash as it did then,
or it would be refused as a client id reused for other content (409).

`reference_hash` is the hash as it was first written (pydantic's JSON dump of the properties,
then json.dumps); the service now writes the same text by other means, and these tests hold
the two side by side over generated reports, and against hashes computed before the change.
"""

from __future__ import annotations

import hashlib
import json
import string
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mapping.reports.canonical import canonical_json
from mapping.reports.rows import Limits, ValidReport, content_hash, validate_feature
from mapping.taxonomy import HOTSPOT_THEMES, LITTER_ITEMS, SERVICE_CATEGORIES

NOW = datetime(2026, 6, 1, tzinfo=UTC)
LIMITS = Limits()


def reference_hash(report: ValidReport, photo_digests: tuple[str, ...] = ()) -> str:
    props = report.feature.properties
    in_utc = props.model_copy(update={"observed_at": props.observed_at.astimezone(UTC)})
    content: dict[str, Any] = {
        "coordinates": report.feature.geometry.coordinates,
        "properties": in_utc.model_dump(mode="json", exclude={"client_id"}),
        "attributes": report.attributes.model_dump(mode="json", exclude_none=True),
    }
    if photo_digests:
        content["photos"] = list(photo_digests)
    encoded = json.dumps(content, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(encoded.encode()).hexdigest()


# Text that each encoder may write its own way: beyond ASCII, beyond the BMP, DEL, controls,
# quotes, backslashes, and what looks like a number.
TRICKY = st.sampled_from(
    [
        "",
        "caf\u00e9",
        "\U0001f30a flood",
        "a\x7fb",
        "tab\there",
        "line\nbreak",
        "\x01\x1f",
        'say "hi"',
        "back\\slash",
        "1e-05",
        "0.00001",
        "\u2028\u2029",
        "</script>",
    ]
)
TEXT = st.one_of(TRICKY, st.text(st.characters(blacklist_characters="\x00"), max_size=30))
# Every magnitude, where the two encoders' float notations part (below 1e-4, from 1e16).
MAGNITUDES = st.one_of(
    st.floats(min_value=1e-12, max_value=1e-3),
    st.floats(min_value=1e-3, max_value=1e3),
    st.sampled_from([1e-4, 1e-5, 9.999e-5, 0.00012, 1.5e-7, 123.456, 1000.0]),
)
SLUG = st.text(string.ascii_lowercase + string.digits, min_size=1, max_size=12)
OFFSETS = st.integers(-14 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m)))
TIMES = st.datetimes(
    min_value=datetime(2000, 1, 2), max_value=datetime(2026, 5, 30), timezones=OFFSETS
)
RATING = st.integers(1, 4)


def coordinate(limit: float) -> st.SearchStrategy[float]:
    small = MAGNITUDES.filter(lambda x: x <= limit)
    return st.one_of(
        st.floats(-limit, limit, allow_subnormal=False), small, small.map(lambda x: -x)
    ).filter(lambda x: x != 0)


@st.composite
def attributes(draw: st.DrawFn, kind: str) -> dict[str, Any]:
    if kind == "service":
        out: dict[str, Any] = {"status": draw(st.sampled_from(["operational", "partly", "closed"]))}
        if draw(st.booleans()):
            out["name"] = draw(TEXT.map(lambda t: t[:200]))
        if draw(st.booleans()):
            out["satisfaction"] = draw(RATING)
        elif draw(st.booleans()):
            out["satisfaction_missing"] = draw(st.sampled_from(["dont_know", "refused"]))
        aspects = ["access", "affordability", "quality", "courtesy", "timeliness"]
        out["aspects"] = draw(st.dictionaries(st.sampled_from(aspects), RATING, max_size=5))
        return out
    if kind == "litter":
        codes = [item.code for item in LITTER_ITEMS]
        return {
            "survey_length_m": draw(st.one_of(MAGNITUDES, st.integers(1, 1000))),
            "items": draw(
                st.dictionaries(st.sampled_from(codes), st.integers(0, 100_000), min_size=1)
            ),
        }
    out = {"severity": draw(st.integers(1, 5))}
    if draw(st.booleans()):
        out["people_affected"] = draw(st.one_of(st.none(), st.integers(0, 10_000_000)))
    return out


@st.composite
def features(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["service", "litter", "hotspot"]))
    codes = {
        "service": [c.code for c in SERVICE_CATEGORIES],
        "litter": ["monitoring", "cleanup", "sighting"],
        "hotspot": [c.code for c in HOTSPOT_THEMES],
    }[kind]
    props: dict[str, Any] = {
        "kind": kind,
        "category": draw(st.sampled_from(codes)),
        "observed_at": draw(TIMES).isoformat(),
        "attributes": draw(attributes(kind)),
    }
    optional = {
        "accuracy_m": st.one_of(MAGNITUDES, st.integers(1, 10_000)),
        "campaign": SLUG,
        "description": TEXT,
        "sensitive": st.booleans(),
        "reporter": st.fixed_dictionaries(
            {},
            optional={
                "sex": st.sampled_from(["female", "male", "other", "undisclosed"]),
                "age_group": st.sampled_from(["0-14", "15-24", "25-44", "45-64", "65+"]),
                "disability": st.booleans(),
                "washington_group": st.fixed_dictionaries(
                    {}, optional={"seeing": RATING, "walking": RATING, "self_care": RATING}
                ),
                "residence": SLUG,
                "respondent": SLUG,
            },
        ),
        "client_id": st.uuids().map(str),
    }
    for member, values in optional.items():
        if draw(st.booleans()):
            props[member] = draw(values)
    point = [draw(coordinate(180)), draw(coordinate(90))]
    if draw(st.booleans()):
        point.append(draw(st.floats(-500, 9000, allow_subnormal=False)))
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": point},
        "properties": props,
    }


@pytest.mark.slow
@given(
    feature=features(),
    photos=st.lists(st.text("0123456789abcdef", min_size=64, max_size=64), max_size=3),
)
@settings(max_examples=600, deadline=None)
def test_every_report_hashes_as_it_always_did(feature, photos):
    report = validate_feature(feature, limits=LIMITS, now=NOW)
    assert content_hash(report, photos) == reference_hash(report, tuple(photos))


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | MAGNITUDES
    | TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=25,
)


@pytest.mark.slow
@given(value=JSON)
@settings(max_examples=1000, deadline=None)
def test_the_canonical_text_is_what_json_dumps_writes(value):
    assert (
        canonical_json(value) == json.dumps(value, sort_keys=True, separators=(",", ":")).encode()
    )


# Reports and the hashes the service stored for them before this way of writing the text.
STORED = [
    (
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [-0.187, 5.6037]},
            "properties": {
                "kind": "service",
                "category": "health_facility",
                "observed_at": "2025-03-04T10:20:30+01:00",
                "client_id": "0b3c8d6e-8f4e-4c1a-9a57-3f0a9b1e2c44",
                "description": 'Long queue; the nurse said "come back" \u2014 caf\u00e9 ok',
                "reporter": {
                    "sex": "female",
                    "age_group": "25-44",
                    "disability": False,
                    "washington_group": {"seeing": 2, "walking": 1},
                },
                "attributes": {
                    "name": "Korle Bu clinic",
                    "status": "partly",
                    "satisfaction": 2,
                    "aspects": {"access": 3, "courtesy": 1},
                },
            },
        },
        "0d75e855861a550604848dc3e5c0ee35cbb333d102e78aae6963d63c91ee54dd",
    ),
    (
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [-1.25, 5.1]},
            "properties": {
                "kind": "litter",
                "category": "monitoring",
                "observed_at": "2024-07-01T06:00:00.250000Z",
                "accuracy_m": 0.00005,
                "attributes": {"survey_length_m": 100, "items": {"G1": 2, "G21": 5}},
            },
        },
        "3b10e200ea3f28e59b42460b583bc285cc5445f95c5de84d77d9a254ec0f0d25",
    ),
    (
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [1.0e-3, 7.25]},
            "properties": {
                "kind": "hotspot",
                "category": "flooding",
                "sensitive": True,
                "observed_at": "2025-12-31T23:59:59-05:00",
                "campaign": "floods-2025",
                "attributes": {"severity": 3, "people_affected": 40},
            },
        },
        "9df5434025f05a8ad0eea5f7d82e64ec19ea12f9e239b5e734b56f05bae6a1ea",
    ),
]


def test_reports_stored_before_hash_as_they_did():
    for feature, stored in STORED:
        assert content_hash(validate_feature(feature, limits=LIMITS, now=NOW)) == stored
