"""What a download is: its format, and the FeatureCollection to write. Every writer takes it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Format:
    name: str
    media_type: str
    extension: str


FORMATS: dict[str, Format] = {
    "geojson": Format("geojson", "application/geo+json", "geojson"),
    "csv": Format("csv", "text/csv; charset=utf-8", "csv"),
    "gpkg": Format("gpkg", "application/geopackage+sqlite3", "gpkg"),
    "kml": Format("kml", "application/vnd.google-earth.kml+xml", "kml"),
    # CSVW metadata of the CSV of the same query (named as CSVW looks for it beside a CSV).
    "csvw": Format("csvw", "application/csvm+json", "csv-metadata.json"),
}


@dataclass(frozen=True, slots=True)
class Download:
    """A FeatureCollection to write: its features (an iterable that may be walked twice), the
    name of its layer, its `metadata` member, its `links`, and any other members."""

    features: Iterable[Mapping[str, Any]]
    layer: str
    metadata: Mapping[str, Any]
    links: list[dict[str, Any]] = field(default_factory=list)
    extra: Mapping[str, Any] = field(default_factory=dict)
    # Column types the data's own schema gives, by flattened column name (mapping.export.table).
    column_types: Mapping[str, str] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return f"CivicMap {self.layer.replace('_', ' ')}"
