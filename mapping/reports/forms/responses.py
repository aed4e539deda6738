"""Responses to a form version: checked, stored typed, found again by their instance id.

The same rules hold whatever client sent the response (mapping.reports.forms.answers). A response
is keyed by its `instance_id` (OpenRosa's `meta/instanceID`; our API makes one from its
`client_id`): the same id with the same answers again stores nothing and finds the stored
response, and the same id with other answers is a Conflict, as ODK Central answers it.
Files sent with a response (image answers) are cleaned as report photos are, and a later
request with the same answers may bring files that an earlier one lacked (OpenRosa clients
split large submissions): those are kept then.
"""

from __future__ import annotations

import contextlib
import hashlib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import orjson
import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.engine import Connection, Engine, RowMapping

from mapping import hexgrid
from mapping.areas.index import AreaIndex
from mapping.disclosure import cellkey
from mapping.errors import Conflict
from mapping.photos.imaging import PhotoLimits, clean_photo
from mapping.photos.store import PhotoStore
from mapping.reports.forms import bridge
from mapping.reports.forms.answers import GeoPoint, Value, check_answers
from mapping.reports.forms.catalogue import spec_of
from mapping.reports.forms.spec import FormSpec
from mapping.reports.rows import Limits, resolve_client_id
from mapping.storage import forms as store

# Every value column of an answer row, so that all rows of one insert have the same keys.
EMPTY_ANSWER = dict.fromkeys(("text", "number", "day", "lon", "lat", "altitude", "accuracy"))


class ResponseCreate(BaseModel):
    """A response sent to our API: the answers by question name, and optionally the version
    it answers (default: the current one) and the client's id for it (a UUID)."""

    model_config = ConfigDict(extra="forbid")

    version: str | None = Field(default=None, max_length=64)
    client_id: uuid.UUID | None = None
    answers: dict[str, Any] = Field(max_length=2000)


def instance_id_for(client_id: uuid.UUID | None, idempotency_key: str | None) -> str:
    """The instance id of a response sent to our API, in OpenRosa's `uuid:` form."""
    return f"uuid:{resolve_client_id(client_id, idempotency_key)}"


@dataclass(frozen=True, slots=True)
class Saved:
    outcome: str  # "created" or "duplicate"
    response: RowMapping


@dataclass(frozen=True, slots=True)
class Filing:
    """How the response of a form bound to a report kind files its report."""

    limits: Limits
    areas: AreaIndex | None


@dataclass(frozen=True, slots=True)
class Media:
    """Files sent with a response, by name, and where and how to keep them."""

    files: Mapping[str, bytes]
    store: PhotoStore
    limits: PhotoLimits


def submit_response(
    engine: Engine,
    form: Mapping[Any, Any],
    given: Mapping[str, Any],
    *,
    source: str,
    instance_id: str,
    submitter: str | None,
    public_resolution: int,
    media: Media | None = None,
    filing: Filing | None = None,
    now: datetime | None = None,
) -> Saved:
    """Check and store one response to `form` (a stored version), or find it again. With
    `filing`, a form bound to a report kind also files its report (mapping.reports.forms.bridge)
    before the response is stored, so that a refused report stores nothing."""
    spec = spec_of(form)
    names = frozenset(media.files) if media else frozenset()
    answers = check_answers(spec, given, source=source, media=names)
    digest = content_hash(form, answers)
    now = now or datetime.now(UTC)
    with engine.connect() as conn:
        stored = store.response_by_instance(conn, instance_id)
    if stored is None and filing is not None and form["kind"] in bridge.ATTRIBUTES:
        # A report filed by an earlier attempt that stored no response stands.
        with contextlib.suppress(Conflict):
            bridge.file_report(
                engine,
                form,
                spec,
                answers,
                instance_id=instance_id,
                limits=filing.limits,
                areas=filing.areas,
                submitter=submitter,
                received=now,
            )
    try:
        with engine.begin() as conn:
            stored = store.response_by_instance(conn, instance_id)
            if stored is None:
                new = _New(instance_id, submitter, public_resolution, now)
                return _store(conn, form, answers, digest, new, media)
    except sa.exc.IntegrityError:
        # Another request stored the same instance id meanwhile: compare with it.
        with engine.connect() as conn:
            stored = store.response_by_instance(conn, instance_id)
        if stored is None:
            raise
    if stored["content_hash"] != digest:
        raise Conflict(
            f"instanceID {instance_id} was already sent with other answers; a changed "
            "response needs a new instanceID.",
            [{"loc": ["meta", "instanceID"], "msg": "already used for other answers"}],
        )
    _keep_media(media, stored["id"], spec_of(form), answers)
    return Saved("duplicate", stored)


@dataclass(frozen=True, slots=True)
class _New:
    instance_id: str
    submitter: str | None
    public_resolution: int
    now: datetime | None


def _store(
    conn: Connection,
    form: Mapping[Any, Any],
    answers: Mapping[str, Value],
    digest: str,
    new: _New,
    media: Media | None,
) -> Saved:
    place = first_point(spec_of(form), answers)
    row = {
        "id": uuid.uuid4(),
        "instance_id": new.instance_id,
        "content_hash": digest,
        "form_seq": form["seq"],
        "received_at": new.now or datetime.now(UTC),
        "submitter": new.submitter,
        "record_key": cellkey.new_record_key(),
        **place_columns(place, new.public_resolution),
    }
    _keep_media(media, row["id"], spec_of(form), answers)
    store.add_response(conn, row, answer_rows(answers))
    created = store.response_by_instance(conn, new.instance_id)
    assert created is not None
    return Saved("created", created)


def content_hash(form: Mapping[Any, Any], answers: Mapping[str, Value]) -> str:
    body = {"form": [form["form_id"], form["version"]], "answers": _plain(answers)}
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()


def _plain(answers: Mapping[str, Value]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in answers.items():
        if isinstance(value, GeoPoint):
            out[name] = [value.lon, value.lat, value.altitude, value.accuracy]
        elif isinstance(value, date):
            out[name] = value.isoformat()
        else:
            out[name] = value
    return out


def first_point(spec: FormSpec, answers: Mapping[str, Value]) -> GeoPoint | None:
    """The response's place: its first geopoint answer in form order that is not personal (a
    personal place, the respondent's home say, would show in the listing and every aggregate
    as the response's cell)."""
    for question in spec.answered:
        if question.personal:
            continue
        value = answers.get(question.name)
        if isinstance(value, GeoPoint):
            return value
    return None


def public_point(lon: float, lat: float, resolution: int) -> tuple[float, float]:
    """Where the public may know a point to be: the centre of its cell at `resolution`."""
    return hexgrid.centre(hexgrid.parent(hexgrid.cell_at(lon, lat), resolution))


def place_columns(place: GeoPoint | None, public_resolution: int) -> dict[str, Any]:
    if place is None:
        return {}
    public_lon, public_lat = public_point(place.lon, place.lat, public_resolution)
    return {
        "lon": place.lon,
        "lat": place.lat,
        "h3": hexgrid.cell_at(place.lon, place.lat),
        "public_lon": public_lon,
        "public_lat": public_lat,
        "public_h3": hexgrid.cell_at(public_lon, public_lat),
    }


def answer_rows(answers: Mapping[str, Value]) -> list[dict[str, Any]]:
    """One row per answer (per chosen option of a select_multiple), in its type's column."""
    rows: list[dict[str, Any]] = []
    for name, value in answers.items():
        base: dict[str, Any] = {"question": name, "item": 0, **EMPTY_ANSWER}
        if isinstance(value, GeoPoint):
            rows.append(
                {
                    **base,
                    "lon": value.lon,
                    "lat": value.lat,
                    "altitude": value.altitude,
                    "accuracy": value.accuracy,
                }
            )
        elif isinstance(value, list):
            rows += [{**base, "item": i, "text": v} for i, v in enumerate(value)]
        elif isinstance(value, date):
            rows.append({**base, "day": value})
        elif isinstance(value, int | float):
            rows.append({**base, "number": float(value)})
        else:
            rows.append({**base, "text": value})
    return rows


def media_keys(
    response_id: uuid.UUID, spec: FormSpec, answers: Mapping[str, Value]
) -> dict[str, str]:
    """Where the file of each image answer is kept, by file name: the response's folder, the
    question's place in the form (`<id>/<n>.jpg`, as the photo store's keys are)."""
    keys = {}
    for number, question in enumerate(spec.answered, start=1):
        value = answers.get(question.name)
        if question.type == "image" and isinstance(value, str):
            keys[value] = f"{response_id}/{number}.jpg"
    return keys


def _keep_media(
    media: Media | None, response_id: uuid.UUID, spec: FormSpec, answers: Mapping[str, Value]
) -> None:
    """Clean and keep each file an image answer names (all decoded before any is written);
    a file kept before (a resubmission) is not written again."""
    if media is None:
        return
    keys = media_keys(response_id, spec, answers)
    cleaned = [
        (keys[name], clean_photo(media.files[name], limits=media.limits, loc=["media", name]))
        for name in keys
        if name in media.files
    ]
    for key, photo in cleaned:
        if media.store.get(key) is None:
            media.store.put(key, photo.data)


def read_answers(rows: list[RowMapping], spec: FormSpec) -> dict[str, Value]:
    """Stored answer rows back as typed values."""
    types = {q.name: q.type for q in spec.questions}
    out: dict[str, Any] = {}
    for row in rows:
        kind = types.get(row["question"])
        if kind == "select_multiple":
            out.setdefault(row["question"], []).append(row["text"])
        elif kind == "geopoint":
            out[row["question"]] = GeoPoint(
                row["lon"], row["lat"], row["altitude"], row["accuracy"]
            )
        elif kind == "date":
            out[row["question"]] = row["day"]
        elif kind == "integer":
            out[row["question"]] = int(row["number"])
        elif kind == "decimal":
            out[row["question"]] = float(row["number"])
        else:
            out[row["question"]] = row["text"]
    return out
