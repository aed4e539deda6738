"""SDG indicators per administrative area, disaggregated, with each figure's n.

- SDG 16.6.2: the share of people satisfied with their last experience of a public service
  (satisfaction 3 or 4 on the 1-4 scale), by service category and by sex, age group and
  disability of the reporter.
- SDG 14.1.1 (beach litter): items per 100 m of surveyed coastline, and the plastic share.

Each figure comes with its n. The 16.6.2 counts are of people (contributors), broken down by
what they said of themselves, so each is published through the cell key method
(mapping.disclosure.cellkey): the same ratings always give the same noisy count, and two answers
that differ by one person differ by noise. The 14.1.1 figures add up public measures, exactly.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mapping import hexgrid
from mapping.analysis import census, sdg16
from mapping.analysis.aggregate import wilson
from mapping.analysis.litter import area_figures, area_litter
from mapping.disclosure import cellkey
from mapping.disclosure.publish import utc
from mapping.errors import InvalidQuery
from mapping.storage import areas as area_store
from mapping.storage import census as census_store
from mapping.storage.reports import ReportQuery, report_filters
from mapping.storage.tables import reports

NOT_STATED = "not_stated"
DIMENSIONS = ("category", "sex", "age_group", "disability")
# A "service point" for the one-rating-per-contributor rule: the category and the resolution-10
# H3 cell (about 66 m across) of the rating's public position.
SERVICE_POINT_RESOLUTION = 10
METHOD = (
    "Pooled satisfaction: share of ratings of 3 or 4 on the 1-4 scale, by category and by the "
    "reporter's sex, age group and disability ('not_stated' where not given), counting one "
    "rating per contributor and service point (the latest) in the whole calendar months the "
    "query covers. SDG 14.1.1 (b): per marine beach, the median of items per 100 m over its "
    "monitoring surveys (a survey split at import counts once; cleanups, sightings and "
    "freshwater beaches left out), per area the median of its beaches' medians and how many "
    "are above the EU threshold of 20 items per 100 m; beside it, items per 100 m as a ratio "
    "of sums over all litter reports, and the share of plastic items, exact. "
)


def whole_months(q: ReportQuery) -> ReportQuery:
    """`q` with `since` moved back and `until` forward to the first instant of a month, so
    that two queries whose times differ inside one month select the same ratings (differencing
    them gives nothing)."""

    def floor(t: datetime) -> datetime:
        return utc(t).replace(day=1, hour=0, minute=0, second=0, microsecond=0)

    until = None
    if q.until is not None:
        until = floor(q.until)
        if until < utc(q.until):
            until = (until + timedelta(days=32)).replace(day=1)
    return replace(q, since=floor(q.since) if q.since else None, until=until)


# Per group: [contributors, satisfied, key sum of the contributors, key sum of the satisfied].
Cell = list[int]


def _ratings(conn: Connection, q: ReportQuery, level: int) -> dict[str, dict[str, Any]]:
    """area -> dimension -> group -> Cell, over one rating per contributor and service point."""
    c = reports.c
    contributor = sa.func.coalesce(c.submitter, sa.cast(c.seq, sa.String))
    point = hexgrid.sql_parent(q.placement.h3_column, SERVICE_POINT_RESOLUTION)
    latest = (
        sa.func.row_number()
        .over(
            partition_by=(contributor, c.category, point),
            order_by=(q.placement.observed_column.desc(), c.seq.desc()),
        )
        .label("latest")
    )
    disability = sa.case(
        (c.reporter_disability.is_(True), "yes"),
        (c.reporter_disability.is_(False), "no"),
        else_=NOT_STATED,
    )
    satisfied = sa.case((c.satisfaction >= 3, 1), else_=0)
    ratings = (
        sa.select(
            q.placement.area(level).label("area"),
            c.category,
            sa.func.coalesce(c.reporter_sex, NOT_STATED).label("sex"),
            sa.func.coalesce(c.reporter_age_group, NOT_STATED).label("age_group"),
            disability.label("disability"),
            satisfied.label("satisfied"),
            sa.func.coalesce(c.record_key, 0).label("rkey"),
            latest,
        )
        .where(*report_filters(conn, replace(q, kind="service")))
        .where(c.satisfaction.is_not(None))
        .subquery()
    )
    r = ratings.c
    query = (
        sa.select(
            r.area,
            r.category,
            r.sex,
            r.age_group,
            r.disability,
            sa.func.count(),
            sa.func.sum(r.satisfied),
            sa.func.sum(r.rkey),
            sa.func.sum(r.satisfied * r.rkey),
        )
        .where(r.latest == 1, r.area.is_not(None))
        .group_by(r.area, r.category, r.sex, r.age_group, r.disability)
    )
    # area -> dimension -> group -> Cell; "all" -> "all" for the area's total
    out: dict[str, dict[str, Any]] = defaultdict(
        lambda: {d: defaultdict(lambda: [0, 0, 0, 0]) for d in (*DIMENSIONS, "all")}
    )
    for area, category, sex, age, dis, n, sat, keys, sat_keys in conn.execute(query):
        groups = {"category": category, "sex": sex, "age_group": age, "disability": dis}
        for dimension, group in (*groups.items(), ("all", "all")):
            cell = out[area][dimension][group]
            cell[0] += n
            cell[1] += int(sat or 0)
            cell[2] += int(keys or 0)
            cell[3] += int(sat_keys or 0)
    return out


def _share(cell: Cell, threshold: int) -> dict[str, Any]:
    """A group's published figures: its contributors and satisfied contributors, each through
    the cell key method; null (suppressed) where the perturbed n is below `threshold`."""
    n = cellkey.protect(cell[0], cell[2], threshold)
    if n is None:
        return {"n": None, "satisfied_share": None, "satisfied_share_ci": None, "suppressed": True}
    satisfied = min(cellkey.perturb(cell[1], cell[3]), n)
    return {
        "n": n,
        "satisfied_share": round(satisfied / n, 4) if n else None,
        "satisfied_share_ci": wilson(satisfied, n),
        "suppressed": False,
    }


def _satisfaction(groups: dict[str, Any], threshold: int) -> dict[str, Any]:
    out = _share(groups["all"].get("all", [0, 0, 0, 0]), threshold)
    for dimension in DIMENSIONS:
        out[f"by_{dimension}"] = {
            group: _share(cell, threshold) for group, cell in sorted(groups[dimension].items())
        }
    return out


def method(threshold: int) -> str:
    """The `method` line of an indicator answer."""
    return sdg16.METHOD + METHOD + cellkey.method(threshold)


def area_indicators(
    conn: Connection,
    q: ReportQuery,
    *,
    level: int,
    threshold: int,
    code: str | None = None,
    wg_domains: Sequence[str] = sdg16.WG_DOMAINS,
) -> list[dict[str, Any]]:
    """For every area of `level` (or the one `code`), its SDG 16.6.2 and 14.1.1 figures.

    The 16.6.2 figures count contributors, broken down by reporter details, so every n is
    protected by the cell key method over whole calendar months (`whole_months`); the 14.1.1
    figures are sums of public measures and are exact.
    """
    listed = area_store.list_areas(conn, level=level)
    if not listed:
        raise InvalidQuery(
            f"No areas of level {level} are stored; import them with `civicmap areas import`.",
            [{"loc": ["query", "level"], "msg": f"no areas of level {level}"}],
        )
    months = whole_months(q)
    ratings, litter = _ratings(conn, months, level), area_litter(conn, q, level)
    services = sdg16.tally(conn, months, level, wg_domains)
    start, end = sdg16.period(months)
    empty: dict[str, Any] = {d: {} for d in (*DIMENSIONS, "all")}
    chosen = [a for a in listed if code is None or a["code"] == code]
    codes = [a["code"] for a in chosen]
    margins = {d: census_store.margins_of(conn, codes, dimension=d) for d in census.DIMENSIONS}
    out = []
    for a in chosen:
        satisfaction = _satisfaction(ratings.get(a["code"], empty), threshold)
        by_sex, sex_source = margins["sex"].get(a["code"], (None, None))
        satisfaction["services"] = sdg16.service_figures(
            services.get(a["code"]), threshold, by_sex, sex_source
        )
        satisfaction["period"] = {"start": start.isoformat(), "end": end.isoformat()}
        satisfaction["washington_group_domains"] = list(wg_domains)
        out.append(
            {
                "code": a["code"],
                "name": a["name"],
                "level": a["level"],
                "sdg_16_6_2": satisfaction,
                "sdg_14_1_1": area_figures(litter.get(a["code"]), threshold),
                "representativeness": census.representation_table(margins, a["code"], satisfaction),
            }
        )
    return out


CSV_COLUMNS = (
    "area_code",
    "area_name",
    "indicator",
    "dimension",
    "group",
    "value",
    "n",
    "suppressed",
)


def csv_rows(table: list[dict[str, Any]]) -> Iterator[tuple[Any, ...]]:
    """The indicator table in long form: one row per area, indicator, breakdown and group."""
    for area in table:
        head = (area["code"], area["name"])
        sat = area["sdg_16_6_2"]
        for service, measure, dimension, group, fig in sdg16.published_figures(sat):
            value, n, suppressed = fig["satisfied_share"], fig["n"], fig["suppressed"]
            yield (*head, f"16.6.2 {service} {measure}", dimension, group, value, n, suppressed)
        yield (
            *head,
            "16.6.2 pooled satisfied_share",
            "all",
            "all",
            sat["satisfied_share"],
            sat["n"],
            sat["suppressed"],
        )
        for dimension in DIMENSIONS:
            for group, fig in sat[f"by_{dimension}"].items():
                yield (
                    *head,
                    "16.6.2 pooled satisfied_share",
                    dimension,
                    group,
                    fig["satisfied_share"],
                    fig["n"],
                    fig["suppressed"],
                )
        lit = area["sdg_14_1_1"]
        for name in ("items_per_100m", "plastic_share"):
            yield (*head, f"14.1.1 {name}", "all", "all", lit[name], lit["n"], lit["suppressed"])
        median = lit["median_items_per_100m"]
        yield (
            *head,
            "14.1.1 median_items_per_100m",
            "beaches",
            "all",
            median,
            lit["beaches"],
            False,
        )
