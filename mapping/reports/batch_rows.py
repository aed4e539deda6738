"""A batch's rows, made from its features in a thread of their own while the rows made before
them are written.

Checking a feature and building its row is Python's work; writing rows is mostly the
database's, time in which the writing thread waits without holding
Python's lock. Making the next rows meanwhile overlaps the two, so a batch takes about the
longer of them rather than their sum. The writer takes rows a step at a time (`take`); inside a
transaction it takes only rows that are ready, so that no transaction stays open waiting for
Python.

Without `parallel` the rows are all made on entering, in the caller's thread. SQLite's writer
wants that: it releases Python's lock at each row it writes and must wait to take it back
while another thread computes, holding the database's write lock all the while.

Each feature's outcome starts as rejected, with its errors if it breaks a rule; the writer
settles the others. A client id seen again in the batch is set aside as a repeat, not written.
"""

from __future__ import annotations

import queue
import threading
import uuid
from collections.abc import Sequence
from datetime import datetime
from types import TracebackType
from typing import Any

from mapping.areas.index import AreaIndex
from mapping.errors import InvalidInput
from mapping.reports import beaches
from mapping.reports.rows import Limits, client_id_for, place_in_areas, to_row, validate_feature

# Features made into rows at once: enough that placing them in areas is one vectorised call,
# few enough that the first rows are ready to write soon.
SLICE = 250

_DONE = object()


class BatchRows:
    """The rows of `features`, made in a thread from entering the `with` block (on entering
    it, without `parallel`); leaving it stops and joins that thread. After the block,
    `results` (one per feature, rejected ones with their errors), `rows` (client id ->
    (index, row), first occurrences) and `repeats` ((index, client id, content hash) of the
    later ones) describe the whole batch."""

    def __init__(
        self,
        features: Sequence[Any],
        *,
        limits: Limits,
        areas: AreaIndex | None,
        submitter: str | None,
        now: datetime,
        source: str | None,
        unknown_beaches: set[str],
        parallel: bool = True,
    ) -> None:
        self._features = features
        self._limits = limits
        self._areas = areas
        self._submitter = submitter
        self._now = now
        self._source = source
        self._unknown = unknown_beaches
        self._parallel = parallel
        self.results: list[dict[str, Any]] = [
            {"index": index, "id": None, "outcome": "rejected", "errors": []}
            for index in range(len(features))
        ]
        self.rows: dict[uuid.UUID, tuple[int, dict[str, Any]]] = {}
        self.repeats: list[tuple[int, uuid.UUID, str]] = []
        self._ready: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._waiting: list[dict[str, Any]] = []
        self._finished = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._make, name="batch-rows", daemon=True)

    def __enter__(self) -> BatchRows:
        if self._parallel:
            self._thread.start()
        else:
            self._make()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        if self._parallel:
            self._thread.join()

    def take(self, size: int, *, wait: bool) -> list[dict[str, Any]]:
        """The next `size` rows (fewer at the end of the batch; none once all are taken).
        Without `wait`, only rows ready now: a whole step, or the batch's last rows, or none."""
        while len(self._waiting) < size and not self._finished:
            try:
                item = self._ready.get(block=wait)
            except queue.Empty:
                return []
            if item is _DONE:
                self._finished = True
            elif isinstance(item, BaseException):
                self._finished = True
                raise item
            else:
                self._waiting += item
        step, self._waiting = self._waiting[:size], self._waiting[size:]
        return step

    def _make(self) -> None:
        try:
            for start in range(0, len(self._features), SLICE):
                if self._stop.is_set():
                    return
                self._ready.put(self._slice(start, min(start + SLICE, len(self._features))))
        except BaseException as exc:  # a defect: raised in the writer, which stops the batch
            self._ready.put(exc)
        finally:
            self._ready.put(_DONE)

    def _slice(self, start: int, end: int) -> list[dict[str, Any]]:
        made: list[dict[str, Any]] = []
        points: list[tuple[float, float]] = []
        limits = self._limits
        for index in range(start, end):
            try:
                report = validate_feature(self._features[index], limits=limits, now=self._now)
                beach = beaches.named(report.attributes)
                if beach in self._unknown:
                    error = beaches.unknown_beach(beach or "")
                    raise InvalidInput("The report is not valid.", [error])
            except InvalidInput as exc:
                self.results[index]["errors"] = [
                    {"loc": ["features", index, *e["loc"]], "msg": e["msg"]} for e in exc.errors
                ]
                continue
            row = to_row(
                report,
                client_id=client_id_for(report, None),
                received_at=self._now,
                limits=limits,
                submitter=self._submitter,
            )
            row["source"] = self._source
            if row["client_id"] in self.rows:
                self.repeats.append((index, row["client_id"], row["content_hash"]))
                continue
            self.rows[row["client_id"]] = (index, row)
            made.append(row)
            points.append((report.feature.lon, report.feature.lat))
        place_in_areas(made, points, self._areas, public_resolution=limits.public_resolution)
        return made
