"""Reading the rows of a file to import: CSV, GeoJSON, GeoPackage, KML, and KMZ or zip archives.

Every reader yields `Record`s: the row's values by column (nested GeoJSON properties flattened
to dotted names, as downloads write them) and the point of its geometry when the format has
one. Files are read only below a size cap; an archive's member is unpacked only below the same
cap, counted as it is inflated (a zip can lie about sizes); KML is parsed with defusedxml and
any DTD refused, so no entity is ever expanded and nothing is fetched.
"""

from __future__ import annotations

import contextlib
import csv
import os
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path
from typing import IO, Any

import orjson
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from mapping.errors import InvalidInput
from mapping.export.table import flatten

READERS = ("csv", "geojson", "gpkg", "kml")
SUFFIXES = {
    ".csv": "csv",
    ".txt": "csv",
    ".geojson": "geojson",
    ".json": "geojson",
    ".gpkg": "gpkg",
    ".kml": "kml",
    ".kmz": "kmz",
    ".zip": "zip",
}
MAX_ARCHIVE_MEMBERS = 1000
# No real table compresses better than this; a zip bomb does.
MAX_COMPRESSION_RATIO = 200


@dataclass(slots=True)
class Record:
    """One row of a file: its values by column, and its point (lon, lat) when the file gives
    geometries; `problem` says why a geometry could not be used, `unreadable` why the row
    itself could not be read (the rows around it still are)."""

    values: dict[str, Any]
    point: tuple[float, float] | None = None
    problem: str | None = None
    has_geometry: bool = field(default=False)
    unreadable: str | None = None


def refuse(message: str, loc: str = "file") -> InvalidInput:
    return InvalidInput(message, [{"loc": [loc], "msg": message}])


def detect_format(name: str) -> str:
    """The format of a file by the suffix of its name."""
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES:
        known = ", ".join(sorted(SUFFIXES))
        raise refuse(f"Cannot tell the format of {name!r}: name it with one of {known}.")
    return SUFFIXES[suffix]


def check_size(path: Path, max_bytes: int) -> None:
    size = path.stat().st_size
    if size > max_bytes:
        raise refuse(f"The file is {size} bytes, more than the {max_bytes} bytes allowed.")


@contextlib.contextmanager
def opened(path: Path, fmt: str, *, max_bytes: int) -> Iterator[tuple[Path, str]]:
    """The file to read and its format; an archive is unpacked (one member) into a temporary
    file first, removed afterwards."""
    check_size(path, max_bytes)
    if fmt not in ("kmz", "zip"):
        yield path, fmt
        return
    handle, scratch = tempfile.mkstemp(prefix="civicmap-import-")
    os.close(handle)
    try:
        inner = _unpack(path, Path(scratch), kml_only=fmt == "kmz", max_bytes=max_bytes)
        yield Path(scratch), inner
    finally:
        with contextlib.suppress(OSError):
            os.unlink(scratch)


def _unpack(archive: Path, target: Path, *, kml_only: bool, max_bytes: int) -> str:
    """Copy the archive's first readable member to `target`; its format."""
    try:
        with zipfile.ZipFile(archive) as zf:
            members = zf.infolist()
            if len(members) > MAX_ARCHIVE_MEMBERS:
                raise refuse(
                    f"The archive holds {len(members)} files; at most "
                    f"{MAX_ARCHIVE_MEMBERS} are read."
                )
            for info in members:
                fmt = SUFFIXES.get(Path(info.filename).suffix.lower())
                if info.is_dir() or fmt not in READERS or (kml_only and fmt != "kml"):
                    continue
                _check_member(info, max_bytes)
                with zf.open(info) as src, target.open("wb") as dst:
                    _copy_capped(src, dst, max_bytes, info.filename)
                return fmt
    except zipfile.BadZipFile:
        raise refuse("The archive is not a readable zip file.") from None
    wanted = "a .kml file" if kml_only else "a .csv, .geojson, .gpkg or .kml file"
    raise refuse(f"The archive holds no {wanted}.")


def _check_member(info: zipfile.ZipInfo, max_bytes: int) -> None:
    if info.file_size > max_bytes:
        raise refuse(
            f"{info.filename} unpacks to {info.file_size} bytes, more than the {max_bytes} allowed."
        )
    if info.compress_size and info.file_size / info.compress_size > MAX_COMPRESSION_RATIO:
        raise refuse(f"{info.filename} is compressed suspiciously well; it is not read.")


def _copy_capped(src: IO[bytes], dst: IO[bytes], max_bytes: int, name: str) -> None:
    copied = 0
    while block := src.read(1 << 16):
        copied += len(block)
        if copied > max_bytes:
            raise refuse(f"{name} unpacks to more than the {max_bytes} bytes allowed.")
        dst.write(block)


def read_records(path: Path, fmt: str, *, layer: str | None = None) -> Iterator[Record]:
    """The records of a file in `fmt` (one of READERS)."""
    if fmt == "csv":
        yield from read_csv(path)
    elif fmt == "geojson":
        yield from read_geojson(path)
    elif fmt == "gpkg":
        yield from read_gpkg(path, layer=layer)
    elif fmt == "kml":
        yield from read_kml(path)
    else:
        raise refuse(f"{fmt!r} files cannot be imported; use CSV, GeoJSON, GeoPackage or KML.")


def read_csv(path: Path) -> Iterator[Record]:
    """Rows of a CSV file (UTF-8, with or without BOM).

    A row the csv module cannot read (a field past its 131,072-character limit, far longer than
    any report takes) is refused on its own line; the reader goes on with the next row.
    """
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            rows = csv.DictReader(f)
            while True:
                try:
                    row = next(rows)
                except StopIteration:
                    return
                except csv.Error as exc:
                    yield Record({}, unreadable=f"line {rows.line_num}: {exc}")
                    continue
                yield Record({k: v for k, v in row.items() if k is not None})
    except UnicodeDecodeError:
        raise refuse("The CSV file is not UTF-8 text; save it as CSV UTF-8.") from None


def _point_of(geometry: Any) -> tuple[tuple[float, float] | None, str | None]:
    if not geometry:
        return None, None
    kind = geometry.get("type") if isinstance(geometry, dict) else None
    coords = geometry.get("coordinates") if kind == "Point" else None
    if kind == "MultiPoint" and len(geometry.get("coordinates") or []) == 1:
        coords = geometry["coordinates"][0]
    if coords is None:
        return None, f"the geometry is a {kind}; reports are points"
    try:
        return (float(coords[0]), float(coords[1])), None
    except (TypeError, ValueError, IndexError):
        return None, "the point's coordinates are not two numbers"


def read_geojson(path: Path) -> Iterator[Record]:
    """Features of a GeoJSON FeatureCollection (or a single Feature)."""
    try:
        document = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as exc:
        raise refuse(f"The GeoJSON is not valid JSON: {exc}.") from None
    if isinstance(document, dict) and document.get("type") == "Feature":
        document = {"type": "FeatureCollection", "features": [document]}
    if not isinstance(document, dict) or not isinstance(document.get("features"), list):
        raise refuse("The GeoJSON is not a FeatureCollection.")
    for feature in document["features"]:
        if not isinstance(feature, dict):
            yield Record({}, problem="the feature is not a JSON object")
            continue
        properties = feature.get("properties")
        values = flatten(properties) if isinstance(properties, dict) else {}
        if feature.get("id") is not None:
            values.setdefault("id", feature["id"])
        point, problem = _point_of(feature.get("geometry"))
        yield Record(values, point, problem, has_geometry=True)


def read_gpkg(path: Path, *, layer: str | None = None) -> Iterator[Record]:
    """Features of a GeoPackage layer (the first, unless named), in WGS84."""
    from mapping.storage.dialect import bind_bundled_libraries

    # GDAL must bind its own libraries before SpatiaLite's are loaded in this process.
    bind_bundled_libraries()
    import pyogrio
    import shapely

    try:
        layers = [name for name, _ in pyogrio.list_layers(path)]
        if layer is not None and layer not in layers:
            raise refuse(f"The GeoPackage has no layer {layer!r}; it has {', '.join(layers)}.")
        frame = pyogrio.read_dataframe(path, layer=layer or layers[0])
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError):
        raise refuse("The file is not a readable GeoPackage.") from None
    if frame.crs is not None and not frame.crs.equals("EPSG:4326"):
        frame = frame.to_crs("EPSG:4326")
    geometry = frame.geometry.name if hasattr(frame, "geometry") else None
    columns = [c for c in frame.columns if c != geometry]
    for row in frame.itertuples(index=False, name=None):
        data = dict(zip(frame.columns, row, strict=True))
        values = _spread_objects({c: _plain(data[c]) for c in columns})
        shape = data.get(geometry) if geometry else None
        mapping_ = shapely.geometry.mapping(shape) if shape is not None else None
        point, problem = _point_of(mapping_)
        yield Record(values, point, problem, has_geometry=geometry is not None)


def _spread_objects(values: dict[str, Any]) -> dict[str, Any]:
    """Columns holding a JSON object as text (GDAL writes a nested GeoJSON member so, as in an
    OAPIF copy of our `reports`) spread into dotted columns, as the GeoJSON reader does; a
    dotted column of the same name already there wins."""
    out = dict(values)
    for name, value in values.items():
        if not (isinstance(value, str) and value.startswith("{")):
            continue
        try:
            parsed = orjson.loads(value)
        except orjson.JSONDecodeError:
            continue
        if isinstance(parsed, dict):
            for key, item in flatten({name: parsed}).items():
                out.setdefault(key, item)
    return out


def _plain(value: Any) -> Any:
    """A pandas/numpy value as a plain Python one (missing values as None)."""
    try:
        import pandas as pd

        if value is None or (not isinstance(value, list | dict) and pd.isna(value)):
            return None
    except (TypeError, ValueError):
        pass
    if hasattr(value, "to_pydatetime"):  # a DateTime field, such as our downloads' times
        moment = value.to_pydatetime()
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC)
        return moment.isoformat().replace("+00:00", "Z")
    return value.item() if hasattr(value, "item") else value


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def read_kml(path: Path) -> Iterator[Record]:
    """Placemarks of a KML file: `name`, `description`, every ExtendedData value, the point.

    Parsed by defusedxml with DTDs forbidden: an entity-expansion bomb ("billion laughs") or an
    external entity is refused before anything is expanded or fetched.
    """
    try:
        for _, element in iterparse(
            str(path), events=("end",), forbid_dtd=True, forbid_entities=True, forbid_external=True
        ):
            if _local(element.tag) != "Placemark":
                continue
            yield _placemark(element)
            element.clear()
    except DefusedXmlException:
        raise refuse(
            "The KML declares a DTD or entities, which are refused (they can expand without "
            "end or fetch other files); remove the <!DOCTYPE> declaration."
        ) from None
    except SyntaxError as exc:  # ElementTree's ParseError
        raise refuse(f"The KML is not well-formed XML: {exc}.") from None
    except (ValueError, LookupError):  # expat cannot read the declared encoding (UTF-7 etc.)
        raise refuse(
            "The KML declares an encoding that cannot be read; save it as UTF-8, as KML asks."
        ) from None


def _placemark(element: Any) -> Record:
    values: dict[str, Any] = {}
    point: tuple[float, float] | None = None
    problem: str | None = None
    for child in element.iter():
        tag = _local(child.tag)
        if tag in ("name", "description") and child is not element:
            values.setdefault(tag, (child.text or "").strip())
        elif tag in ("Data", "SimpleData") and child.get("name"):
            text = child.text if tag == "SimpleData" else _value_of(child)
            values[child.get("name")] = (text or "").strip()
        elif tag == "Point" and point is None:
            point, problem = _kml_point(child)
        elif tag in ("LineString", "Polygon", "Track") and point is None:
            problem = f"the geometry is a {tag}; reports are points"
    if point is not None:
        problem = None
    return Record(values, point, problem, has_geometry=True)


def _value_of(data: Any) -> str | None:
    for child in data:
        if _local(child.tag) == "value":
            return str(child.text or "")
    return None


def _kml_point(point: Any) -> tuple[tuple[float, float] | None, str | None]:
    for child in point:
        if _local(child.tag) == "coordinates":
            parts = (child.text or "").strip().split(",")
            try:
                return (float(parts[0]), float(parts[1])), None
            except (ValueError, IndexError):
                return None, "the point's coordinates are not lon,lat numbers"
    return None, "the point has no coordinates"
