"""Official facility lists (CSV) read with a column mapping, for coverage analysis.

Facilities are kept apart from citizen reports: they are a list someone published, not an
observation, so they skip report validation and moderation, and a list imported again replaces
its earlier version. Every row is accounted for: placed, or refused with the reason; rows that
share coordinates are kept and reported, since two services in one building are common.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from mapping.errors import InvalidInput
from mapping.imports.importer import LAT_NAMES, LON_NAMES
from mapping.taxonomy import SERVICE_CATEGORIES

SERVICE_CODES = frozenset(c.code for c in SERVICE_CATEGORIES)
STATUSES = ("operational", "partly", "closed")
# Known misspellings in Ghana's list (CPHS for CHPS: Community-based Health Planning and
# Services) and an abbreviation written out elsewhere in the same file. Keys are lower case.
GHANA_TYPE_ALIASES = {"cphs": "CHPS", "dhd": "District Health Directorate"}


@dataclass(frozen=True, slots=True)
class FacilityColumns:
    """Which column holds what; defaults fit Ghana's health facility list."""

    name: str = "FacilityName"
    type: str | None = "Type"
    ownership: str | None = "Ownership"
    lon: str | None = None  # found by name (lon, longitude, x...) when not given
    lat: str | None = None
    code: str | None = None  # a stable id column, if the list has one
    category: str = "health_facility"  # taxonomy service category for every row...
    category_column: str | None = None  # ...or per row, values mapped by category_values
    category_values: Mapping[str, str] = field(default_factory=dict)
    type_aliases: Mapping[str, str] = field(default_factory=lambda: dict(GHANA_TYPE_ALIASES))
    status: str | None = None  # a column with the register's own status of each facility...
    status_values: Mapping[str, str] = field(default_factory=dict)  # ...its values mapped


@dataclass(slots=True)
class FacilityList:
    """Rows ready to store (a DataFrame with lon, lat in WGS84 degrees) and what was done."""

    rows: pd.DataFrame
    read: int
    refused: list[tuple[int, str]]  # (row number as a spreadsheet shows it, reason)
    shared_coordinates: list[tuple[float, float, list[int]]]  # lon, lat, row numbers
    renamed: dict[str, Counter[tuple[str, str]]]  # column -> (raw, normalised) -> rows


def read_facilities(path: str | Path, columns: FacilityColumns) -> FacilityList:
    """Read a CSV facility list (UTF-8, with or without BOM) through `columns`.

    Coordinates are WGS84 lon/lat degrees; a comma as decimal separator is accepted.
    """
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise InvalidInput(f"Cannot read {path} as a UTF-8 CSV file: {exc}") from None
    return facilities_from_frame(frame, columns)


def facilities_from_frame(frame: pd.DataFrame, columns: FacilityColumns) -> FacilityList:
    """`read_facilities` for a DataFrame of text columns (row 2 is the first data row)."""
    lon_col = columns.lon or _find(frame, LON_NAMES)
    lat_col = columns.lat or _find(frame, LAT_NAMES)
    wanted = {
        "name": columns.name,
        "type": columns.type,
        "ownership": columns.ownership,
        "lon": lon_col,
        "lat": lat_col,
        "code": columns.code,
        "category": columns.category_column,
        "status": columns.status,
    }
    missing = [f"{role} ({col!r})" for role, col in wanted.items() if col and col not in frame]
    if lon_col is None or lat_col is None:
        missing.append("longitude/latitude (name them)")
    if missing:
        raise InvalidInput(
            f"Columns not found: {', '.join(missing)}; the columns are: {', '.join(frame.columns)}."
        )
    assert lon_col is not None and lat_col is not None
    if not columns.category_column and columns.category not in SERVICE_CODES:
        raise InvalidInput(f"{columns.category!r} is not a service category of the taxonomy.")

    rows = pd.DataFrame({"row": np.arange(2, len(frame) + 2)})
    rows["name"] = _clean(frame[columns.name])
    lon, lon_bad = _coordinate(frame[lon_col])
    lat, lat_bad = _coordinate(frame[lat_col])
    rows["lon"], rows["lat"] = lon, lat
    renamed: dict[str, Counter[tuple[str, str]]] = {}
    for role, aliases in (("type", columns.type_aliases), ("ownership", {})):
        column = getattr(columns, role)
        raw = _clean(frame[column]) if column else pd.Series("", index=frame.index)
        rows[f"{role}_raw"] = raw
        rows[role], renamed[role] = _normalise(raw, aliases)
    rows["category"] = _categories(frame, columns)
    rows["status"] = _statuses(frame, columns)
    used = {c for c in wanted.values() if c}
    extra = [c for c in frame.columns if c not in used]
    rows["attributes"] = [
        {c: v.strip() for c, v in zip(extra, values, strict=True) if v.strip()}
        for values in frame[extra].itertuples(index=False, name=None)
    ]

    reason = pd.Series("", index=rows.index)
    reason[rows["category"] == ""] = "category not in the taxonomy (map it with a category value)"
    reason[rows["status"].isna()] = (
        "status is none of operational, partly, closed (map it with a status value)"
    )
    reason[rows["name"] == ""] = "no name"
    outside = (lon.abs() > 180) | (lat.abs() > 90)
    reason[outside] = "coordinates out of range (longitude -180..180, latitude -90..90)"
    reason[(lon == 0) & (lat == 0)] = "coordinates 0, 0 (a device without a fix)"
    reason[(lon.isna() & ~lon_bad) | (lat.isna() & ~lat_bad)] = "no coordinates"
    reason[lon_bad | lat_bad] = "coordinates are not numbers"
    refused = reason != ""
    kept = rows[~refused].reset_index(drop=True)
    kept["code"] = _codes(frame[~refused.to_numpy()], kept, columns.code)
    return FacilityList(
        rows=kept,
        read=len(frame),
        refused=list(zip(rows["row"][refused].tolist(), reason[refused].tolist(), strict=True)),
        shared_coordinates=_shared(kept),
        renamed={k: v for k, v in renamed.items() if v},
    )


def _find(frame: pd.DataFrame, names: tuple[str, ...]) -> str | None:
    lowered = {c.lower().strip(): c for c in frame.columns}
    return next((lowered[n] for n in names if n in lowered), None)


def _clean(values: pd.Series) -> pd.Series:
    """Trimmed text with runs of spaces made one ("Municipal  Health" is "Municipal Health")."""
    return values.fillna("").astype(str).str.strip().str.replace(r"\s+", " ", regex=True)


def _coordinate(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Numbers (NaN where empty) and where the text was not a number."""
    text = _clean(values)
    decimal_comma = text.str.fullmatch(r"-?\d+,\d+")
    text = text.where(~decimal_comma, text.str.replace(",", ".", regex=False))
    number = pd.to_numeric(text, errors="coerce")
    return number, number.isna() & (text != "")


def _normalise(raw: pd.Series, aliases: Mapping[str, str]) -> tuple[pd.Series, Counter]:
    """One spelling per value: aliases first (typos), then, among spellings that differ only in
    case, the one the list uses most (so `clinic` becomes `Clinic`). Returns the renames made."""
    aliased = raw.map(lambda v: aliases.get(v.lower(), v))
    usage = Counter(aliased[aliased != ""])
    preferred: dict[str, str] = {}
    for spelling, _ in sorted(usage.items(), key=lambda item: (-item[1], item[0])):
        preferred.setdefault(spelling.lower(), spelling)
    normal = aliased.map(lambda v: preferred.get(v.lower(), v))
    changed = raw != normal
    return normal, Counter(zip(raw[changed], normal[changed], strict=True))


def _categories(frame: pd.DataFrame, columns: FacilityColumns) -> pd.Series:
    """Each row's taxonomy category; empty where the file's value maps to none."""
    if not columns.category_column:
        return pd.Series(columns.category, index=frame.index)
    values = {k.lower(): v for k, v in columns.category_values.items()}
    raw = _clean(frame[columns.category_column])
    mapped = raw.map(lambda v: values.get(v.lower(), v))
    return mapped.where(mapped.isin(SERVICE_CODES), "")


def _statuses(frame: pd.DataFrame, columns: FacilityColumns) -> pd.Series:
    """Each row's status in the register: operational, partly, closed, "" where it gives none,
    and NaN where its value maps to none of them."""
    if not columns.status:
        return pd.Series("", index=frame.index)
    values = {k.lower(): v for k, v in columns.status_values.items()}
    raw = _clean(frame[columns.status])
    mapped = raw.map(lambda v: values.get(v.lower(), v.lower()))
    return mapped.where(mapped.isin((*STATUSES, "")), np.nan)


def _codes(source: pd.DataFrame, kept: pd.DataFrame, code_column: str | None) -> list[str]:
    """The list's own ids, else a digest of name, type and position: stable when the same list
    is imported again. Rows identical in all of these get -2, -3... in file order."""
    if code_column:
        base = _clean(source[code_column]).tolist()
    else:
        base = [
            hashlib.sha256(f"{n}|{t}|{x!r}|{y!r}".encode()).hexdigest()[:16]
            for n, t, x, y in zip(kept["name"], kept["type"], kept["lon"], kept["lat"], strict=True)
        ]
    seen: Counter[str] = Counter()
    codes = []
    for code in base:
        seen[code] += 1
        codes.append(code if seen[code] == 1 else f"{code}-{seen[code]}")
    return codes


def _shared(kept: pd.DataFrame) -> list[tuple[float, float, list[int]]]:
    groups = kept.groupby(["lon", "lat"], sort=True)["row"].agg(list)
    return [(lon, lat, rows) for (lon, lat), rows in groups.items() if len(rows) > 1]


def slug(text: str) -> str:
    """A list name fit for the `source` column: the file's stem, lower case, dashes."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:200] or "facilities"
