"""The sums of reports per unit (a hexagon or an area): `Tally`, `Unit`, and grouping the
reports themselves (`tally_units`), which the tallies stand in for where they can
(mapping.analysis.units).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mapping.storage.reports import ReportQuery, report_filters
from mapping.storage.tables import TALLY_SUMS, reports


def _with_status(status: str) -> sa.ColumnElement[Any]:
    """How many service reports give `status` (as its reporter gave it, in the attributes)."""
    given = reports.c.attributes["status"].as_string()
    return sa.func.sum(sa.case(((reports.c.kind == "service") & (given == status), 1), else_=0))


# Sums per group, in this order after the group keys; each as the tallies keep it
# (mapping.storage.tallies), the surveyed length in whole millimetres among them.
_SUMS = (
    ("reports", sa.func.count()),
    ("rated", sa.func.count(reports.c.satisfaction)),
    ("satisfied", sa.func.sum(sa.case((reports.c.satisfaction >= 3, 1), else_=0))),
    ("satisfaction_sum", sa.func.sum(reports.c.satisfaction)),
    ("items", sa.func.sum(reports.c.litter_items)),
    ("plastic", sa.func.sum(reports.c.litter_plastic)),
    (
        "surveyed_mm",
        sa.func.sum(sa.cast(sa.func.round(reports.c.survey_length_m * 1000), sa.BigInteger)),
    ),
    ("severity_sum", sa.func.sum(reports.c.severity)),
    ("people_affected", sa.func.sum(reports.c.people_affected)),
    ("status_operational", _with_status("operational")),
    ("status_partly", _with_status("partly")),
    ("status_closed", _with_status("closed")),
    ("record_keys", sa.func.sum(sa.func.coalesce(reports.c.record_key, 0))),
)
assert tuple(n for n, _ in _SUMS) == TALLY_SUMS


@dataclass(slots=True)
class Tally:
    """The sums of one group of reports."""

    reports: int = 0
    rated: int = 0
    satisfied: int = 0
    satisfaction_sum: float = 0
    items: int = 0
    plastic: int = 0
    surveyed_m: float = 0
    severity_sum: float = 0
    people_affected: int = 0
    status_operational: int = 0
    status_partly: int = 0
    status_closed: int = 0
    # The sum of the reports' record keys, for the cell key method.
    record_keys: int = 0

    @classmethod
    def of(cls, sums: Sequence[int]) -> Tally:
        """A tally from whole sums in the order of TALLY_SUMS (the surveyed length in
        millimetres)."""
        tally = cls(*sums)
        tally.surveyed_m /= 1000
        return tally

    def add(self, other: Tally) -> None:
        # Spelled out: a loop over the fields costs several times as much, once per unit,
        # kind and category of every answer.
        self.reports += other.reports
        self.rated += other.rated
        self.satisfied += other.satisfied
        self.satisfaction_sum += other.satisfaction_sum
        self.items += other.items
        self.plastic += other.plastic
        self.surveyed_m += other.surveyed_m
        self.severity_sum += other.severity_sum
        self.people_affected += other.people_affected
        self.status_operational += other.status_operational
        self.status_partly += other.status_partly
        self.status_closed += other.status_closed
        self.record_keys += other.record_keys


@dataclass(slots=True)
class Unit:
    """The sums of one hexagon or area: per kind, the report count per category, and the
    sources of its reports (None for reports sent here)."""

    key: Any
    kinds: dict[str, Tally] = field(default_factory=dict)
    by_category: dict[str, dict[str, int]] = field(default_factory=lambda: defaultdict(dict))
    # Visits of observers that touched the unit; None where effort was not tallied.
    effort: int | None = None
    sources: set[str | None] = field(default_factory=set)

    def kind_total(self, kind: str) -> Tally:
        return self.kinds.get(kind) or Tally()

    def add(self, kind: str, category: str, source: str | None, tally: Tally) -> None:
        """Add the sums of reports of `kind`, `category` and `source`."""
        self.add_kind(kind, tally)
        self.add_category(kind, category, tally.reports)
        self.sources.add(source)

    def add_kind(self, kind: str, tally: Tally) -> None:
        total = self.kinds.get(kind)
        if total is None:
            self.kinds[kind] = tally
        else:
            total.add(tally)

    def add_category(self, kind: str, category: str, reports: int) -> None:
        categories = self.by_category[kind]
        categories[category] = categories.get(category, 0) + reports

    def merge(self, other: Unit) -> None:
        for kind, tally in other.kinds.items():
            self.add_kind(kind, replace(tally))
        for kind, categories in other.by_category.items():
            for category, n in categories.items():
                self.add_category(kind, category, n)
        self.sources |= other.sources

    @property
    def reports(self) -> int:
        return sum(t.reports for t in self.kinds.values())


def tally_units(conn: Connection, unit: sa.ColumnElement[Any], q: ReportQuery) -> dict[Any, Unit]:
    """Group the reports that `q` selects by `unit`, kind, category and source."""
    key = unit.label("unit")
    c = reports.c
    query = (
        sa.select(
            key,
            c.kind,
            c.category,
            c.source,
            *(sa.cast(sa.func.coalesce(s, 0), sa.BigInteger).label(n) for n, s in _SUMS),
        )
        .where(*report_filters(conn, q))
        .group_by(key, c.kind, c.category, c.source)
    )
    return _collect(conn.execute(query))


def _collect(rows: Iterable[Any]) -> dict[Any, Unit]:
    """Units from rows of (unit, kind, category, source, *sums)."""
    found: dict[Any, Unit] = {}
    for unit, kind, category, source, *sums in rows:
        if unit is None:
            continue
        target = found.get(unit)
        if target is None:
            target = found[unit] = Unit(unit)
        target.add(kind, category, source or None, Tally.of(sums))
    return found
