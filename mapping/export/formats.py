"""The download formats and the one entry point that writes any of them."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
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

    @property
    def title(self) -> str:
        return f"CivicMap {self.layer.replace('_', ' ')}"


def export_chunks(fmt: str, download: Download) -> Iterator[bytes]:
    """The download written in format `fmt`, as byte chunks to send one after another."""
    from mapping.export import to_csv, to_geojson, to_gpkg, to_kml

    writers = {
        "geojson": to_geojson.chunks,
        "csv": to_csv.chunks,
        "gpkg": to_gpkg.chunks,
        "kml": to_kml.chunks,
    }
    if fmt not in writers:
        raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    return writers[fmt](download)
