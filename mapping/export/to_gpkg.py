"""GeoPackage downloads, written with SQLite itself into a temporary file, then streamed.

A GeoPackage is an SQLite database, so it cannot be sent before it is complete: the features
are inserted in chunks (two passes: the first learns the columns and their types), the file is
sent in blocks and removed. Memory stays flat; disk holds the file while it is sent.

The collection's metadata goes into the `gpkg_metadata` table, in GDAL's metadata format, so
`ogrinfo` and QGIS show it with the layer, and the method into the layer's description.
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
import tempfile
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import orjson

from mapping.export.download import Download
from mapping.export.geometry import GPKG_SRS_ID, gpkg_blob
from mapping.export.table import BOOLEAN, DATE, DATETIME, INTEGER, REAL, Columns, flatten, scan

CHUNK_ROWS = 1000
BLOCK_BYTES = 256 * 1024
# A DATETIME column holds RFC 3339 text in UTC, which GDAL and QGIS read as date-times.
SQL_TYPES = {
    BOOLEAN: "BOOLEAN",
    INTEGER: "INTEGER",
    REAL: "REAL",
    DATETIME: "DATETIME",
    DATE: "DATE",
}
GEOMETRY_NAMES = {
    "Point": "POINT",
    "LineString": "LINESTRING",
    "Polygon": "POLYGON",
    "MultiPoint": "MULTIPOINT",
    "MultiLineString": "MULTILINESTRING",
    "MultiPolygon": "MULTIPOLYGON",
}
WGS84_WKT = (
    'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,'
    'AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,'
    'AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],'
    'AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4326"]]'
)
# The tables every GeoPackage has (OGC 12-128r18, clauses 1.1.2 and 1.1.3, and the metadata
# extension, F.8).
SCHEMA = """
CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY,
  organization TEXT NOT NULL, organization_coordsys_id INTEGER NOT NULL,
  definition TEXT NOT NULL, description TEXT);
CREATE TABLE gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL,
  identifier TEXT UNIQUE, description TEXT DEFAULT '',
  last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,
  CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id));
CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL,
  geometry_type_name TEXT NOT NULL, srs_id INTEGER NOT NULL, z TINYINT NOT NULL,
  m TINYINT NOT NULL, CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name));
CREATE TABLE gpkg_extensions (table_name TEXT, column_name TEXT, extension_name TEXT NOT NULL,
  definition TEXT NOT NULL, scope TEXT NOT NULL,
  CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name));
CREATE TABLE gpkg_metadata (id INTEGER CONSTRAINT m_pk PRIMARY KEY ASC NOT NULL,
  md_scope TEXT NOT NULL DEFAULT 'dataset', md_standard_uri TEXT NOT NULL,
  mime_type TEXT NOT NULL DEFAULT 'text/xml', metadata TEXT NOT NULL DEFAULT '');
CREATE TABLE gpkg_metadata_reference (reference_scope TEXT NOT NULL, table_name TEXT,
  column_name TEXT, row_id_value INTEGER,
  timestamp DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  md_file_id INTEGER NOT NULL, md_parent_id INTEGER);
"""
SRS_ROWS = [
    ("WGS 84 geodetic", GPKG_SRS_ID, "EPSG", 4326, WGS84_WKT, "longitude/latitude, WGS 84"),
    ("Undefined cartesian SRS", -1, "NONE", -1, "undefined", "undefined cartesian"),
    ("Undefined geographic SRS", 0, "NONE", 0, "undefined", "undefined geographic"),
]
METADATA_EXTENSION = "http://www.geopackage.org/spec120/#extension_metadata"


def table_name(layer: str) -> str:
    """A safe SQLite table name for `layer`."""
    name = re.sub(r"[^a-z0-9_]", "_", layer.lower()).strip("_") or "features"
    return name if not name[0].isdigit() else f"t_{name}"


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def geometry_type(columns: Columns) -> str:
    if len(columns.geometry_types) == 1:
        return GEOMETRY_NAMES.get(next(iter(columns.geometry_types)), "GEOMETRY")
    return "GEOMETRY"


def gdal_metadata(items: Mapping[str, Any]) -> str:
    """Metadata items in GDAL's XML form, which GDAL reads back from `gpkg_metadata`."""
    entries = "".join(
        f"<MDI key={quoteattr(key)}>{escape(value)}</MDI>" for key, value in items.items()
    )
    return f"<GDALMetadata><Metadata>{entries}</Metadata></GDALMetadata>"


def metadata_items(download: Download, columns: Columns) -> dict[str, str]:
    """Each member of the metadata as text; nested ones as JSON. `list_columns` names the
    columns that hold `;`-joined lists, so a reader can split them again."""
    items: dict[str, Any] = {**download.metadata, **download.extra}
    items["list_columns"] = sorted(columns.lists)
    next_links = [link["href"] for link in download.links if link.get("rel") == "next"]
    if next_links:
        items["next"] = next_links[0]
    return {
        key: value if isinstance(value, str) else orjson.dumps(value).decode()
        for key, value in items.items()
        if value is not None
    }


def _create(db: sqlite3.Connection, table: str, download: Download, columns: Columns) -> None:
    db.executescript(SCHEMA)
    db.execute("PRAGMA application_id = 1196444487")  # 'GPKG'
    db.execute("PRAGMA user_version = 10200")
    db.executemany("INSERT INTO gpkg_spatial_ref_sys VALUES (?, ?, ?, ?, ?, ?)", SRS_ROWS)
    fields = ", ".join(
        f"{_quote(name)} {SQL_TYPES.get(columns.type_of(name), 'TEXT')}" for name in columns.names
    )
    geometry = geometry_type(columns)
    db.execute(
        f"CREATE TABLE {_quote(table)} (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, "
        f"geom {geometry}, id TEXT{', ' + fields if fields else ''})"
    )
    box: list[float | None] = list(columns.bounds) if columns.bounds else [None] * 4
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    db.execute(
        "INSERT INTO gpkg_contents VALUES (?, 'features', ?, ?, ?, ?, ?, ?, ?, ?)",
        (table, download.title, download.metadata.get("method", ""), now, *box, GPKG_SRS_ID),
    )
    db.execute(
        "INSERT INTO gpkg_geometry_columns VALUES (?, 'geom', ?, ?, 0, 0)",
        (table, geometry, GPKG_SRS_ID),
    )
    db.execute(
        "INSERT INTO gpkg_extensions VALUES ('gpkg_metadata', NULL, 'gpkg_metadata', ?, "
        "'read-write'), ('gpkg_metadata_reference', NULL, 'gpkg_metadata', ?, 'read-write')",
        (METADATA_EXTENSION, METADATA_EXTENSION),
    )
    xml = gdal_metadata(metadata_items(download, columns))
    db.execute(
        "INSERT INTO gpkg_metadata (id, md_scope, md_standard_uri, mime_type, metadata) "
        "VALUES (1, 'dataset', 'http://gdal.org', 'text/xml', ?)",
        (xml,),
    )
    db.execute(
        "INSERT INTO gpkg_metadata_reference (reference_scope, table_name, md_file_id, "
        "timestamp) VALUES ('table', ?, 1, ?)",
        (table, now),
    )


def _value(value: Any) -> Any:
    return value if value is None or isinstance(value, str | int | float) else str(value)


def gpkg_time(value: str | None) -> str | None:
    """An RFC 3339 UTC time in the form GeoPackage asks of DATETIME (`...T09:30:00.000Z`), to
    the nearest millisecond, which is as fine as GDAL and QGIS read a date-time."""
    if value is None:
        return None
    moment = datetime.fromisoformat(value.replace("Z", "+00:00")) + timedelta(microseconds=500)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def write(path: str, download: Download) -> int:
    """Write the download as a GeoPackage at `path`; the number of features written."""
    columns = scan(download.features, download.column_types)
    table = table_name(download.layer)
    names = columns.names
    times = {n for n in names if columns.type_of(n) == DATETIME}
    placeholders = ", ".join("?" * (len(names) + 2))
    insert = (
        f"INSERT INTO {_quote(table)} (geom, id{''.join(', ' + _quote(n) for n in names)}) "
        f"VALUES ({placeholders})"
    )
    db = sqlite3.connect(path)
    try:
        # A scratch file: no journal and no fsync, since a crash only loses the download.
        db.execute("PRAGMA journal_mode = OFF")
        db.execute("PRAGMA synchronous = OFF")
        _create(db, table, download, columns)
        written = 0
        rows: list[tuple[Any, ...]] = []
        for feature in download.features:
            flat = flatten(feature.get("properties") or {})
            geometry = feature.get("geometry")
            ident = feature.get("id")
            rows.append(
                (
                    gpkg_blob(geometry) if geometry else None,
                    None if ident is None else str(ident),
                    *(gpkg_time(flat.get(n)) if n in times else _value(flat.get(n)) for n in names),
                )
            )
            if len(rows) >= CHUNK_ROWS:
                db.executemany(insert, rows)
                written += len(rows)
                rows.clear()
        db.executemany(insert, rows)
        written += len(rows)
        db.commit()
    finally:
        db.close()
    return written


def chunks(download: Download) -> Iterator[bytes]:
    """The GeoPackage in blocks; the temporary file is removed once sent (or abandoned)."""
    handle, path = tempfile.mkstemp(prefix="civicmap-", suffix=".gpkg")
    os.close(handle)
    try:
        write(path, download)
        with open(path, "rb") as f:
            while block := f.read(BLOCK_BYTES):
                yield block
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)
