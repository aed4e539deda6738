"""From a client's JSON to stored rows: validation, H3 placement, quality flags, idempotency.

A report is checked in full before anything is written, so bad input stores nothing; a batch
stores its valid features and says, feature by feature, why the others were refused.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ValidationError
from sqlalchemy.engine import Connection, Engine

from mapping import hexgrid
from mapping.alerts import webhooks
from mapping.areas.index import AreaIndex
from mapping.errors import Conflict, ErrorItem, InvalidInput, error_items
from mapping.photos.upload import PhotoUpload
from mapping.reports import campaigns
from mapping.schemas import (
    ATTRIBUTES_BY_KIND,
    HotspotAttributes,
    LitterAttributes,
    ReportCollection,
    ReportFeature,
    ServiceAttributes,
)
from mapping.settings import Settings
from mapping.storage import dialect
from mapping.storage import photos as photo_store
from mapping.storage import reports as store
from mapping.taxonomy import category_codes, litter_materials

EARLIEST_OBSERVATION = datetime(2000, 1, 1, tzinfo=UTC)
CLOCK_SKEW = timedelta(minutes=5)
# Idempotency keys that are not UUIDs are mapped into the client-id space by name.
IDEMPOTENCY_NAMESPACE = uuid.UUID("6f0f4d5e-5a43-4c53-9d0c-2a6f1de0a1c7")


@dataclass(frozen=True, slots=True)
class Limits:
    """The caps and quality thresholds ingest applies (from Settings)."""

    max_text_chars: int = 2000
    max_batch_features: int = 5000
    low_accuracy_m: float = 500.0
    old_observation_days: float = 365.0
    duplicate_distance_m: float = 50.0
    duplicate_window_s: float = 24 * 3600.0
    burst_reports: int = 20
    burst_window_s: float = 600.0


def limits_from(settings: Settings) -> Limits:
    return Limits(
        max_text_chars=settings.max_text_chars,
        max_batch_features=settings.max_batch_features,
        low_accuracy_m=settings.low_accuracy_m,
        old_observation_days=settings.old_observation_days,
        duplicate_distance_m=settings.duplicate_distance_m,
        duplicate_window_s=settings.duplicate_window_hours * 3600,
        burst_reports=settings.burst_reports,
        burst_window_s=settings.burst_window_s,
    )


@dataclass(frozen=True, slots=True)
class ValidReport:
    feature: ReportFeature
    attributes: BaseModel


@dataclass(slots=True)
class Submission:
    """What became of one submitted report."""

    outcome: Literal["created", "duplicate"]
    row: Mapping[Any, Any]
    receipt: str | None = None


@dataclass(slots=True)
class BatchResult:
    created: int = 0
    duplicates: int = 0
    rejected: int = 0
    results: list[dict[str, Any]] = field(default_factory=list)


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


def content_hash(report: ValidReport, photo_digests: Sequence[str] = ()) -> str:
    """A fingerprint of what the client said, to tell a replay from a conflicting reuse of an id.

    The photos count by their SHA-256 as sent; a report without photos hashes as it always did.
    """
    content: dict[str, Any] = {
        "coordinates": report.feature.geometry.coordinates,
        "properties": report.feature.properties.model_dump(mode="json", exclude={"client_id"}),
        "attributes": report.attributes.model_dump(mode="json", exclude_none=True),
    }
    if photo_digests:
        content["photos"] = list(photo_digests)
    encoded = json.dumps(content, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(encoded.encode()).hexdigest()


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
    quality = []
    if props.accuracy_m is not None and props.accuracy_m > limits.low_accuracy_m:
        quality.append("low_accuracy")
    if props.observed_at < received_at - timedelta(days=limits.old_observation_days):
        quality.append("old_observation")
    return {
        "id": uuid.uuid4(),
        "client_id": client_id,
        "content_hash": content_hash(report),
        "receipt_hash": None,
        "kind": props.kind,
        "category": props.category,
        "observed_at": props.observed_at.astimezone(UTC),
        "received_at": received_at,
        "geom": dialect.point_ewkt(lon, lat),
        "h3": hexgrid.cell_at(lon, lat),
        "accuracy_m": props.accuracy_m,
        "campaign": props.campaign,
        "description": props.description,
        "sensitive": props.sensitive,
        "reporter_sex": reporter.sex if reporter else None,
        "reporter_age_group": reporter.age_group if reporter else None,
        "reporter_disability": reporter.disability if reporter else None,
        "attributes": report.attributes.model_dump(mode="json", exclude_none=True),
        "status": "pending",
        "status_note": None,
        "quality": quality,
        "submitter": submitter,
        **_measures(report.attributes),
    }


def _measures(attributes: BaseModel) -> dict[str, Any]:
    """The numbers aggregates sum, out of the attributes once, so SQL needs no JSON."""
    if isinstance(attributes, ServiceAttributes):
        return {**NO_MEASURES, "satisfaction": attributes.satisfaction}
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
        "severity",
        "people_affected",
        "survey_length_m",
        "litter_items",
        "litter_plastic",
    )
)


def place_in_areas(
    rows: Sequence[dict[str, Any]], points: Sequence[tuple[float, float]], index: AreaIndex | None
) -> None:
    """Set each row's area codes, and flag `outside_areas` where areas exist but none holds it."""
    if not index or not rows:
        return
    lons, lats = zip(*points, strict=True)
    found = index.assign(lons, lats)
    for i, row in enumerate(rows):
        inside = False
        for level, codes in found.items():
            row[f"area_{level}"] = codes[i]
            inside = inside or codes[i] is not None
        if not inside and "outside_areas" not in row["quality"]:
            row["quality"].append("outside_areas")


def _conflict(client_id: uuid.UUID) -> Conflict:
    return Conflict(
        f"client_id {client_id} was already used for a report with other content; "
        "send a new client_id for a new report",
        [{"loc": ["properties", "client_id"], "msg": "already used for other content"}],
    )


def submit_report(
    engine: Engine,
    obj: Any,
    *,
    limits: Limits,
    idempotency_key: str | None = None,
    areas: AreaIndex | None = None,
    submitter: str | None = None,
    now: datetime | None = None,
    photos: PhotoUpload | None = None,
) -> Submission:
    """Store one report, or find it again when the same submission is replayed.

    Raises InvalidInput when the report breaks a rule, Conflict when its client id was used for
    other content. A new report comes back with its receipt, which is stored only as a hash.
    With `photos`, the report is stored with all its photos or not at all (mapping.photos.upload).
    """
    now = now or datetime.now(UTC)
    report = validate_feature(obj, limits=limits, now=now)
    client_id = client_id_for(report, idempotency_key)
    row = to_row(report, client_id=client_id, received_at=now, limits=limits, submitter=submitter)
    place_in_areas([row], [(report.feature.lon, report.feature.lat)], areas)
    receipt = secrets.token_urlsafe(24)
    row["receipt_hash"] = hash_secret(receipt)
    if photos is not None:
        row["content_hash"] = content_hash(report, photos.digests())
        row["photo_count"] = len(photos.files)
        # A replay is answered before any photo is decoded or written.
        with engine.connect() as conn:
            earlier = store.get_by_client_id(conn, client_id)
        if earlier is not None:
            return _replayed(earlier, row)
        photos.save(row["id"])
    try:
        with engine.begin() as conn:
            campaigns.flag_reports(conn, [row])
            inserted = store.insert_rows(conn, [row])
            if inserted and photos is not None:
                photo_store.insert_photos(conn, photos.rows(row["id"], now))
            _flag_after_insert(conn, list(inserted.values()), limits)
            if inserted and submitter is not None:
                since = now - timedelta(seconds=limits.burst_window_s)
                if store.recent_from(conn, submitter, since) > limits.burst_reports:
                    store.add_flag(conn, list(inserted.values()), "burst")
            webhooks.enqueue_reports(conn, [row] if inserted else [], now=now)
    except BaseException:
        if photos is not None:
            photos.discard()
        raise
    if not inserted and photos is not None:
        photos.discard()
    with engine.connect() as conn:
        stored = store.get_by_client_id(conn, client_id)
    if stored is None:  # pragma: no cover - the insert or the earlier row must be there
        raise RuntimeError("report vanished between insert and read")
    if inserted:
        return Submission("created", stored, receipt)
    return _replayed(stored, row)


def _replayed(stored: Mapping[Any, Any], row: Mapping[str, Any]) -> Submission:
    """The answer to a submission whose client id is stored: the same report, or a conflict."""
    if stored["content_hash"] != row["content_hash"]:
        raise _conflict(stored["client_id"])
    return Submission("duplicate", stored)


def submit_batch(
    engine: Engine,
    obj: Any,
    *,
    limits: Limits,
    areas: AreaIndex | None = None,
    submitter: str | None = None,
    now: datetime | None = None,
) -> BatchResult:
    """Store the valid features of a FeatureCollection in one transaction; report on each.

    A client id seen twice in one batch counts once: the repeat is a duplicate when its content
    is the same, and rejected otherwise, as it would be in two requests.
    """
    now = now or datetime.now(UTC)
    try:
        collection = ReportCollection.model_validate(obj)
    except ValidationError as exc:
        raise InvalidInput(
            "The batch is not a GeoJSON FeatureCollection.", error_items(exc)
        ) from None
    if len(collection.features) > limits.max_batch_features:
        raise InvalidInput(
            f"The batch has {len(collection.features)} features; "
            f"at most {limits.max_batch_features} are allowed, so split it.",
            [{"loc": ["features"], "msg": f"more than {limits.max_batch_features} features"}],
        )
    results: list[dict[str, Any]] = []
    rows: dict[uuid.UUID, tuple[int, dict[str, Any]]] = {}
    repeats: list[tuple[int, uuid.UUID, str]] = []
    points: list[tuple[float, float]] = []
    for index, candidate in enumerate(collection.features):
        results.append({"index": index, "id": None, "outcome": "rejected", "errors": []})
        try:
            report = validate_feature(candidate, limits=limits, now=now)
        except InvalidInput as exc:
            results[index]["errors"] = [
                {"loc": ["features", index, *e["loc"]], "msg": e["msg"]} for e in exc.errors
            ]
            continue
        row = to_row(
            report,
            client_id=client_id_for(report, None),
            received_at=now,
            limits=limits,
            submitter=submitter,
        )
        if row["client_id"] in rows:
            repeats.append((index, row["client_id"], row["content_hash"]))
        else:
            rows[row["client_id"]] = (index, row)
            points.append((report.feature.lon, report.feature.lat))
    place_in_areas([row for _, row in rows.values()], points, areas)

    with engine.begin() as conn:
        campaigns.flag_reports(conn, [row for _, row in rows.values()])
        inserted = store.insert_rows(conn, [row for _, row in rows.values()])
        earlier = store.ids_by_client_id(conn, [cid for cid in rows if cid not in inserted])
        _flag_after_insert(conn, list(inserted.values()), limits)
        new_rows = [row for cid, (_, row) in rows.items() if cid in inserted]
        webhooks.enqueue_reports(conn, new_rows, now=now)

    for client_id, (index, row) in rows.items():
        stored = earlier.get(client_id)
        if client_id in inserted:
            results[index].update(id=str(row["id"]), outcome="created")
        elif stored is not None and stored[1] == row["content_hash"]:
            results[index].update(id=str(stored[0]), outcome="duplicate")
        else:
            results[index]["errors"] = [_client_id_error(index, "a stored report")]
    for index, client_id, digest in repeats:
        first_index, first_row = rows[client_id]
        first = results[first_index]
        if digest == first_row["content_hash"] and first["outcome"] != "rejected":
            results[index].update(id=first["id"], outcome="duplicate")
        else:
            results[index]["errors"] = [_client_id_error(index, f"feature {first_index}")]

    outcomes = Counter(r["outcome"] for r in results)
    return BatchResult(
        created=outcomes["created"],
        duplicates=outcomes["duplicate"],
        rejected=outcomes["rejected"],
        results=results,
    )


def _flag_after_insert(conn: Connection, seqs: list[int], limits: Limits) -> None:
    store.flag_possible_duplicates(
        conn, seqs, distance_m=limits.duplicate_distance_m, window_s=limits.duplicate_window_s
    )


def _client_id_error(index: int, holder: str) -> ErrorItem:
    return {
        "loc": ["features", index, "properties", "client_id"],
        "msg": f"already used by {holder} with other content; send a new client_id",
    }


def reassign_areas(
    engine: Engine,
    index: AreaIndex,
    *,
    batch_size: int = 5000,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Decide again which areas hold every stored report (after boundaries changed).

    Works through the reports in batches of `batch_size`, each in its own transaction, so it
    can run beside a live service; returns how many reports it placed.
    """
    done, after = 0, 0
    while True:
        with engine.begin() as conn:
            batch = store.located_batch(conn, after=after, size=batch_size)
            if not batch:
                return done
            rows = []
            for r in batch:
                quality = [flag for flag in r["quality"] if flag != "outside_areas"]
                row = {"seq": r["seq"], "quality": quality}
                row.update({c.name: None for c in store.area_columns()})
                rows.append(row)
            place_in_areas(rows, [(r["lon"], r["lat"]) for r in batch], index)
            store.update_placement(conn, rows)
        done += len(batch)
        after = batch[-1]["seq"]
        if progress:
            progress(len(batch))
