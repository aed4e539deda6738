"""Every report a query selects, as Features, read from storage one page at a time."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy.engine import Engine

from mapping.disclosure.publish import View, report_feature
from mapping.storage import reports as store
from mapping.storage.reports import ReportQuery

PAGE_SIZE = 1000


@dataclass(frozen=True, slots=True)
class ReportPages:
    """The reports `query` selects after `query.after`, up to and including the one stored
    with sequence `through`, seen through `view` (so privacy holds as in every output).

    Iterable any number of times: each walk pages through storage again by key, each page on
    its own short connection, so a long download holds no transaction open and memory holds
    one page at most.
    """

    engine: Engine
    query: ReportQuery
    view: View
    through: int
    page_size: int = PAGE_SIZE

    def __iter__(self) -> Iterator[dict[str, Any]]:
        q = replace(self.query, limit=self.page_size)
        while True:
            with self.engine.connect() as conn:
                rows, resume = store.list_reports(conn, q)
            for row in rows:
                if row["seq"] > self.through:
                    return
                yield report_feature(row, self.view)
            if resume is None or resume >= self.through:
                return
            q = replace(q, after=resume)
