"""CSV downloads: one row per feature, nested properties in dotted columns.

Columns: `id`, then `lon` and `lat` when every geometry is a point, then the flattened
properties, then `WKT` (the geometry as well-known text, which GDAL reads as the geometry of a
CSV by that column name). Two passes over the features: the first learns the columns.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from typing import Any

from mapping.export.download import Download
from mapping.export.geometry import wkt
from mapping.export.table import Columns, flatten, scan

CHUNK_ROWS = 500
# Spreadsheets run a cell that starts with one of these as a formula; citizen text must not
# (CSV injection). Such text gets a leading apostrophe, which the importer takes off again.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> Any:
    """A value as a CSV cell: empty for null, `true`/`false`, text guarded against formulas."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def header(columns: Columns) -> list[str]:
    points = ["lon", "lat"] if columns.points_only else []
    return ["id", *points, *columns.names, "WKT"]


def row(feature: Mapping[str, Any], columns: Columns) -> list[Any]:
    flat = flatten(feature.get("properties") or {})
    geometry = feature.get("geometry")
    points = list(geometry["coordinates"][:2]) if columns.points_only and geometry else []
    values = [feature.get("id"), *points, *(flat.get(n) for n in columns.names)]
    values.append(wkt(geometry) if geometry else None)
    return [cell(v) for v in values]


def chunks(download: Download) -> Iterator[bytes]:
    columns = scan(download.features, download.column_types)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header(columns))
    for rows, feature in enumerate(download.features, start=1):
        writer.writerow(row(feature, columns))
        if rows % CHUNK_ROWS == 0:
            yield out.getvalue().encode()
            out.seek(0)
            out.truncate()
    yield out.getvalue().encode()
