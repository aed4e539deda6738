"""From a client's Feature to the row stored: validation, derived columns, area placement.

Everything here is decided before a transaction opens, so a report that breaks a rule stores
nothing. `to_row` is the one place the server's own fields are set; the benchmarks and the test
fixtures build their rows through it too.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel, ValidationError

from mapping import hexgrid
from mapping.areas.index import AreaIndex
from mapping.disclosure.cellkey import new_record_key
from mapping.disclosure.publish import public_place, rfc3339
from mapping.errors import ErrorItem, InvalidInput, error_items
from mapping.reports.canonical import canonical_json
from mapping.schemas import (
    ATTRIBUTES_BY_KIND,
    HotspotAttributes,
    LitterAttributes,
    ReportFeature,
    ServiceAttributes,
)
from mapping.storage import dialect
from mapping.taxonomy import category_codes, litter_materials

EARLIEST_OBSERVATION = datetime(2000, 1, 1, tzinfo=UTC)
CLOCK_SKEW = timedelta(minutes=5)
# Idempotency keys that are not UUIDs are mapped into the client-id space by name.
IDEMPOTENCY_NAMESPACE = uuid.UUID("6f0f4d5e-5a43-4c53-9d0c-2a6f1de0a1c7")


@dataclass(frozen=True, slots=True)
class Limits:
    """The caps and quality thresholds ingest applies (built from Settings in mapping.settings)."""

    max_text_chars: int = 2000
    max_batch_features: int = 5000
    low_accuracy_m: float = 500.0
    old_observation_days: float = 365.0
    duplicate_distance_m: float = 50.0
    duplicate_window_s: float = 24 * 3600.0
    burst_reports: int = 20
    burst_window_s: float = 600.0
    # The H3 resolution at which the public sees a sensitive report (its public columns).
    public_resolution: int = 7


@dataclass(frozen=True, slots=True)
class ValidReport:
    feature: ReportFeature
    attributes: BaseModel


def validate_feature(obj: Any, *, limits: Limits, now: datetime) -> ValidReport:
    """Check one report Feature against every rule of the API; InvalidInput lists what to fix."""
    try:
        feature = ReportFeature.model_validate(
            obj, context={"max_text_chars": limits.max_text_chars}
        )
    except ValidationError as exc:
        raise InvalidInput("The report is not valid.", error_items(exc)) from None
    props = feature.properties
    errors: list[ErrorItem] = []
    if props.category not in category_codes(props.kind):
        errors.append(
            {
                "loc": ["properties", "category"],
                "msg": f"{props.category!r} is not a {props.kind} category; "
                "the codes are listed at GET /api/v1/taxonomy",
            }
        )
    if props.observed_at < EARLIEST_OBSERVATION:
        errors.append(
            {"loc": ["properties", "observed_at"], "msg": "must not be before 2000-01-01"}
        )
    elif props.observed_at > now + CLOCK_SKEW:
        errors.append(
            {
                "loc": ["properties", "observed_at"],
                "msg": "is in the future; give the time of the observation with its timezone",
            }
        )
    attributes: BaseModel | None = None
    try:
        attributes = ATTRIBUTES_BY_KIND[props.kind].model_validate(props.attributes)
    except ValidationError as exc:
        errors.extend(error_items(exc, ["properties", "attributes"]))
    if attributes is not None and props.kind == "litter":
        known = litter_materials()
        errors.extend(
            {
                "loc": ["properties", "attributes", "items", code],
                "msg": f"{code!r} is not a litter item code; see GET /api/v1/taxonomy",
            }
            for code in attributes.items  # type: ignore[attr-defined]
            if code not in known
        )
    if errors or attributes is None:
        raise InvalidInput("The report is not valid.", errors)
    return ValidReport(feature, attributes)


def client_id_for(report: ValidReport, idempotency_key: str | None) -> uuid.UUID:
    """The report's client id: its own, the Idempotency-Key's, or a new one."""
    return resolve_client_id(report.feature.properties.client_id, idempotency_key)


def resolve_client_id(own: uuid.UUID | None, idempotency_key: str | None) -> uuid.UUID:
    """A submission's client id from its own `client_id` and the Idempotency-Key header."""
    if idempotency_key is None:
        return own or uuid.uuid4()
    try:
        from_key = uuid.UUID(idempotency_key)
    except ValueError:
        from_key = uuid.uuid5(IDEMPOTENCY_NAMESPACE, idempotency_key)
    if own is not None and own != from_key:
        raise InvalidInput(
            "The client_id and the Idempotency-Key header name different submissions.",
            [{"loc": ["properties", "client_id"], "msg": "differs from the Idempotency-Key"}],
        )
    return from_key


def content_hash(
    report: ValidReport,
    photo_digests: Sequence[str] = (),
    *,
    attributes: dict[str, Any] | None = None,
) -> str:
    """A fingerprint of what the client said, to tell a replay from a conflicting reuse of an id.

    The photos count by their SHA-256 as sent; a report without photos hashes as it always did.
    `attributes` is the report's attributes as `stored_attributes` gives them, when the caller
    has them already.

    The hashed text must never change (mapping.reports.canonical): it is that of the
    report's properties as pydantic dumps them in JSON mode, without the client id and with
    the time in UTC, beside its point and its attributes. The properties are written out here
    member by member rather than dumped, which is the same content at a fraction of the cost;
    tests/mapping/reports/test_content_hash.py holds the two side by side.
    """
    props = report.feature.properties
    reporter = props.reporter
    content: dict[str, Any] = {
        "coordinates": report.feature.geometry.coordinates,
        "properties": {
            "kind": props.kind,
            "category": props.category,
            # The same instant written with another UTC offset is the same report.
            "observed_at": rfc3339(props.observed_at),
            "accuracy_m": props.accuracy_m,
            "campaign": props.campaign,
            "description": props.description,
            "sensitive": props.sensitive,
            "reporter": reporter.model_dump(mode="json") if reporter is not None else None,
            "attributes": props.attributes,
        },
        "attributes": stored_attributes(report) if attributes is None else attributes,
    }
    if photo_digests:
        content["photos"] = list(photo_digests)
    return hashlib.sha256(canonical_json(content)).hexdigest()


def stored_attributes(report: ValidReport) -> dict[str, Any]:
    """The report's attributes as stored (and hashed): checked, in JSON types, without nulls."""
    return report.attributes.model_dump(mode="json", exclude_none=True)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def to_row(
    report: ValidReport,
    *,
    client_id: uuid.UUID,
    received_at: datetime,
    limits: Limits,
    submitter: str | None = None,
) -> dict[str, Any]:
    """The row to store for a valid report. Server fields are set here and only here."""
    props, lon, lat = report.feature.properties, report.feature.lon, report.feature.lat
    reporter = props.reporter
    observed_at = props.observed_at.astimezone(UTC)
    cell = hexgrid.cell_at(lon, lat)
    public = public_place(
        lon,
        lat,
        observed_at,
        sensitive=props.sensitive,
        resolution=limits.public_resolution,
        cell=cell,
    )
    quality = []
    if props.accuracy_m is not None and props.accuracy_m > limits.low_accuracy_m:
        quality.append("low_accuracy")
    if props.observed_at < received_at - timedelta(days=limits.old_observation_days):
        quality.append("old_observation")
    attributes = stored_attributes(report)
    return {
        "id": uuid.uuid4(),
        "client_id": client_id,
        "content_hash": content_hash(report, attributes=attributes),
        "receipt_hash": None,
        "kind": props.kind,
        "category": props.category,
        "observed_at": observed_at,
        "received_at": received_at,
        "geom": dialect.point_ewkt(lon, lat),
        "h3": cell,
        "public_geom": dialect.point_ewkt(public.lon, public.lat),
        "public_h3": public.h3,
        "public_observed_at": public.observed_at,
        "record_key": new_record_key(),
        "accuracy_m": props.accuracy_m,
        "campaign": props.campaign,
        "description": props.description,
        "sensitive": props.sensitive,
        "reporter_sex": reporter.sex if reporter else None,
        "reporter_age_group": reporter.age_group if reporter else None,
        "reporter_disability": reporter.disability if reporter else None,
        "reporter_wg": reporter.washington_group.digits()
        if reporter and reporter.washington_group
        else None,
        "reporter_residence": reporter.residence if reporter else None,
        "reporter_respondent": reporter.respondent if reporter else None,
        "attributes": attributes,
        "status": "pending",
        "status_note": None,
        "quality": quality,
        "submitter": submitter,
        "beach": getattr(report.attributes, "beach", None),
        **_measures(report.attributes),
    }


def _measures(attributes: BaseModel) -> dict[str, Any]:
    """The numbers aggregates sum, out of the attributes once, so SQL needs no JSON."""
    if isinstance(attributes, ServiceAttributes):
        return {
            **NO_MEASURES,
            "satisfaction": attributes.satisfaction,
            "satisfaction_missing": attributes.satisfaction_missing,
        }
    if isinstance(attributes, HotspotAttributes):
        return {
            **NO_MEASURES,
            "severity": attributes.severity,
            "people_affected": attributes.people_affected,
        }
    if isinstance(attributes, LitterAttributes):
        materials = litter_materials()
        return {
            **NO_MEASURES,
            "survey_length_m": attributes.survey_length_m,
            "litter_items": sum(attributes.items.values()),
            "litter_plastic": sum(
                n for code, n in attributes.items.items() if materials.get(code) == "plastic"
            ),
        }
    return dict(NO_MEASURES)


NO_MEASURES: dict[str, Any] = dict.fromkeys(
    (
        "satisfaction",
        "satisfaction_missing",
        "severity",
        "people_affected",
        "survey_length_m",
        "litter_items",
        "litter_plastic",
    )
)


def place_in_areas(
    rows: Sequence[dict[str, Any]],
    points: Sequence[tuple[float, float]],
    index: AreaIndex | None,
    *,
    public_resolution: int,
) -> None:
    """Set each row's area codes, exact and public, and flag `outside_areas` where areas exist
    but none holds the public position (the flag is public).

    `points` are the rows' exact positions; a sensitive row's public areas are those of its
    public position, the centre of its cell at `public_resolution`.
    """
    if not index or not rows:
        return
    # Only sensitive rows have a public position of their own to place.
    moved = [i for i, row in enumerate(rows) if row["sensitive"]]
    centres = [hexgrid.centre(hexgrid.parent(rows[i]["h3"], public_resolution)) for i in moved]
    lons, lats = zip(*points, *centres, strict=False)
    found = index.assign(lons, lats)
    public_at = {i: len(rows) + k for k, i in enumerate(moved)}
    for i, row in enumerate(rows):
        inside = False
        for level, codes in found.items():
            row[f"area_{level}"] = codes[i]
            row[f"public_area_{level}"] = code = codes[public_at.get(i, i)]
            inside = inside or code is not None
        if not inside and "outside_areas" not in row["quality"]:
            row["quality"].append("outside_areas")
