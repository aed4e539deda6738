"""SDG 16.6.2 as the UNDP metadata defines it: satisfaction with the last experience of each of
three public services, and with each service's five attributes.

- Services: primary health care (`health_facility` reports), public primary and secondary
  education (`school`), and government services, meaning identity documents and civil
  registration (`identity_documents`, `civil_registration`). Other categories are rated and
  mapped, but are not part of the indicator.
- Respondents: people who used the service in the 12 months up to the end of the period, each
  counted once per service (their latest rating). A person is the sender's pseudonym with the
  respondent token it gives (the volunteer page keeps one; an enumerator sends interview
  numbers); a sender without one counts once per service point, since many people can share
  one address.
- Satisfied: the top two points of the 4-point overall question (3 satisfied, 4 very
  satisfied). "Don't know" and "refused" are counted and published apart, and left out of the
  share's denominator. An attribute is rated on the same 4-point scale; its share is of the
  respondents who rated it.
- Disaggregation: sex, age group, disability by the Washington Group short set (a difficulty
  of "a lot" or "cannot do at all" in any of the operator's chosen domains; the yes/no
  question where the set was not asked) and place of residence (the respondent's area, not
  the service's).
- Weights: where the area has census margins by sex, the share is post-stratified to them
  (each sex weighted by its population share), with Kish's effective n and a Wilson interval
  at that n beside the unweighted one.

Every count here is of people broken down by what they said of themselves, so each goes
through the cell key method, and the weighted figures are computed from those published
counts only: they reveal nothing the published table does not.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mapping import hexgrid
from mapping.analysis.aggregate import wilson
from mapping.disclosure import cellkey
from mapping.schemas import WG_ORDER
from mapping.storage.reports import ReportQuery, report_filters
from mapping.storage.tables import reports

NOT_STATED = "not_stated"
USE_MONTHS = 12
# Without a respondent token, a sender's ratings count once per service point: the H3 cell
# at this resolution (about 66 m across) of the rating's public position.
SERVICE_POINT_RESOLUTION = 10
WG_DOMAINS = WG_ORDER
DIMENSIONS = ("sex", "age_group", "disability", "residence")


@dataclass(frozen=True, slots=True)
class Service:
    label: str
    categories: tuple[str, ...]
    attributes: tuple[str, ...]


SERVICES: dict[str, Service] = {
    "health": Service(
        "Primary health care",
        ("health_facility",),
        ("access", "affordability", "quality", "equal_treatment", "courtesy"),
    ),
    "education": Service(
        "Public primary and secondary education",
        ("school",),
        ("access", "affordability", "quality", "equal_treatment", "effective_delivery"),
    ),
    "government": Service(
        "Government services: identity documents and civil registration",
        ("identity_documents", "civil_registration"),
        ("access", "affordability", "equal_treatment", "effective_delivery", "timeliness"),
    ),
}
# How the volunteer page asks each attribute.
ATTRIBUTE_LABELS = {
    "access": "Easy to get to",
    "affordability": "Affordable",
    "quality": "Good buildings and equipment",
    "equal_treatment": "Everyone treated equally",
    "courtesy": "Staff were courteous",
    "effective_delivery": "Got what you came for",
    "timeliness": "Done in reasonable time",
}
OFFICIAL_CATEGORIES = {c: key for key, s in SERVICES.items() for c in s.categories}

METHOD = (
    "SDG 16.6.2 per service (`services`): primary health care, public primary and secondary "
    "education, and government services (identity documents, civil registration), as the UNDP "
    "metadata defines them. Respondents used the service in the 12 months up to the end of the "
    "period and count once per service (their latest rating). Satisfied: 3 or 4 on the 4-point "
    "scale; 'don't know' and 'refused' are counted apart and left out of the denominator. "
    "Disability by the Washington Group short set (any chosen domain 'a lot' or 'cannot do'), "
    "else the yes/no question. Weighted: post-stratified to the area's census margins by sex, "
    "with Kish's effective n; its interval is Wilson's at that n. The pooled `satisfied_share` "
    "covers every rated category and is not the SDG definition. "
)


def period(q: ReportQuery, now: datetime | None = None) -> tuple[datetime, datetime]:
    """The 12 months of use that the answer covers: up to `until` (already whole months), or
    to the start of next month, and from no earlier than `since`."""
    end = q.until
    if end is None:
        today = (now or datetime.now(UTC)).replace(day=1, hour=0, minute=0, second=0)
        end = (today.replace(microsecond=0) + timedelta(days=32)).replace(day=1)
    start = end.replace(year=end.year - 1)
    if q.since is not None and q.since > start:
        start = q.since
    return start, end


def disability_status(wg: str | None, yes_no: bool | None, domains: Sequence[str]) -> str:
    """`yes`, `no` or `not_stated`: by the Washington Group answers in `domains` where they were
    given (a lot of difficulty, 3, or cannot do at all, 4, in any), else the yes/no answer."""
    if wg:
        answers = [wg[WG_DOMAINS.index(d)] for d in domains]
        if any(a in "34" for a in answers if a != "0"):
            return "yes"
        if all(a in "12" for a in answers):
            return "no"
    if yes_no is None:
        return NOT_STATED
    return "yes" if yes_no else "no"


# A group's people: answered, satisfied, don't know, refused; each with its records' key sum.
class _Cell:
    __slots__ = ("answered", "dont_know", "refused", "satisfied")

    def __init__(self) -> None:
        self.answered = [0, 0]
        self.satisfied = [0, 0]
        self.dont_know = [0, 0]
        self.refused = [0, 0]

    def add(self, satisfaction: int | None, missing: str | None, key: int) -> None:
        if satisfaction is not None:
            _bump(self.answered, key)
            if satisfaction >= 3:
                _bump(self.satisfied, key)
        elif missing == "dont_know":
            _bump(self.dont_know, key)
        elif missing == "refused":
            _bump(self.refused, key)


def _bump(counter: list[int], key: int) -> None:
    counter[0] += 1
    counter[1] += key


def _respondents(conn: Connection, q: ReportQuery, level: int) -> sa.Select[Any]:
    c = reports.c
    # A person, as far as the sender tells: its respondent token where it gives one, else the
    # sender at this service point (many people can share one address, as behind a carrier's
    # NAT, so a sender alone would merge them).
    sender = sa.func.coalesce(c.submitter, sa.cast(c.seq, sa.String))
    where = sa.func.coalesce(
        c.reporter_respondent,
        sa.cast(hexgrid.sql_parent(q.placement.h3_column, SERVICE_POINT_RESOLUTION), sa.String),
    )
    service = sa.case(
        *((c.category.in_(s.categories), key) for key, s in SERVICES.items()), else_=None
    )
    latest = (
        sa.func.row_number()
        .over(
            partition_by=(
                sender,
                sa.case((c.reporter_respondent.is_(None), "p"), else_="r"),
                where,
                service,
            ),
            order_by=(q.placement.observed_column.desc(), c.seq.desc()),
        )
        .label("latest")
    )
    start, end = period(q)
    inner = (
        sa.select(
            q.placement.area(level).label("area"),
            service.label("service"),
            c.reporter_sex,
            c.reporter_age_group,
            c.reporter_disability,
            c.reporter_wg,
            c.reporter_residence,
            c.satisfaction,
            c.satisfaction_missing,
            sa.func.coalesce(c.record_key, 0).label("rkey"),
            c.attributes,
            latest,
        )
        .where(*report_filters(conn, replace(q, kind="service", since=start, until=end)))
        .where(c.category.in_(list(OFFICIAL_CATEGORIES)))
        .where(sa.or_(c.satisfaction.is_not(None), c.satisfaction_missing.is_not(None)))
        .subquery()
    )
    return sa.select(inner).where(inner.c.latest == 1, inner.c.area.is_not(None))


Tables = dict[str, dict[str, Any]]


def tally(
    conn: Connection, q: ReportQuery, level: int, wg_domains: Sequence[str] = WG_DOMAINS
) -> Tables:
    """area -> service -> {"all": _Cell, "by_<dimension>": group -> _Cell,
    "by_attribute": attribute -> [rated, positive, key sum, positive key sum]}."""
    out: Tables = defaultdict(dict)
    for row in conn.execute(_respondents(conn, q, level)).mappings():
        tables = out[row["area"]].setdefault(row["service"], _empty())
        key = int(row["rkey"])
        groups = {
            "sex": row["reporter_sex"] or NOT_STATED,
            "age_group": row["reporter_age_group"] or NOT_STATED,
            "disability": disability_status(
                row["reporter_wg"], row["reporter_disability"], wg_domains
            ),
            "residence": row["reporter_residence"] or NOT_STATED,
        }
        satisfaction, missing = row["satisfaction"], row["satisfaction_missing"]
        tables["all"].add(satisfaction, missing, key)
        for dimension, group in groups.items():
            tables[f"by_{dimension}"][group].add(satisfaction, missing, key)
        aspects = (row["attributes"] or {}).get("aspects") or {}
        for attribute in SERVICES[row["service"]].attributes:
            rating = aspects.get(attribute)
            if isinstance(rating, int):
                cell = tables["by_attribute"][attribute]
                cell[0] += 1
                cell[2] += key
                if rating >= 3:
                    cell[1] += 1
                    cell[3] += key
    return out


def _empty() -> dict[str, Any]:
    tables: dict[str, Any] = {"all": _Cell()}
    for dimension in DIMENSIONS:
        tables[f"by_{dimension}"] = defaultdict(_Cell)
    tables["by_attribute"] = defaultdict(lambda: [0, 0, 0, 0])
    return tables


def share(n: int, n_key: int, satisfied: int, satisfied_key: int, threshold: int) -> dict[str, Any]:
    """A published share: n and the satisfied count each through the cell key method; null
    (suppressed) where the perturbed n is below `threshold`."""
    published = cellkey.protect(n, n_key, threshold)
    if published is None or published == 0:
        return {
            "n": published,
            "satisfied_share": None,
            "satisfied_share_ci": None,
            "suppressed": published is None,
        }
    yes = min(cellkey.perturb(satisfied, satisfied_key), published)
    return {
        "n": published,
        "satisfied_share": round(yes / published, 4),
        "satisfied_share_ci": wilson(yes, published),
        "suppressed": False,
    }


def _figures(cell: _Cell, threshold: int) -> dict[str, Any]:
    (n, n_key), (yes, yes_key) = cell.answered, cell.satisfied
    out = share(n, n_key, yes, yes_key, threshold)
    out["dont_know"] = cellkey.protect(cell.dont_know[0], cell.dont_know[1], threshold)
    out["refused"] = cellkey.protect(cell.refused[0], cell.refused[1], threshold)
    return out


def weighted(by_sex: Mapping[str, Mapping[str, Any]], margins: Mapping[str, int] | None) -> Any:
    """The share post-stratified to census margins by sex, from the published groups: each
    group's share weighted by its population share, Kish's effective n, and the Wilson interval
    at that n. None without margins, or where a group with people is not published."""
    if not margins:
        return None
    total = sum(margins.values())
    if total <= 0:
        return None
    estimate, inverse_n = 0.0, 0.0
    for group, population in margins.items():
        fig = by_sex.get(group)
        if not fig or not fig["n"] or fig["satisfied_share"] is None:
            return None
        weight = population / total
        estimate += weight * fig["satisfied_share"]
        inverse_n += weight * weight / fig["n"]
    n_effective = 1 / inverse_n
    return {
        "satisfied_share": round(estimate, 4),
        "satisfied_share_ci": wilson(estimate * n_effective, n_effective),
        "n_effective": round(n_effective, 1),
        "margins": "sex",
        "groups": sorted(margins),
    }


def service_figures(
    tables: Mapping[str, Any] | None,
    threshold: int,
    margins: Mapping[str, int] | None,
    source: str | None,
) -> dict[str, Any]:
    """The `services` member of one area."""
    out = {}
    for key, service in SERVICES.items():
        t = tables.get(key) if tables else None
        t = t or _empty()
        fig = _figures(t["all"], threshold)
        for dimension in DIMENSIONS:
            fig[f"by_{dimension}"] = {
                group: _figures(cell, threshold)
                for group, cell in sorted(t[f"by_{dimension}"].items())
            }
        fig["by_attribute"] = {
            attribute: share(
                t["by_attribute"][attribute][0],
                t["by_attribute"][attribute][2],
                t["by_attribute"][attribute][1],
                t["by_attribute"][attribute][3],
                threshold,
            )
            for attribute in service.attributes
        }
        fig["weighted"] = weighted(fig["by_sex"], margins)
        if fig["weighted"] is not None:
            fig["weighted"]["source"] = source
        out[key] = {"label": service.label, "categories": list(service.categories), **fig}
    return out


Figure = tuple[str, str, str, str, dict[str, Any]]


def published_figures(sat: Mapping[str, Any]) -> Iterator[Figure]:
    """Each figure per service of an area's `sdg_16_6_2` member, in the order the downloads
    list them: (service, measure, breakdown, group, figure). The service's share, then its
    groups and attributes, then the weighted share, whose `n` is Kish's effective n."""
    for service, fig in (sat.get("services") or {}).items():
        yield service, "satisfied_share", "all", "all", fig
        for dimension in (*DIMENSIONS, "attribute"):
            for group, cell in fig[f"by_{dimension}"].items():
                yield service, "satisfied_share", dimension, group, cell
        weighted = fig.get("weighted")
        if weighted:
            as_figure = {**weighted, "n": weighted["n_effective"], "suppressed": False}
            yield service, "satisfied_share_weighted", "all", "all", as_figure
