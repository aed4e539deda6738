"""Campaigns: a named call for reports of one kind, in an area and a time window.

Planners open them; reports and effort name them by slug. A report that names a campaign but
falls outside its area or window is kept with the quality flag `outside_campaign`, and one that
names no stored campaign with `unknown_campaign`: an offline phone or an import may carry a slug
the server has not seen, and a flag loses nothing that a refusal would have kept.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Annotated, Any

import sqlalchemy as sa
from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from sqlalchemy.engine import Connection

from mapping import hexgrid
from mapping.disclosure.publish import rfc3339, utc
from mapping.errors import Conflict, ErrorItem, InvalidInput, error_items
from mapping.schemas import SLUG_PATTERN, Text
from mapping.storage import areas as area_store
from mapping.storage import campaigns as store
from mapping.storage import effort as effort_store
from mapping.storage.reports import PUBLIC, PUBLIC_STATUSES, ReportQuery
from mapping.storage.tables import AREA_LEVELS, effort_cells, reports
from mapping.taxonomy import Kind, category_codes

OUTSIDE = "outside_campaign"
UNKNOWN = "unknown_campaign"


class CampaignCreate(BaseModel):
    """What a planner sends to open a campaign."""

    model_config = ConfigDict(extra="forbid")

    slug: Annotated[str, Field(pattern=SLUG_PATTERN)]
    title: Annotated[Text, Field(min_length=1, max_length=200)]
    description: Text | None = None
    kind: Kind
    categories: list[str] = Field(default_factory=list, max_length=200)
    area: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    start: AwareDatetime
    end: AwareDatetime

    @field_validator("title", "description")
    @classmethod
    def _text(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and "\x00" in value:
            raise ValueError("must not contain the NUL character")
        limit = (info.context or {}).get("max_text_chars", 2000)
        if value is not None and len(value) > limit:
            raise ValueError(f"is {len(value)} characters long; at most {limit} are allowed")
        return value

    @model_validator(mode="after")
    def _window(self) -> CampaignCreate:
        if self.end <= self.start:
            raise ValueError("end must come after start")
        return self


def create_campaign(
    conn: Connection, obj: Any, *, max_text_chars: int, now: datetime
) -> dict[str, Any]:
    """Validate and store a new campaign; its public form. InvalidInput lists what to fix,
    Conflict says the slug is taken."""
    try:
        new = CampaignCreate.model_validate(obj, context={"max_text_chars": max_text_chars})
    except ValidationError as exc:
        raise InvalidInput("The campaign is not valid.", error_items(exc)) from None
    errors: list[ErrorItem] = [
        {"loc": ["categories", i], "msg": f"{code!r} is not a {new.kind} category"}
        for i, code in enumerate(new.categories)
        if code not in category_codes(new.kind)
    ]
    if new.area is not None and area_store.get_area(conn, new.area) is None:
        errors.append({"loc": ["area"], "msg": f"no stored area has code {new.area!r}"})
    if errors:
        raise InvalidInput("The campaign is not valid.", errors)
    values = {
        **new.model_dump(),
        "categories": sorted(set(new.categories)),
        "start": new.start.astimezone(UTC),
        "end": new.end.astimezone(UTC),
        "demo": False,
        "created_at": now,
    }
    if not store.insert_campaign(conn, **values):
        raise Conflict(
            f"A campaign with slug {new.slug!r} exists; choose another slug.",
            [{"loc": ["slug"], "msg": "already taken"}],
        )
    return campaign_doc(values, now=now)


def campaign_doc(row: Mapping[Any, Any], *, now: datetime) -> dict[str, Any]:
    """A campaign as the API shows it, with whether it runs at `now`."""
    start, end = row["start"], row["end"]
    return {
        "slug": row["slug"],
        "title": row["title"],
        "description": row["description"],
        "kind": row["kind"],
        "categories": list(row["categories"]),
        "area": row["area"],
        "start": rfc3339(start) if start else None,
        "end": rfc3339(end) if end else None,
        "active": is_active(row, now),
        "demo": bool(row["demo"]),
        "created_at": rfc3339(row["created_at"]),
    }


def is_active(row: Mapping[Any, Any], now: datetime) -> bool:
    start, end = row["start"], row["end"]
    return (start is None or utc(start) <= now) and (end is None or now < utc(end))


def fit_flag(
    campaign: Mapping[Any, Any] | None,
    *,
    start: datetime,
    end: datetime,
    area_codes: Iterable[str],
) -> str | None:
    """The quality flag for something that names `campaign` and happened from `start` to `end`
    (the same time for a report) in the areas `area_codes`; None when it fits."""
    if campaign is None:
        return UNKNOWN
    if campaign["start"] is not None and end < utc(campaign["start"]):
        return OUTSIDE
    if campaign["end"] is not None and start >= utc(campaign["end"]):
        return OUTSIDE
    if campaign["area"] is not None and campaign["area"] not in set(area_codes):
        return OUTSIDE
    return None


def flag_reports(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Add `outside_campaign` or `unknown_campaign` to the rows (about to be stored) that name
    a campaign they do not fit."""
    found = store.campaigns_by_slug(conn, (r["campaign"] for r in rows if r["campaign"]))
    for row in rows:
        if not row["campaign"]:
            continue
        flag = fit_flag(
            found.get(row["campaign"]),
            start=row["observed_at"],
            end=row["observed_at"],
            area_codes=area_codes_of(row),
        )
        if flag and flag not in row["quality"]:
            row["quality"].append(flag)


def area_codes_of(row: Mapping[Any, Any]) -> list[str]:
    return [row[f"area_{level}"] for level in AREA_LEVELS if row.get(f"area_{level}")]


def progress(
    conn: Connection,
    slug: str,
    *,
    resolution: int,
    threshold: int,
    effort_resolution: int,
    public_resolution: int,
) -> dict[str, Any]:
    """How far the campaign has come: its public reports, their distinct senders (by the
    submitter pseudonym), the hexagons at `resolution` with reports and with effort.

    Reports and their hexagons can be counted from the public listing anyway, so they are not
    suppressed; the number of senders is not public otherwise and says how few people made
    the reports, so below `threshold` it is null, like any small count.
    """
    c = reports.c
    # Hexagons as the public reports show them: a sensitive report in its public cell, and
    # only at resolutions no finer than the public one (as the hexagon aggregates count).
    cell = hexgrid.sql_parent(PUBLIC.h3_column, resolution)
    if resolution > public_resolution:
        cell = sa.case((c.sensitive, sa.null()), else_=cell)
    query = sa.select(
        sa.func.count(),
        sa.func.count(sa.distinct(c.submitter)),
        sa.func.count(sa.distinct(cell)),
    ).where(c.campaign == slug, c.status.in_(PUBLIC_STATUSES))
    count, contributors, hexes = conn.execute(query).one()
    visits = ReportQuery(campaign=slug)
    effort_hexes: int | None = None
    if resolution <= effort_resolution:
        effort_hexes = effort_store.count_units(
            conn,
            hexgrid.sql_parent(effort_cells.c.h3, resolution),
            visits,
            where=[hexgrid.sql_at_least(effort_cells.c.h3, resolution)],
        )
    hidden = 0 < contributors < threshold
    return {
        "resolution": resolution,
        "reports": count,
        "contributors": None if hidden else contributors,
        "contributors_suppressed": hidden,
        "hexes_with_reports": hexes,
        "visits": effort_store.count_visits(conn, visits),
        "hexes_with_effort": effort_hexes,
        "suppression_threshold": threshold,
    }
