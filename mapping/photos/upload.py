"""The photos sent with one report, from upload to stored files and rows, all or nothing.

Submission decodes every photo before it writes any file, writes the files before the report's
transaction, and removes them again when that transaction does not store the report (bad input,
a replay, a failure), so that a report and its photos are kept together or not at all. A crash
between the files and the commit can leave files that no row names; they are never served.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mapping.errors import InvalidInput
from mapping.photos.imaging import STORED_MEDIA_TYPE, CleanPhoto, PhotoLimits, clean_photo
from mapping.photos.store import PhotoStore


def photo_key(report_id: uuid.UUID, n: int, *, thumb: bool = False) -> str:
    return f"{report_id}/{n}{'.thumb' if thumb else ''}.jpg"


@dataclass(slots=True)
class PhotoUpload:
    """Photo files as uploaded, in order (the first is photo 1), and where to keep them."""

    files: Sequence[bytes]
    limits: PhotoLimits
    store: PhotoStore
    _clean: list[CleanPhoto] = field(default_factory=list)
    _written: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if len(self.files) > self.limits.max_count:
            raise InvalidInput(
                f"{len(self.files)} photos were sent; at most {self.limits.max_count} are allowed.",
                [{"loc": ["photo"], "msg": f"more than {self.limits.max_count} photos"}],
            )

    def digests(self) -> list[str]:
        """SHA-256 of each file as sent: part of the report's content for idempotency."""
        return [hashlib.sha256(data).hexdigest() for data in self.files]

    def save(self, report_id: uuid.UUID) -> None:
        """Decode and clean every photo (raising on the first bad one, with nothing written),
        then write them all to the store."""
        self._clean = [
            clean_photo(data, limits=self.limits, loc=["photo", n])
            for n, data in enumerate(self.files, start=1)
        ]
        try:
            for n, photo in enumerate(self._clean, start=1):
                for key, data in (
                    (photo_key(report_id, n), photo.data),
                    (photo_key(report_id, n, thumb=True), photo.thumb),
                ):
                    self._written.append(key)
                    self.store.put(key, data)
        except BaseException:
            self.discard()
            raise

    def rows(self, report_id: uuid.UUID, now: datetime) -> list[dict[str, Any]]:
        """The report_photos rows of the saved photos."""
        return [
            {
                "report_id": report_id,
                "n": n,
                "key": photo_key(report_id, n),
                "thumb_key": photo_key(report_id, n, thumb=True),
                "media_type": STORED_MEDIA_TYPE,
                "width": photo.width,
                "height": photo.height,
                "bytes": len(photo.data),
                "sha256": hashlib.sha256(photo.data).hexdigest(),
                "created_at": now,
            }
            for n, photo in enumerate(self._clean, start=1)
        ]

    def discard(self) -> None:
        """Remove every file written so far (after a failure or a replay)."""
        while self._written:
            self.store.delete(self._written.pop())
