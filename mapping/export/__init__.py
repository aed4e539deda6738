"""Downloads: FeatureCollections written as GeoJSON, CSV, GeoPackage or KML, streamed.

Every writer takes the features as an iterable it may walk twice (a list, or a source that
pages through storage again), so that a table format can learn its columns in a first pass and
write in a second while memory stays flat however many features there are. Nothing here knows
of HTTP: the API wraps the byte chunks in a streaming response. May import the kernel,
storage and disclosure (what is downloaded is the public view).
"""

from mapping.export.download import FORMATS, Download, Format
from mapping.export.formats import export_chunks

__all__ = ["FORMATS", "Download", "Format", "export_chunks"]
