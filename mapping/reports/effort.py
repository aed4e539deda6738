"""Observer effort: someone looked for something (a kind of report), found it or not.

A visit is a GeoJSON Feature with a Point (one look) or a LineString (a walked track). It is
stored with the H3 cells its geometry touches at the effort resolution and the areas holding
each cell's centre, so that effort per hexagon (at that resolution or coarser) or per area is a
COUNT(DISTINCT visit) GROUP BY, like report counts. Tracks are people's movements: they are kept
for the record and never published, only counted.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StrictFloat,
    ValidationError,
    field_validator,
)
from sqlalchemy.engine import Connection, Engine

from mapping import hexgrid
from mapping.areas.index import AreaIndex
from mapping.disclosure.publish import rfc3339
from mapping.errors import ErrorItem, InvalidInput, error_items
from mapping.reports.campaigns import area_codes_of, fit_flag
from mapping.reports.rows import CLOCK_SKEW, EARLIEST_OBSERVATION, resolve_client_id
from mapping.reports.write import Submission, write_once
from mapping.schemas import SLUG_PATTERN, PointGeometry, subnormal, timestamp
from mapping.storage import campaigns as campaign_store
from mapping.storage import effort as store
from mapping.storage.tables import AREA_LEVELS
from mapping.taxonomy import Kind

MAX_VISIT = timedelta(hours=24)
MAX_TRACK_POINTS = 20_000


def _position(value: list[float]) -> list[float]:
    if not 2 <= len(value) <= 3 or not all(math.isfinite(v) for v in value):
        raise ValueError("a position is [lon, lat] with finite numbers")
    if any(subnormal(v) for v in value):
        raise ValueError("a position holds ordinary numbers, not subnormal ones (5e-324)")
    lon, lat = value[0], value[1]
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise ValueError(f"[{lon}, {lat}] is outside -180..180, -90..90 (order is [lon, lat])")
    if lon == 0 and lat == 0:
        raise ValueError("[0, 0] is what a device sends without a position fix")
    return value


class LineGeometry(BaseModel):
    model_config = ConfigDict(extra="ignore")

    type: Literal["LineString"]
    coordinates: Annotated[
        list[list[StrictFloat]], Field(min_length=2, max_length=MAX_TRACK_POINTS)
    ]

    @field_validator("coordinates")
    @classmethod
    def _positions(cls, value: list[list[float]]) -> list[list[float]]:
        return [_position(p) for p in value]


class EffortProperties(BaseModel):
    # As for reports: unknown members, the server's among them, are ignored.
    model_config = ConfigDict(extra="ignore")

    kind: Kind
    campaign: Annotated[str, Field(pattern=SLUG_PATTERN)] | None = None
    started_at: AwareDatetime
    ended_at: AwareDatetime
    client_id: uuid.UUID | None = None

    _times = field_validator("started_at", "ended_at", mode="before")(timestamp)


class EffortFeature(BaseModel):
    """A visit as a client sends it: a Feature with a Point or a LineString track."""

    model_config = ConfigDict(extra="ignore")

    type: Literal["Feature"]
    geometry: Annotated[PointGeometry | LineGeometry, Field(discriminator="type")]
    properties: EffortProperties

    def positions(self) -> list[list[float]]:
        if isinstance(self.geometry, LineGeometry):
            return self.geometry.coordinates
        return [self.geometry.coordinates]


@dataclass(frozen=True, slots=True)
class EffortLimits:
    resolution: int = 12
    max_track_m: float = 50_000.0


def validate_visit(obj: Any, *, limits: EffortLimits, now: datetime) -> tuple[EffortFeature, float]:
    """Check a visit against the API's rules; the visit and its track length in metres."""
    try:
        visit = EffortFeature.model_validate(obj)
    except ValidationError as exc:
        raise InvalidInput("The effort record is not valid.", error_items(exc)) from None
    props = visit.properties
    errors: list[ErrorItem] = []
    if props.started_at < EARLIEST_OBSERVATION:
        errors.append({"loc": ["properties", "started_at"], "msg": "must not be before 2000"})
    if props.ended_at < props.started_at:
        errors.append({"loc": ["properties", "ended_at"], "msg": "must not be before started_at"})
    elif props.ended_at - props.started_at > MAX_VISIT:
        errors.append({"loc": ["properties", "ended_at"], "msg": "a visit lasts 24 h at most"})
    if props.ended_at > now + CLOCK_SKEW:
        errors.append({"loc": ["properties", "ended_at"], "msg": "is in the future"})
    points = visit.positions()
    length = sum(hexgrid.distance_m(a[0], a[1], b[0], b[1]) for a, b in itertools.pairwise(points))
    if length > limits.max_track_m:
        errors.append(
            {
                "loc": ["geometry", "coordinates"],
                "msg": f"the track is {length / 1000:.1f} km long; at most "
                f"{limits.max_track_m / 1000:.1f} km per visit",
            }
        )
    if errors:
        raise InvalidInput("The effort record is not valid.", errors)
    return visit, length


def record_visit(
    engine: Engine,
    obj: Any,
    *,
    limits: EffortLimits,
    idempotency_key: str | None = None,
    areas: AreaIndex | None = None,
    submitter: str | None = None,
    now: datetime | None = None,
) -> Submission:
    """Store one visit with its cells, or find it again when the same visit is replayed.

    Raises InvalidInput for a visit that breaks a rule and Conflict when its client id was used
    for another visit (mapping.reports.write).
    """
    now = now or datetime.now(UTC)
    visit, length = validate_visit(obj, limits=limits, now=now)
    props = visit.properties
    client_id = resolve_client_id(props.client_id, idempotency_key)
    points = visit.positions()
    cells = hexgrid.track_cells([p[0] for p in points], [p[1] for p in points], limits.resolution)
    cell_rows = _cell_rows(cells, areas)
    row: dict[str, Any] = {
        "id": uuid.uuid4(),
        "client_id": client_id,
        "content_hash": _content_hash(visit),
        "kind": props.kind,
        "campaign": props.campaign,
        "started_at": props.started_at.astimezone(UTC),
        "ended_at": props.ended_at.astimezone(UTC),
        "received_at": now,
        "geometry": visit.geometry.model_dump(mode="json"),
        "length_m": round(length, 1),
        "cell_count": len(cells),
        "quality": [],
        "submitter": submitter,
    }

    def insert(conn: Connection) -> bool:
        if props.campaign:
            campaign = campaign_store.get_campaign(conn, props.campaign)
            codes = {code for cell in cell_rows for code in area_codes_of(cell)}
            flag = fit_flag(
                campaign, start=row["started_at"], end=row["ended_at"], area_codes=codes
            )
            row["quality"] = [flag] if flag else []
        return store.insert_visit(conn, row, cell_rows) is not None

    return write_once(
        engine,
        client_id=client_id,
        content_hash=row["content_hash"],
        insert=insert,
        read=store.get_by_client_id,
    )


def visit_doc(row: Mapping[Any, Any]) -> dict[str, Any]:
    """A stored visit as its sender sees it (the track is theirs; nobody else is shown it)."""
    return {
        "type": "Feature",
        "id": str(row["id"]),
        "geometry": row["geometry"],
        "properties": {
            "kind": row["kind"],
            "campaign": row["campaign"],
            "started_at": rfc3339(row["started_at"]),
            "ended_at": rfc3339(row["ended_at"]),
            "received_at": rfc3339(row["received_at"]),
            "client_id": str(row["client_id"]),
            "length_m": row["length_m"],
            "cells": row["cell_count"],
            "quality": row["quality"],
        },
    }


def _cell_rows(cells: list[int], areas: AreaIndex | None) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = [{"h3": cell} for cell in cells]
    if areas and cells:
        lons, lats = hexgrid.centres(np.array(cells, dtype=np.uint64))
        for level, codes in areas.assign(lons.tolist(), lats.tolist()).items():
            for row, code in zip(rows, codes, strict=True):
                row[f"area_{level}"] = code
    for row in rows:
        for level in AREA_LEVELS:
            row.setdefault(f"area_{level}", None)
    return rows


def _content_hash(visit: EffortFeature) -> str:
    content = {
        "geometry": visit.geometry.model_dump(mode="json"),
        "properties": visit.properties.model_dump(mode="json", exclude={"client_id"}),
    }
    encoded = json.dumps(content, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(encoded.encode()).hexdigest()


def reassign_areas(engine: Engine, index: AreaIndex, *, visits_per_batch: int = 500) -> int:
    """Decide again which areas hold every stored effort cell (after boundaries changed), a
    batch of visits per transaction; how many visits were placed."""
    done, after = 0, 0
    while True:
        with engine.begin() as conn:
            cells = store.cells_of_visits_after(conn, after=after, visits=visits_per_batch)
            if not cells:
                return done
            rows = _cell_rows([c["h3"] for c in cells], index)
            for row, cell in zip(rows, cells, strict=True):
                row["visit_seq"] = cell["visit_seq"]
            store.update_cell_areas(conn, rows)
        done += len({c["visit_seq"] for c in cells})
        after = cells[-1]["visit_seq"]
