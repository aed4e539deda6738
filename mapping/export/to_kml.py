"""KML downloads: a Document whose Placemarks carry every property as typed ExtendedData.

Each Placemark's `name` is the feature's id; properties are flattened as in the tables (dotted
names, lists joined by `;`) and declared once in a `<Schema>`, each Placemark holding a
`<SchemaData>` with one `<SimpleData>` for every field of the schema, a null text as an empty
one (a null number is left out: GDAL would read an empty one as 0):
both of GDAL's KML drivers and Google Earth read that form (GDAL's plain KML driver ignores
untyped `<Data>`). A feature's `observed_at` is also its `<TimeStamp>`, which Google Earth's
time slider and GDAL's `timestamp` field read. The schema needs the columns first, so this
takes two passes like the tables. The collection's metadata is the
Document's description and its own ExtendedData.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import orjson

from mapping.disclosure.provenance import credit_line
from mapping.export.download import Download
from mapping.export.geometry import kml
from mapping.export.table import BOOLEAN, INTEGER, REAL, Columns, flatten, scan

CHUNK_PLACEMARKS = 500
# Characters XML 1.0 cannot carry at all; citizen text may hold them, so they are dropped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def text(value: Any) -> str:
    """A value as XML character data."""
    if isinstance(value, bool):
        value = "true" if value else "false"
    elif isinstance(value, float):
        value = repr(value)
    elif isinstance(value, dict | list):
        value = orjson.dumps(value).decode()
    return escape(_NOT_XML.sub("", str(value)))


def _data(name: str, value: Any) -> str:
    return f"<Data name={quoteattr(_NOT_XML.sub('', name))}><value>{text(value)}</value></Data>"


def metadata_items(download: Download) -> dict[str, Any]:
    """The metadata as flat name/value pairs (filters and other members as JSON text)."""
    items = {k: v for k, v in download.metadata.items() if k != "filters"}
    items["filters"] = download.metadata.get("filters", {})
    items.update(download.extra)
    return {k: v for k, v in items.items() if v is not None}


KML_TYPES = {BOOLEAN: "bool", INTEGER: "int", REAL: "double"}
SCHEMA_ID = "properties"


def schema(columns: Columns) -> str:
    fields = "".join(
        f"<SimpleField name={quoteattr(_NOT_XML.sub('', name))} "
        f'type="{KML_TYPES.get(columns.type_of(name), "string")}"/>'
        for name in columns.names
    )
    return f'<Schema name="{SCHEMA_ID}" id="{SCHEMA_ID}">{fields}</Schema>\n'


def placemark(feature: Mapping[str, Any], fields: Mapping[str, str]) -> str:
    """The Placemark of `feature`; `fields` are the schema's names and KML types. A null is an
    empty SimpleData in a text field, and left out of a number or bool field, since GDAL reads
    an empty one there as 0 (Google Earth shows both as blank)."""
    properties = feature.get("properties") or {}
    flat = flatten(properties)
    data = "".join(
        f"<SimpleData name={quoteattr(_NOT_XML.sub('', name))}>"
        f"{'' if flat.get(name) is None else text(flat[name])}</SimpleData>"
        for name, kind in fields.items()
        if flat.get(name) is not None or kind == "string"
    )
    geometry = feature.get("geometry")
    ident = feature.get("id")
    # KML's own description is what Google Earth shows and what GDAL reads as `description`;
    # a `description` property goes there too, or GDAL's field of that name would hide it.
    about = properties.get("description")
    observed = properties.get("observed_at")
    when = f"<TimeStamp><when>{text(observed)}</when></TimeStamp>" if observed else ""
    return (
        f"<Placemark><name>{text(ident) if ident is not None else ''}</name>"
        f"{'<description>' + text(about) + '</description>' if about is not None else ''}"
        f'{when}<ExtendedData><SchemaData schemaUrl="#{SCHEMA_ID}">{data}</SchemaData>'
        "</ExtendedData>"
        f"{kml(geometry) if geometry else ''}</Placemark>\n"
    )


def chunks(download: Download) -> Iterator[bytes]:
    columns = scan(download.features, download.column_types)
    fields = {name: KML_TYPES.get(columns.type_of(name), "string") for name in columns.names}
    meta = metadata_items(download)
    description = f"{download.metadata.get('method', '')} Licence: {meta.get('license', '')}."
    sources = download.metadata.get("sources")
    if sources:
        description += f" Sources: {credit_line(sources)}."
    yield (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<kml xmlns="http://www.opengis.net/kml/2.2"><Document>\n'
        f"<name>{text(download.title)}</name>\n"
        f"<description>{text(description)}</description>\n"
        f"<ExtendedData>{''.join(_data(k, v) for k, v in meta.items())}</ExtendedData>\n"
        f"{schema(columns)}"
    ).encode()
    buffer: list[str] = []
    for feature in download.features:
        buffer.append(placemark(feature, fields))
        if len(buffer) >= CHUNK_PLACEMARKS:
            yield "".join(buffer).encode()
            buffer.clear()
    yield ("".join(buffer) + "</Document></kml>\n").encode()
