"""CSV on the Web (W3C CSVW) metadata for CSV downloads: what a saved CSV cannot say itself.

A CSV download is linked (`Link: <...>; rel="describedby"; type="application/csvm+json"`) to
this document for the same query. It names the CSV by `url`, describes its columns as the
CSV writes them (names, titles, datatypes, units where they apply, empty cells for nulls) and
carries, as Dublin Core and schema.org properties of the table, how the answer was made: its
method, filters, period, licence and the sources that contributed with their credits.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import orjson

from mapping.disclosure.provenance import credit_line
from mapping.export.download import Download
from mapping.export.table import BOOLEAN, DATE, DATETIME, INTEGER, REAL, Columns, scan

CONTEXT = ["http://www.w3.org/ns/csvw", {"@language": "en"}]
DATATYPES = {
    BOOLEAN: "boolean",
    INTEGER: "integer",
    REAL: "double",
    DATETIME: "datetime",
    DATE: "date",
}
# The way `mapping.export.to_csv` writes booleans.
CSV_BOOLEAN = {"base": "boolean", "format": "true|false"}
# Units by column name (its last dotted part), as text and UN/CEFACT common codes.
UNITS: dict[str, tuple[str, str | None]] = {
    "lon": ("degrees east (WGS84)", "DD"),
    "lat": ("degrees north (WGS84)", "DD"),
    "items_per_100m": ("items per 100 m of beach", None),
    "satisfied_share": ("share of respondents, 0 to 1", None),
    "plastic_share": ("share of items, 0 to 1", None),
    "covered_share": ("share of hexagons, 0 to 1", None),
    "mean_satisfaction": ("mean on the 1 to 4 scale", None),
    "people_affected": ("persons", None),
}
_METRES = re.compile(r".*(_m|_metres)$")
_PLAIN = re.compile(r"[A-Za-z0-9_]")


def column_name(title: str) -> str:
    """A CSVW column name for a CSV header (RFC 6570 variable names: letters, digits, `_`,
    dots between them, the rest percent-encoded)."""
    parts = ["".join(_encoded(c) for c in part) or "x" for part in title.split(".")]
    name = ".".join(parts)
    return f"x{name}" if name.startswith("_") else name


def _encoded(char: str) -> str:
    if _PLAIN.fullmatch(char):
        return char
    return "".join(f"%{b:02X}" for b in char.encode())


def column(title: str, datatype: Any, description: str | None = None) -> dict[str, Any]:
    """One column's description: `datatype` a CSVW datatype (name or object)."""
    described: dict[str, Any] = {
        "name": column_name(title),
        "titles": title,
        "datatype": datatype,
        "null": "",
    }
    unit = UNITS.get(title.rsplit(".", 1)[-1])
    if unit is None and _METRES.fullmatch(title):
        unit = ("metres", "MTR")
    if unit is None and ".items." in f".{title}":
        unit = ("items counted", None)
    if unit is not None:
        described["schema:unitText"] = unit[0]
        if unit[1]:
            described["schema:unitCode"] = unit[1]
    if description:
        described["dc:description"] = description
    return described


def feature_columns(columns: Columns) -> list[dict[str, Any]]:
    """The columns of a FeatureCollection's CSV (`mapping.export.to_csv.header`)."""
    described = [column("id", "string", "the feature's id")]
    if columns.points_only:
        described += [column("lon", "double"), column("lat", "double")]
    for name in columns.names:
        kind = columns.type_of(name)
        datatype = CSV_BOOLEAN if kind == BOOLEAN else DATATYPES.get(kind, "string")
        about = "items joined by ';'" if name in columns.lists else None
        described.append(column(name, datatype, about))
    described.append(column("WKT", "string", "the geometry as OGC well-known text, WGS84"))
    return described


def document(
    *,
    url: str,
    title: str,
    columns: Sequence[Mapping[str, Any]],
    metadata: Mapping[str, Any],
) -> dict[str, Any]:
    """The CSVW metadata document of the CSV at `url`, with the answer's `metadata`."""
    filters = metadata.get("filters") or {}
    sources = list(metadata.get("sources") or [])
    doc: dict[str, Any] = {
        "@context": CONTEXT,
        "url": url,
        "dc:title": title,
        "dc:description": metadata.get("method", ""),
        "dc:license": metadata.get("license"),
        "dc:created": {"@value": metadata.get("generated_at"), "@type": "xsd:dateTime"},
        "dc:publisher": "CivicMap",
        "dc:source": [_source(s) for s in sources],
        "schema:additionalProperty": [
            _property(f"filter {k}", v) for k, v in filters.items() if v is not None
        ],
        "dialect": {"header": True, "delimiter": ",", "doubleQuote": True, "encoding": "utf-8"},
        "tableSchema": {"columns": list(columns)},
    }
    if sources:
        doc["dc:rights"] = credit_line(sources)
    if "suppression_threshold" in metadata:
        doc["schema:additionalProperty"].append(
            _property("suppression_threshold", metadata["suppression_threshold"])
        )
    period = _period(filters)
    if period:
        doc["dc:temporal"] = period
    return {k: v for k, v in doc.items() if v is not None}


def _source(source: Mapping[str, Any]) -> dict[str, Any]:
    described = {
        "schema:identifier": source.get("id"),
        "dc:title": source.get("title"),
        # null: the source states no licence, which is what this says.
        "dc:license": source.get("license") or "licence not stated",
        "dc:rights": source.get("credit"),
        "schema:url": source.get("url"),
    }
    return {k: v for k, v in described.items() if v is not None}


def _property(name: str, value: Any) -> dict[str, Any]:
    shown = value if isinstance(value, str | int | float) else orjson.dumps(value).decode()
    return {"@type": "schema:PropertyValue", "schema:name": name, "schema:value": shown}


def _period(filters: Mapping[str, Any]) -> str | None:
    """The period the filters select, as an ISO 8601 interval (`..` for an open end)."""
    since, until = filters.get("since"), filters.get("until")
    if since is None and until is None:
        return None
    return f"{since or '..'}/{until or '..'}"


def chunks(download: Download) -> Iterator[bytes]:
    """The document of `download`'s CSV, whose address is its `describes` link."""
    url = next(link["href"] for link in download.links if link.get("rel") == "describes")
    doc = document(
        url=url,
        title=download.title,
        columns=feature_columns(scan(download.features, download.column_types)),
        metadata={**download.metadata, **download.extra},
    )
    yield orjson.dumps(doc, option=orjson.OPT_INDENT_2)
