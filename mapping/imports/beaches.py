"""The beach of an EEA Marine LitterWatch event: a first-class site record, made at import.

A site is known by its name and country (`BeachName`, `BeachCountrycode`); its code is a slug of
the two (`ch-aare-unterhalb-wehr-engehalde`), shortened with a hash of the full name when it
would be longer than 64 characters. The first event of a site seen gives its point (`lon_x1`,
`lat_y1`), its regional sea and its reference stretch (`BeachLength_m`, or 100 m, the
guideline's unit, when the file gives none).

Whether the water is marine, the rule: a site is `marine` when `BeachRegionalSea` names one of
the four regional seas LitterWatch assigns (Baltic Sea, Black Sea, Mediterranean Sea,
North-east Atlantic Ocean). A blank regional sea is what the app records for a site on none of
them; in the EEA file these are lakes and rivers (984 of the 985 Swiss events, the Rhine at
Basel, the Seine at Paris...), and such a site is `freshwater`. `Unknown` (and `null`) is
recorded for sites of both kinds (the Belgian coast, and Paris, Lyon, Ukrainian rivers), so
such a site, like one with any other value, is `unknown`. Only `marine` sites count toward
SDG 14.1.1; the others are still stored, listed and given their own figures, marked
`in_14_1_1: false`. A blank regional sea also covers a few coasts outside Europe (Chile,
Madagascar): this rule classes them `freshwater`, erring on the side of keeping inland water
out of a marine indicator.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import Engine

from mapping.imports.values import text
from mapping.reports.beaches import DEFAULT_REFERENCE_M, beach_code
from mapping.storage import beaches as store

REGIONAL_SEAS = frozenset(
    {"Baltic Sea", "Black Sea", "Mediterranean Sea", "North-east Atlantic Ocean"}
)
_COUNTRY = re.compile(r"^[A-Za-z]{2}$")


@dataclass(frozen=True, slots=True)
class Site:
    """A beach as an import finds it (`save_sites` stores it)."""

    code: str
    name: str
    country: str | None
    regional_sea: str | None
    water: str
    reference_m: float
    lon: float
    lat: float


def water_of(regional_sea: str | None) -> str:
    """`marine`, `freshwater` or `unknown` for a LitterWatch `BeachRegionalSea` value (the
    module docstring gives the rule)."""
    sea = (regional_sea or "").strip()
    if sea in REGIONAL_SEAS:
        return "marine"
    return "freshwater" if not sea else "unknown"


def country_of(value: Any) -> str | None:
    """A two-letter country code as the file writes it (EEA's `UK`, `EL` kept); None for a
    blank, `null` or `Int` (international) value."""
    raw = text(value)
    return raw.upper() if _COUNTRY.fullmatch(raw) and raw.lower() != "xx" else None


def site_of(values: Mapping[str, Any], point: tuple[float, float]) -> Site | None:
    """The beach of one LitterWatch row at `point` (lon, lat); None when the row names none."""
    name = text(values.get("BeachName"))
    if not name:
        return None
    country = country_of(values.get("BeachCountrycode"))
    sea = text(values.get("BeachRegionalSea")) or None
    try:
        length = float(text(values.get("BeachLength_m")) or "nan")
    except ValueError:
        length = float("nan")
    reference = length if 0 < length < float("inf") else DEFAULT_REFERENCE_M
    return Site(
        code=beach_code(name, country),
        name=name[:200],
        country=country,
        regional_sea=sea[:64] if sea else None,
        water=water_of(sea),
        reference_m=reference,
        lon=point[0],
        lat=point[1],
    )


def name_beach(
    attributes: dict[str, Any],
    values: Mapping[str, Any],
    point: tuple[float, float],
    sites: dict[str, Site] | None,
) -> None:
    """Name the row's beach in a litter report's `attributes`, and add the site to `sites`
    (the first row of a site gives it) for `save_sites` to store before the report."""
    site = site_of(values, point)
    if site is None:
        return
    attributes["beach"] = site.code
    if sites is not None:
        sites.setdefault(site.code, site)


def save_sites(engine: Engine, sites: dict[str, Site], *, source: str | None) -> None:
    """Store the beaches of `sites` not stored yet (a stored one is kept as it is); empty
    `sites` for the next batch."""
    if not sites:
        return
    now = datetime.now(UTC)
    rows = [
        {
            "code": s.code,
            "name": s.name,
            "country": s.country,
            "regional_sea": s.regional_sea,
            "water": s.water,
            "reference_m": s.reference_m,
            "source": source,
            "created_at": now,
            "lon": s.lon,
            "lat": s.lat,
        }
        for s in sites.values()
    ]
    with engine.begin() as conn:
        store.save_new_beaches(conn, rows)
    sites.clear()
