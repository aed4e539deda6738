"""Importing reports from tables (CSV now): a column mapping turns rows into report Features,
which then go through the same checks as any submission, in batches.

Each row gets a client id derived from its content, so importing the same file again stores
nothing new, and every row is accounted for: created, duplicate, or refused with the reason.
"""

from __future__ import annotations

import csv
import hashlib
import json
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from mapping import ingest
from mapping.areas import AreaIndex

IMPORT_NAMESPACE = uuid.UUID("1b7c3c1e-0b7f-4a55-b0a4-8f3f3a51f0d2")
LON_NAMES = ("lon", "lng", "long", "longitude", "x")
LAT_NAMES = ("lat", "latitude", "y")
CHUNK = 2000


@dataclass(frozen=True, slots=True)
class ColumnMapping:
    """How a table's columns become a report. Constants apply to every row; columns win."""

    kind: str
    category: str | None = None
    category_column: str | None = None
    lon_column: str | None = None
    lat_column: str | None = None
    observed_at: str | None = None
    observed_column: str | None = None
    description_column: str | None = None
    campaign: str | None = None
    # attribute name -> column, e.g. {"name": "FacilityName"}
    attributes: Mapping[str, str] = field(default_factory=dict)
    # attribute name -> constant value (JSON), e.g. {"survey_length_m": 100}
    constants: Mapping[str, Any] = field(default_factory=dict)
    # category values as written in the file -> taxonomy codes
    category_values: Mapping[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class RowOutcome:
    row: int
    outcome: str
    id: str | None = None
    reasons: list[str] = field(default_factory=list)


@dataclass(slots=True)
class ImportReport:
    rows: int = 0
    created: int = 0
    duplicates: int = 0
    refused: int = 0
    outcomes: list[RowOutcome] = field(default_factory=list)

    def add(self, outcome: RowOutcome) -> None:
        self.rows += 1
        self.outcomes.append(outcome)
        if outcome.outcome == "created":
            self.created += 1
        elif outcome.outcome == "duplicate":
            self.duplicates += 1
        else:
            self.refused += 1


def read_csv(path: str | Path) -> Iterator[dict[str, str]]:
    """Rows of a CSV file (UTF-8, with or without BOM) as dicts."""
    with open(path, newline="", encoding="utf-8-sig") as f:
        yield from csv.DictReader(f)


def _pick(row: Mapping[str, str], wanted: str | None, candidates: Iterable[str]) -> str | None:
    if wanted is not None:
        return wanted
    lowered = {k.lower().strip(): k for k in row}
    return next((lowered[c] for c in candidates if c in lowered), None)


def _number(text: str | None) -> float | None:
    if text is None or not text.strip():
        return None
    return (
        float(text.replace(",", ".")) if text.count(",") == 1 and "." not in text else float(text)
    )


def row_to_feature(
    row: Mapping[str, str], mapping: ColumnMapping, *, now: datetime
) -> dict[str, Any]:
    """One table row as a report Feature; ValueError says what the row lacks."""
    lon_col = _pick(row, mapping.lon_column, LON_NAMES)
    lat_col = _pick(row, mapping.lat_column, LAT_NAMES)
    if lon_col is None or lat_col is None:
        raise ValueError("no longitude/latitude columns; name them with --lon/--lat")
    try:
        lon, lat = _number(row.get(lon_col)), _number(row.get(lat_col))
    except ValueError:
        raise ValueError(
            f"coordinates {row.get(lon_col)!r}, {row.get(lat_col)!r} are not numbers"
        ) from None
    if lon is None or lat is None:
        raise ValueError("no coordinates")
    category = mapping.category
    if mapping.category_column:
        raw = (row.get(mapping.category_column) or "").strip()
        category = (
            mapping.category_values.get(raw) or mapping.category_values.get(raw.lower()) or raw
        )
    observed = mapping.observed_at or now.isoformat()
    if mapping.observed_column:
        observed = (row.get(mapping.observed_column) or "").strip()
    attributes: dict[str, Any] = dict(mapping.constants)
    for name, column in mapping.attributes.items():
        value = (row.get(column) or "").strip()
        if value:
            attributes[name] = value
    properties: dict[str, Any] = {
        "kind": mapping.kind,
        "category": category,
        "observed_at": observed,
        "attributes": attributes,
    }
    if mapping.campaign:
        properties["campaign"] = mapping.campaign
    if mapping.description_column and (row.get(mapping.description_column) or "").strip():
        properties["description"] = row[mapping.description_column].strip()
    digest = hashlib.sha256(
        json.dumps([lon, lat, properties], sort_keys=True, default=str).encode()
    ).hexdigest()
    properties["client_id"] = str(uuid.uuid5(IMPORT_NAMESPACE, digest))
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": properties,
    }


def import_rows(
    engine: Engine,
    rows: Iterable[Mapping[str, str]],
    mapping: ColumnMapping,
    *,
    limits: ingest.Limits,
    areas: AreaIndex | None = None,
    first_row: int = 2,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import table rows as reports, in batches; `first_row` numbers rows as a spreadsheet does."""
    report = ImportReport()
    now = datetime.now(UTC)
    pending: list[tuple[int, dict[str, Any]]] = []

    def flush() -> None:
        if not pending:
            return
        result = ingest.submit_batch(
            engine,
            {"type": "FeatureCollection", "features": [f for _, f in pending]},
            limits=limits,
            areas=areas,
            now=now,
        )
        for (number, _), outcome in zip(pending, result.results, strict=True):
            reasons = [
                f"{'.'.join(str(p) for p in e['loc'][2:])}: {e['msg']}" for e in outcome["errors"]
            ]
            report.add(RowOutcome(number, outcome["outcome"], outcome["id"], reasons))
        if progress:
            progress(len(pending))
        pending.clear()

    for number, row in enumerate(rows, start=first_row):
        try:
            pending.append((number, row_to_feature(row, mapping, now=now)))
        except ValueError as exc:
            report.add(RowOutcome(number, "rejected", None, [str(exc)]))
            if progress:
                progress(1)
        if len(pending) >= CHUNK:
            flush()
    flush()
    report.outcomes.sort(key=lambda o: o.row)
    return report
