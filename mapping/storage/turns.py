"""Turns at SQLite's write lock, within one process.

SQLite has one write lock, and it is not fair: a writer that finds it taken sleeps and tries
again now and then, and a long batch that commits and at once begins its next transaction takes
it back before the sleeper wakes. So a moderator's PATCH could wait seconds behind a survey
import although no transaction of the import holds the lock for more than a fraction of one.

Short writers (a request that changes a few rows) say they are waiting; a long writer, between
two of its transactions, lets them go first, for at most `MAX_WAIT_S`, so that it still moves
on under a steady stream of them. Only writers of this process take turns: the `civicmap serve`
of an embedded database is one process.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import Engine

MAX_WAIT_S = 1.0


class WriteTurns:
    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._short = 0

    @property
    def short_writers(self) -> int:
        """How many short writers are at work now."""
        return self._short

    @contextmanager
    def short_writer(self) -> Iterator[None]:
        """Around a short writer's work: long writers wait for it between their transactions."""
        with self._changed:
            self._short += 1
        try:
            yield
        finally:
            with self._changed:
                self._short -= 1
                self._changed.notify_all()

    def let_short_writers_go(self) -> None:
        """For a long writer between two transactions: wait until no short writer is at work,
        or `MAX_WAIT_S`."""
        with self._changed:
            self._changed.wait_for(lambda: self._short == 0, MAX_WAIT_S)


_TURNS: weakref.WeakKeyDictionary[Engine, WriteTurns] = weakref.WeakKeyDictionary()
_MADE = threading.Lock()


def turns(engine: Engine) -> WriteTurns:
    """The turns of `engine`'s writers in this process."""
    with _MADE:
        return _TURNS.setdefault(engine, WriteTurns())
