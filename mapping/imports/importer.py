"""Importing reports from files: a column mapping turns each row into report Features, which then
go through the same checks as any submission, in batches.

Rows come from CSV, GeoJSON, GeoPackage or KML (mapping.imports.readers). Each Feature gets a
client id derived from its content, so importing the same file again stores nothing new, and
every row is accounted for: created, duplicate, or refused with the reasons.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from mapping.areas.index import AreaIndex
from mapping.export.table import SEPARATOR, unflatten
from mapping.imports import beaches
from mapping.imports.litter import split_survey
from mapping.imports.outcomes import ImportReport, RowOutcome
from mapping.imports.readers import Record, detect_format, opened, read_records
from mapping.imports.readers import read_csv as _read_csv_records
from mapping.imports.values import coerce, observed_time, text, truthy
from mapping.reports import ingest
from mapping.reports.rows import Limits
from mapping.storage import sources as source_store
from mapping.storage.sources import Source

IMPORT_NAMESPACE = uuid.UUID("1b7c3c1e-0b7f-4a55-b0a4-8f3f3a51f0d2")
LON_NAMES = ("lon", "lng", "long", "longitude", "x")
LAT_NAMES = ("lat", "latitude", "y")
CHUNK = 2000
# A position this close to 0,0 is what a device or a spreadsheet writes for "no position".
NULL_ISLAND_DEG = 0.001


@dataclass(frozen=True, slots=True)
class ColumnMapping:
    """How a table's columns become a report. Constants apply to every row; columns win."""

    kind: str
    kind_column: str | None = None
    category: str | None = None
    category_column: str | None = None
    lon_column: str | None = None
    lat_column: str | None = None
    observed_at: str | None = None
    observed_column: str | None = None
    # strptime format of `observed_column`, e.g. "%Y%m%d"; a time without zone is UTC
    observed_format: str | None = None
    description_column: str | None = None
    # columns joined by "; " into the description (when description_column is not given)
    description_columns: tuple[str, ...] = ()
    campaign: str | None = None
    campaign_column: str | None = None
    # a column saying whether the report is sensitive (true/false): keep it when the file
    # holds exact points of sensitive reports, or they would be published exactly
    sensitive_column: str | None = None
    accuracy_column: str | None = None
    # attribute name -> column, e.g. {"name": "FacilityName"}
    attributes: Mapping[str, str] = field(default_factory=dict)
    # attribute name -> constant value (JSON), e.g. {"survey_length_m": 100}
    constants: Mapping[str, Any] = field(default_factory=dict)
    # category values as written in the file -> taxonomy codes
    category_values: Mapping[str, str] = field(default_factory=dict)
    # columns whose names start with this become attributes, nested by their dotted names
    # (as CivicMap's own downloads write them: "attributes.")
    attributes_prefix: str | None = None
    # litter: a regular expression matching the columns that hold counts per item code
    item_columns: str | None = None
    # litter: surveys longer than the API's 1000 m are split into equal parts (see
    # mapping.imports.litter); the end of the surveyed stretch places the parts along it
    split_long_surveys: bool = False
    end_lon_column: str | None = None
    end_lat_column: str | None = None
    # litter: each row names its beach (EEA LitterWatch site columns, mapping.imports.beaches)
    beach_sites: bool = False


def read_csv(path: str | Path) -> Iterator[dict[str, str]]:
    """Rows of a CSV file (UTF-8, with or without BOM) as dicts."""
    for record in _read_csv_records(Path(path)):
        yield record.values


def _pick(row: Mapping[str, Any], wanted: str | None, candidates: Iterable[str]) -> str | None:
    if wanted is not None:
        return wanted
    lowered = {k.lower().strip(): k for k in row}
    return next((lowered[c] for c in candidates if c in lowered), None)


def _number(value: Any) -> float | None:
    raw = text(value)
    if not raw:
        return None
    return float(raw.replace(",", ".")) if raw.count(",") == 1 and "." not in raw else float(raw)


def _position(
    row: Mapping[str, Any], lon_col: str | None, lat_col: str | None
) -> tuple[float, float] | None:
    """The row's (lon, lat) from its columns; ValueError when they are unusable."""
    if lon_col is None or lat_col is None:
        raise ValueError("no longitude/latitude columns; name them with --lon/--lat")
    try:
        lon, lat = _number(row.get(lon_col)), _number(row.get(lat_col))
    except ValueError:
        raise ValueError(
            f"coordinates {row.get(lon_col)!r}, {row.get(lat_col)!r} are not numbers"
        ) from None
    if lon is None or lat is None:
        return None
    return lon, lat


def _point(record: Record, mapping: ColumnMapping) -> tuple[float, float]:
    values = record.values
    if mapping.lon_column is None and record.has_geometry:
        if record.point is None:
            raise ValueError(record.problem or "no geometry, so no position")
        point: tuple[float, float] | None = record.point
    else:
        lon_col = _pick(values, mapping.lon_column, LON_NAMES)
        lat_col = _pick(values, mapping.lat_column, LAT_NAMES)
        point = _position(values, lon_col, lat_col)
    if point is None:
        raise ValueError("no coordinates")
    if abs(point[0]) < NULL_ISLAND_DEG and abs(point[1]) < NULL_ISLAND_DEG:
        raise ValueError(
            f"coordinates {point[0]:g}, {point[1]:g} lie at 0,0, which stands for no position"
        )
    return point


def _category(values: Mapping[str, Any], mapping: ColumnMapping) -> str | None:
    if not mapping.category_column:
        return mapping.category
    raw = text(values.get(mapping.category_column))
    return mapping.category_values.get(raw) or mapping.category_values.get(raw.lower()) or raw


def _attributes(values: Mapping[str, Any], mapping: ColumnMapping, kind: str) -> dict[str, Any]:
    attributes: dict[str, Any] = dict(mapping.constants)
    if mapping.attributes_prefix:
        prefix = mapping.attributes_prefix
        nested = {
            k.removeprefix(prefix): v for k, v in values.items() if k.startswith(prefix) and text(v)
        }
        attributes.update(_coerce_nested(unflatten(nested), kind))
    for name, column in mapping.attributes.items():
        value = values.get(column)
        if text(value):
            attributes[name] = coerce(kind, name, value)
    if mapping.item_columns:
        pattern = re.compile(mapping.item_columns)
        items = {}
        for column, value in values.items():
            if pattern.fullmatch(column) and text(value):
                items[column] = coerce(kind, "items", value)
        if not items:
            raise ValueError(f"no item counts: every column matching {pattern.pattern} is empty")
        attributes["items"] = items
    return attributes


def _coerce_nested(attributes: dict[str, Any], kind: str, path: str = "") -> dict[str, Any]:
    return {
        k: _coerce_nested(v, kind, f"{path}{k}{SEPARATOR}")
        if isinstance(v, dict)
        else coerce(kind, path.split(SEPARATOR)[0] or k, v)
        for k, v in attributes.items()
    }


def _description(values: Mapping[str, Any], mapping: ColumnMapping) -> str | None:
    if mapping.description_column:
        return text(values.get(mapping.description_column)) or None
    parts = [text(values.get(c)) for c in mapping.description_columns]
    return "; ".join(p for p in parts if p) or None


def row_to_features(
    row: Record | Mapping[str, Any],
    mapping: ColumnMapping,
    *,
    now: datetime,
    sites: dict[str, beaches.Site] | None = None,
) -> list[dict[str, Any]]:
    """One row as report Features (more than one only when a long survey is split);
    ValueError says what the row lacks."""
    record = row if isinstance(row, Record) else Record(dict(row))
    if record.unreadable:
        raise ValueError(record.unreadable)
    values = record.values
    lon, lat = _point(record, mapping)
    kind = text(values.get(mapping.kind_column)) if mapping.kind_column else mapping.kind
    observed = mapping.observed_at or now.isoformat()
    if mapping.observed_column:
        observed = observed_time(values.get(mapping.observed_column), mapping.observed_format)
    properties: dict[str, Any] = {
        "kind": kind,
        "category": _category(values, mapping),
        "observed_at": observed,
        "attributes": _attributes(values, mapping, kind),
    }
    campaign = text(values.get(mapping.campaign_column)) if mapping.campaign_column else None
    if campaign or mapping.campaign:
        properties["campaign"] = campaign or mapping.campaign
    if mapping.sensitive_column:
        properties["sensitive"] = truthy(values.get(mapping.sensitive_column)) or False
    if mapping.accuracy_column and text(values.get(mapping.accuracy_column)):
        properties["accuracy_m"] = _number(values.get(mapping.accuracy_column))
    description = _description(values, mapping)
    if description:
        properties["description"] = description
    if mapping.beach_sites and kind == "litter":
        beaches.name_beach(properties["attributes"], values, (lon, lat), sites)
    features = [_feature(lon, lat, properties)]
    if mapping.split_long_surveys and kind == "litter":
        end = _end_point(values, mapping)
        features = split_survey(features[0], end=end)
    for feature in features:
        _identify(feature)
    return features


def row_to_feature(
    row: Record | Mapping[str, Any], mapping: ColumnMapping, *, now: datetime
) -> dict[str, Any]:
    """One row as one report Feature (no splitting)."""
    return row_to_features(row, mapping, now=now)[0]


def _end_point(values: Mapping[str, Any], mapping: ColumnMapping) -> tuple[float, float] | None:
    try:
        end = _position(values, mapping.end_lon_column, mapping.end_lat_column)
    except ValueError:
        return None
    if end is None or (abs(end[0]) < NULL_ISLAND_DEG and abs(end[1]) < NULL_ISLAND_DEG):
        return None
    return end


def _feature(lon: float, lat: float, properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": properties,
    }


def _identify(feature: dict[str, Any]) -> None:
    """A client id from the content: importing the same row again is an idempotent replay."""
    properties = feature["properties"]
    properties.pop("client_id", None)
    digest = hashlib.sha256(
        json.dumps(
            [*feature["geometry"]["coordinates"], properties], sort_keys=True, default=str
        ).encode()
    ).hexdigest()
    properties["client_id"] = str(uuid.uuid5(IMPORT_NAMESPACE, digest))


def _combine(number: int, parts: list[tuple[str, str | None, list[str]]]) -> RowOutcome:
    """One row's outcome from those of its Features (several when a survey was split)."""
    ids = [i for _, i, _ in parts if i]
    reasons = [r for _, _, rs in parts for r in rs]
    outcomes = {o for o, _, _ in parts}
    if "rejected" in outcomes:
        outcome = "rejected"
    else:
        outcome = "created" if "created" in outcomes else "duplicate"
    if len(parts) > 1 and outcome != "rejected":
        reasons.append(f"split into {len(parts)} surveys of at most 1000 m")
    return RowOutcome(number, outcome, ";".join(ids) or None, reasons)


def import_rows(
    engine: Engine,
    rows: Iterable[Record | Mapping[str, Any]],
    mapping: ColumnMapping,
    *,
    limits: Limits,
    areas: AreaIndex | None = None,
    submitter: str | None = None,
    first_row: int = 2,
    progress: Callable[[int], None] | None = None,
    source: Source | None = None,
) -> ImportReport:
    """Import rows as reports, in batches; `first_row` numbers rows as a spreadsheet does.
    `source` (with its licence and credit) is recorded, and names every report stored."""
    report = ImportReport()
    if source is not None:
        with engine.begin() as conn:
            source_store.upsert(conn, source)
    now = datetime.now(UTC)
    chunk = min(CHUNK, limits.max_batch_features)
    pending: list[tuple[int, dict[str, Any]]] = []
    parts: dict[int, list[tuple[str, str | None, list[str]]]] = defaultdict(list)
    sizes: dict[int, int] = {}

    sites: dict[str, beaches.Site] = {}

    def flush() -> None:
        if not pending:
            return
        beaches.save_sites(engine, sites, source=source.id if source else None)
        result = ingest.submit_batch(
            engine,
            {"type": "FeatureCollection", "features": [f for _, f in pending]},
            limits=limits,
            areas=areas,
            submitter=submitter,
            now=now,
            source=source.id if source else None,
        )
        for (number, _), outcome in zip(pending, result.results, strict=True):
            reasons = [
                f"{'.'.join(str(p) for p in e['loc'][2:])}: {e['msg']}" for e in outcome["errors"]
            ]
            parts[number].append((outcome["outcome"], outcome["id"], reasons))
            if len(parts[number]) == sizes[number]:
                report.add(_combine(number, parts.pop(number)))
        if progress:
            progress(len({n for n, _ in pending}))
        pending.clear()

    for number, row in enumerate(rows, start=first_row):
        try:
            features = row_to_features(row, mapping, now=now, sites=sites)
        except ValueError as exc:
            report.add(RowOutcome(number, "rejected", None, [str(exc)]))
            if progress:
                progress(1)
            continue
        if len(pending) + len(features) > chunk:
            flush()  # a row's parts stay in one batch, and a batch within its limit
        sizes[number] = len(features)
        pending.extend((number, f) for f in features)
    flush()
    report.outcomes.sort(key=lambda o: o.row)
    return report


def import_file(
    engine: Engine,
    path: Path,
    mapping: ColumnMapping,
    *,
    limits: Limits,
    max_bytes: int,
    areas: AreaIndex | None = None,
    submitter: str | None = None,
    fmt: str | None = None,
    layer: str | None = None,
    progress: Callable[[int], None] | None = None,
    source: Source | None = None,
) -> ImportReport:
    """Import a CSV, GeoJSON, GeoPackage, KML, KMZ or zip file of at most `max_bytes` (an
    archive's member too, unpacked). Rows are numbered as a spreadsheet does for CSV (the first
    data row is 2) and from 1 for the features of the other formats. `fmt` overrides the
    format read from the file name; `layer` names a GeoPackage layer."""
    fmt = fmt or detect_format(path.name)
    with opened(path, fmt, max_bytes=max_bytes) as (readable, inner):
        return import_rows(
            engine,
            read_records(readable, inner, layer=layer),
            mapping,
            limits=limits,
            areas=areas,
            submitter=submitter,
            first_row=2 if inner == "csv" else 1,
            progress=progress,
            source=source,
        )
