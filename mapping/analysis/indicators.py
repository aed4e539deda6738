"""SDG indicators per administrative area, disaggregated, with each figure's n.

- SDG 16.6.2: the share of people satisfied with their last experience of a public service
  (satisfaction 3 or 4 on the 1-4 scale), by service category and by sex, age group and
  disability of the reporter.
- SDG 14.1.1 (beach litter): items per 100 m of surveyed coastline, and the plastic share.

Each figure comes with its n; figures with n below the threshold are suppressed, and within each
breakdown more are hidden where the published total would otherwise give them away.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mapping.disclosure.suppress import protect
from mapping.errors import InvalidQuery
from mapping.storage import areas as area_store
from mapping.storage.reports import ReportQuery, report_filters
from mapping.storage.tables import reports

NOT_STATED = "not_stated"
DIMENSIONS = ("category", "sex", "age_group", "disability")
METHOD = (
    "SDG 16.6.2: share of service ratings of 3 or 4 on the 1-4 scale, by category and by the "
    "reporter's sex, age group and disability ('not_stated' where not given). SDG 14.1.1: "
    "litter items per 100 m surveyed, and the share of plastic items. Figures with n below "
    "the threshold are suppressed, with more hidden in a breakdown where its total would "
    "reveal them."
)


def _ratings(conn: Connection, q: ReportQuery, level: int) -> dict[str, dict[str, Any]]:
    area = reports.c[f"area_{level}"]
    disability = sa.case(
        (reports.c.reporter_disability.is_(True), "yes"),
        (reports.c.reporter_disability.is_(False), "no"),
        else_=NOT_STATED,
    )
    query = (
        sa.select(
            area.label("area"),
            reports.c.category,
            sa.func.coalesce(reports.c.reporter_sex, NOT_STATED).label("sex"),
            sa.func.coalesce(reports.c.reporter_age_group, NOT_STATED).label("age_group"),
            disability.label("disability"),
            sa.func.count().label("n"),
            sa.func.sum(sa.case((reports.c.satisfaction >= 3, 1), else_=0)).label("satisfied"),
        )
        .where(*report_filters(conn, replace(q, kind="service")))
        .where(area.is_not(None), reports.c.satisfaction.is_not(None))
        .group_by(sa.text("1, 2, 3, 4, 5"))
    )
    # area -> dimension -> group -> [n, satisfied]
    out: dict[str, dict[str, Any]] = defaultdict(
        lambda: {d: defaultdict(lambda: [0, 0]) for d in DIMENSIONS}
    )
    for row in conn.execute(query):
        for dimension in DIMENSIONS:
            cell = out[row.area][dimension][getattr(row, dimension)]
            cell[0] += row.n
            cell[1] += row.satisfied or 0
    return out


def _litter(conn: Connection, q: ReportQuery, level: int) -> dict[str, tuple[int, float, int, int]]:
    area = reports.c[f"area_{level}"]
    query = (
        sa.select(
            area,
            sa.func.count(),
            sa.func.sum(reports.c.survey_length_m),
            sa.func.sum(reports.c.litter_items),
            sa.func.sum(reports.c.litter_plastic),
        )
        .where(*report_filters(conn, replace(q, kind="litter")))
        .where(area.is_not(None))
        .group_by(area)
    )
    return {
        row[0]: (row[1], row[2] or 0.0, row[3] or 0, row[4] or 0) for row in conn.execute(query)
    }


def _share(n: int, satisfied: int, hidden: bool) -> dict[str, Any]:
    if hidden:
        return {"n": None, "satisfied_share": None, "suppressed": True}
    return {"n": n, "satisfied_share": round(satisfied / n, 4) if n else None, "suppressed": False}


def _satisfaction(groups: dict[str, Any], threshold: int) -> dict[str, Any]:
    total_n = sum(n for n, _ in groups["sex"].values())
    total_sat = sum(s for _, s in groups["sex"].values())
    hidden_total = 0 < total_n < threshold
    out = _share(total_n, total_sat, hidden_total)
    for dimension in DIMENSIONS:
        counts = {g: n for g, (n, _) in groups[dimension].items()}
        hidden = set(counts) if hidden_total else protect(counts, threshold)
        out[f"by_{dimension}"] = {
            g: _share(n, s, g in hidden) for g, (n, s) in sorted(groups[dimension].items())
        }
    return out


def _litter_figures(figures: tuple[int, float, int, int] | None, threshold: int) -> dict[str, Any]:
    n, surveyed, items, plastic = figures or (0, 0.0, 0, 0)
    if 0 < n < threshold:
        return {
            "n": None,
            "surveyed_m": None,
            "items": None,
            "items_per_100m": None,
            "plastic_share": None,
            "suppressed": True,
        }
    return {
        "n": n,
        "surveyed_m": round(surveyed, 1),
        "items": items,
        "items_per_100m": round(100 * items / surveyed, 2) if surveyed else None,
        "plastic_share": round(plastic / items, 4) if items else None,
        "suppressed": False,
    }


def area_indicators(
    conn: Connection, q: ReportQuery, *, level: int, threshold: int, code: str | None = None
) -> list[dict[str, Any]]:
    """For every area of `level` (or the one `code`), its SDG 16.6.2 and 14.1.1 figures."""
    listed = area_store.list_areas(conn, level=level)
    if not listed:
        raise InvalidQuery(
            f"No areas of level {level} are stored; import them with `civicmap areas import`.",
            [{"loc": ["query", "level"], "msg": f"no areas of level {level}"}],
        )
    ratings, litter = _ratings(conn, q, level), _litter(conn, q, level)
    empty: dict[str, Any] = {d: {} for d in DIMENSIONS}
    return [
        {
            "code": a["code"],
            "name": a["name"],
            "level": a["level"],
            "sdg_16_6_2": _satisfaction(ratings.get(a["code"], empty), threshold),
            "sdg_14_1_1": _litter_figures(litter.get(a["code"]), threshold),
        }
        for a in listed
        if code is None or a["code"] == code
    ]


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
        yield (
            *head,
            "16.6.2 satisfied_share",
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
                    "16.6.2 satisfied_share",
                    dimension,
                    group,
                    fig["satisfied_share"],
                    fig["n"],
                    fig["suppressed"],
                )
        lit = area["sdg_14_1_1"]
        for name in ("items_per_100m", "plastic_share"):
            yield (*head, f"14.1.1 {name}", "all", "all", lit[name], lit["n"], lit["suppressed"])
