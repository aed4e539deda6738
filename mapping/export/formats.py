"""The one entry point that writes a download in any of the formats."""

from __future__ import annotations

from collections.abc import Iterator

from mapping.export import to_csv, to_csvw, to_geojson, to_gpkg, to_kml
from mapping.export.download import FORMATS, Download


def export_chunks(fmt: str, download: Download) -> Iterator[bytes]:
    """The download written in format `fmt`, as byte chunks to send one after another."""
    writers = {
        "geojson": to_geojson.chunks,
        "csv": to_csv.chunks,
        "gpkg": to_gpkg.chunks,
        "kml": to_kml.chunks,
        "csvw": to_csvw.chunks,
    }
    if fmt not in writers:
        raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    return writers[fmt](download)
