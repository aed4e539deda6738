"""SDG 14.1.1 (b) beach litter, by the guideline: the median per beach over monitoring surveys.

The guideline figure (UNEP/IOC beach-litter guideline; the EU threshold value of the MSFD,
20 items per 100 m of coastline, is applied to it) is, per beach and period:
- the surveys: litter reports of category `monitoring` that name a beach (`beach`); cleanup
  records and sightings are not surveys of the protocol and are left out, as are reports a
  moderator marked `duplicate`, and, for a caller who may not see exact places, sensitive
  reports (naming the beach would place them);
- each survey's density: its items per 100 m surveyed (items * 100 / survey_length_m);
- the beach's figure: the median of those densities, with the number of surveys, the most
  found items, and whether the median is above the threshold (at or below meets it).

A survey that the import split into parts (mapping.imports.litter) counts once: parts of one
survey share their beach, time, category and the description the split wrote ("Part i of n of
a L m survey"), and are added back together (items and metres) before the median.

Only `marine` beaches count toward 14.1.1; freshwater beaches (and those whose water is not
known) get their own figures, marked `in_14_1_1: false`, and are left out of the area figures.

Per area, the figures of its marine beaches: how many have surveys, the median of their
medians (each beach counts once), and how many are above the threshold. The older figure, the
ratio of sums (all litter reports pooled: items per 100 m and the plastic share), is kept
beside it as `items_per_100m`, over marine beaches and reports that name no beach.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mapping.disclosure.publish import rfc3339
from mapping.imports.litter import survey_of_part
from mapping.storage.reports import EXACT, ReportQuery, report_filters
from mapping.storage.tables import beaches, reports
from mapping.taxonomy import LITTER_ITEMS

THRESHOLD_PER_100M = 20.0
TOP_ITEMS = 10
SURVEY_CATEGORY = "monitoring"
METHOD = (
    "SDG 14.1.1 (b): per beach, the median of items per 100 m over monitoring surveys (a "
    "survey split at import counts once; cleanups and sightings left out), compared with the "
    f"EU threshold of {THRESHOLD_PER_100M:g} items per 100 m; per area, the median of its "
    "marine beaches' medians; freshwater beaches left out. Beside it, items per 100 m as a "
    "ratio of sums over all litter reports and the plastic share, exact. "
)
Sums = tuple[int, float, int, int]
_LABELS = {item.code: (item.label, item.material) for item in LITTER_ITEMS}


@dataclass(slots=True)
class Survey:
    """One monitoring survey (its parts added together, when the import split it)."""

    beach: str
    area: str | None
    observed_at: datetime
    length_m: float = 0.0
    items: Counter[str] = field(default_factory=Counter)

    @property
    def per_100m(self) -> float:
        return 100 * sum(self.items.values()) / self.length_m if self.length_m else 0.0


Guideline = tuple[dict[str, list["Survey"]], int]


def _in_14_1_1() -> sa.ColumnElement[bool]:
    """A report that counts toward 14.1.1: it names no beach, or a marine one."""
    marine = sa.select(beaches.c.code).where(beaches.c.water == "marine")
    return sa.or_(reports.c.beach.is_(None), reports.c.beach.in_(marine))


def area_sums(conn: Connection, q: ReportQuery, level: int) -> dict[str, Sums]:
    """area -> (litter reports, metres surveyed, items, plastic items): the ratio of sums,
    over all litter reports but those at beaches that are not marine."""
    area = q.placement.area(level)
    query = (
        sa.select(
            area,
            sa.func.count(),
            sa.func.sum(reports.c.survey_length_m),
            sa.func.sum(reports.c.litter_items),
            sa.func.sum(reports.c.litter_plastic),
        )
        .where(*report_filters(conn, replace(q, kind="litter")))
        .where(area.is_not(None), _in_14_1_1())
        .group_by(area)
    )
    return {
        row[0]: (row[1], row[2] or 0.0, row[3] or 0, row[4] or 0) for row in conn.execute(query)
    }


def survey_query(q: ReportQuery) -> ReportQuery:
    """The reports of `q` that beach figures are made of: monitoring surveys, duplicates left
    out, sensitive ones only for those who see exact places."""
    return replace(
        q,
        kind="litter",
        category=SURVEY_CATEGORY,
        statuses=tuple(s for s in q.statuses if s != "duplicate"),
        include_sensitive=q.include_sensitive and q.placement is EXACT,
    )


def surveys(conn: Connection, q: ReportQuery, *, level: int | None = None) -> list[Survey]:
    """The monitoring surveys `q` selects that name a beach, split parts recombined; each with
    its area of `level` (that of its first part), when given."""
    if q.category not in (None, SURVEY_CATEGORY):
        return []
    chosen = survey_query(q)
    c = reports.c
    area = q.placement.area(level) if level is not None else sa.null()
    query = (
        sa.select(
            c.seq,
            c.beach,
            area.label("area"),
            q.placement.observed_column.label("observed_at"),
            c.description,
            c.survey_length_m,
            c.attributes,
        )
        .where(*report_filters(conn, chosen))
        .where(c.beach.is_not(None))
        .order_by(c.seq)
    )
    found: dict[tuple[Any, ...], Survey] = {}
    for row in conn.execute(query):
        part = survey_of_part(row.description)
        key = (row.beach, row.observed_at, part) if part else (row.seq,)
        survey = found.get(key)
        if survey is None:
            survey = found[key] = Survey(row.beach, row.area, row.observed_at)
        survey.length_m += row.survey_length_m or 0.0
        survey.items.update({k: v for k, v in (row.attributes or {}).get("items", {}).items() if v})
    return list(found.values())


def beach_figures(found: Iterable[Survey]) -> dict[str, Any]:
    """The guideline figures of one beach's surveys (exact: each survey is public)."""
    listed = list(found)
    densities = [s.per_100m for s in listed]
    median = round(statistics.median(densities), 2) if densities else None
    items: Counter[str] = Counter()
    metres = 0.0
    for s in listed:
        items.update(s.items)
        metres += s.length_m
    total = sum(items.values())
    return {
        "surveys": len(listed),
        "median_items_per_100m": median,
        "threshold_items_per_100m": THRESHOLD_PER_100M,
        "above_threshold": None if median is None else median > THRESHOLD_PER_100M,
        "top_items": [_item(code, n) for code, n in items.most_common(TOP_ITEMS)],
        "pooled_items_per_100m": round(100 * total / metres, 2) if metres else None,
        "first_survey": rfc3339(min(s.observed_at for s in listed)) if listed else None,
        "last_survey": rfc3339(max(s.observed_at for s in listed)) if listed else None,
    }


def _item(code: str, count: int) -> dict[str, Any]:
    label, material = _LABELS.get(code, (code, None))
    return {"code": code, "label": label, "material": material, "count": count}


def by_beach(found: Iterable[Survey]) -> dict[str, list[Survey]]:
    out: dict[str, list[Survey]] = defaultdict(list)
    for s in found:
        out[s.beach].append(s)
    return out


def beach_doc(beach: Mapping[Any, Any], found: Iterable[Survey]) -> dict[str, Any]:
    """A beach as a GeoJSON Feature with its 14.1.1 figures."""
    created = beach["created_at"]
    return {
        "type": "Feature",
        "id": beach["code"],
        "geometry": {"type": "Point", "coordinates": [beach["lon"], beach["lat"]]},
        "properties": {
            "code": beach["code"],
            "name": beach["name"],
            "country": beach["country"],
            "regional_sea": beach["regional_sea"],
            "water": beach["water"],
            "in_14_1_1": beach["water"] == "marine",
            "reference_m": beach["reference_m"],
            "source": beach["source"],
            "created_at": rfc3339(created) if created else None,
            "sdg_14_1_1": beach_figures(found),
        },
    }


def area_litter(conn: Connection, q: ReportQuery, level: int) -> dict[str, tuple[Sums, Guideline]]:
    """area -> what its `sdg_14_1_1` member is made of (`area_figures` makes it): the pooled
    sums, and the guideline's surveys."""
    sums, guideline = area_sums(conn, q, level), _area_guideline(conn, q, level)
    return {
        a: (sums.get(a, (0, 0.0, 0, 0)), guideline.get(a, ({}, 0))) for a in {*sums, *guideline}
    }


def _area_guideline(conn: Connection, q: ReportQuery, level: int) -> dict[str, Guideline]:
    """area -> (its marine beaches' surveys by beach, how many other beaches had surveys)."""
    found = surveys(conn, q, level=level)
    water = {b: w for b, w in conn.execute(sa.select(beaches.c.code, beaches.c.water))}
    marine: dict[str, dict[str, list[Survey]]] = defaultdict(lambda: defaultdict(list))
    other: dict[str, set[str]] = defaultdict(set)
    for s in found:
        if s.area is None:
            continue
        if water.get(s.beach) == "marine":
            marine[s.area][s.beach].append(s)
        else:
            other[s.area].add(s.beach)
    return {a: (marine.get(a, {}), len(other.get(a, ()))) for a in {*marine, *other}}


def area_figures(figures: tuple[Sums, Guideline] | None, threshold: int) -> dict[str, Any]:
    """An area's `sdg_14_1_1` member. Surveys, metres and items are public report by report,
    so they are exact; the pooled ratios are null below `threshold` reports, a precision rule.
    The guideline figures follow the module docstring."""
    (n, surveyed, items, plastic), (marine, others) = figures or ((0, 0.0, 0, 0), ({}, 0))
    ok = n >= threshold
    medians = [beach_figures(found)["median_items_per_100m"] for found in marine.values()]
    median = round(statistics.median(medians), 2) if medians else None
    return {
        "n": n,
        "surveyed_m": round(surveyed, 1),
        "items": items,
        "items_per_100m": round(100 * items / surveyed, 2) if ok and surveyed else None,
        "plastic_share": round(plastic / items, 4) if ok and items else None,
        "suppressed": False,
        "surveys": sum(len(found) for found in marine.values()),
        "beaches": len(marine),
        "median_items_per_100m": median,
        "threshold_items_per_100m": THRESHOLD_PER_100M,
        "beaches_above_threshold": sum(m > THRESHOLD_PER_100M for m in medians),
        "beaches_not_marine": others,
    }
