"""Helpers for building answers of many small objects."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many small lists and dicts.

    They hold no reference cycles, and each full collection walks the whole heap (SQLAlchemy,
    pandas, shapely...): building 60,000 hexagon Features took 4 s with it and 1 s without.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
