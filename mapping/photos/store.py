"""Where photo bytes live: a small key-value interface, kept on a directory for now.

An object store (S3 and the like) can stand in later behind the same three calls; the database
keeps only the keys.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from pathlib import Path
from typing import Protocol

# Keys are made by the server (`<report uuid>/<n>.jpg`, `<report uuid>/<n>.thumb.jpg`); anything
# else is refused, so no key can climb out of the store's directory.
_KEY = re.compile(
    r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/[0-9]+(\.thumb)?\.jpg$"
)


class PhotoStore(Protocol):
    """Bytes by key. `put` is durable when it returns; `delete` of a missing key is no error."""

    def put(self, key: str, data: bytes) -> None: ...

    def get(self, key: str) -> bytes | None: ...

    def delete(self, key: str) -> None: ...


class DirectoryPhotoStore:
    """Photos as files under `root`, one folder per report."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        if not _KEY.match(key):
            raise ValueError(f"not a photo key: {key!r}")
        return self.root / key

    def put(self, key: str, data: bytes) -> None:
        """Write through a temporary file and rename, with fsyncs, so that a reader never sees
        half a photo and a 2xx means the photo is on disk."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        _fsync_dir(path.parent)

    def get(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            return None

    def delete(self, key: str) -> None:
        path = self._path(key)
        path.unlink(missing_ok=True)
        with contextlib.suppress(OSError):  # the report's folder goes once it is empty
            path.parent.rmdir()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
