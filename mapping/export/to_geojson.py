"""GeoJSON downloads: the FeatureCollection, written feature by feature."""

from __future__ import annotations

from collections.abc import Iterator

import orjson

from mapping.export.download import Download

CHUNK_FEATURES = 500


def _dumps(value: object) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS)


def chunks(download: Download) -> Iterator[bytes]:
    """The collection as JSON in chunks of a few hundred features: `metadata` first, so a
    reader sees how the file was made before the features, and `numberReturned` last, once
    it is known."""
    head = {"type": "FeatureCollection", "metadata": download.metadata, **download.extra}
    yield _dumps(head)[:-1] + b',"features":['
    count = 0
    buffer: list[bytes] = []
    for feature in download.features:
        buffer.append(_dumps(feature))
        count += 1
        if len(buffer) >= CHUNK_FEATURES:
            yield (b"," if count > len(buffer) else b"") + b",".join(buffer)
            buffer.clear()
    if buffer:
        yield (b"," if count > len(buffer) else b"") + b",".join(buffer)
    tail = {"links": download.links, "numberReturned": count}
    yield b"]," + _dumps(tail)[1:]
