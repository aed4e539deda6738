"""Query parameters shared by the list endpoints, parsed into the domain's ReportQuery."""

from __future__ import annotations

import base64
import binascii
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Query

from api.auth import PrincipalDep, ViewDep
from mapping.analysis.coverage.facilities import SERVICE_CODES
from mapping.errors import InvalidQuery
from mapping.keys import Principal
from mapping.storage.reports import PUBLIC_STATUSES, ReportQuery
from mapping.taxonomy import Kind

Box = tuple[float, float, float, float]
STATUSES = ("pending", "verified", "rejected", "duplicate", "hidden")


# A number as JSON writes it (RFC 8259): an optional minus, no leading zeros, an optional
# fraction and exponent. GDAL writes box edges near 0 degrees with exponents
# (`1.00000000000000008e-05`); `+1`, `.5`, `1.` and `01` are not JSON numbers and are refused.
JSON_NUMBER = r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?"
BBOX_PATTERN = f"^{JSON_NUMBER}(?:,{JSON_NUMBER}){{3}}(?:,{JSON_NUMBER},{JSON_NUMBER})?$"
_JSON_NUMBER = re.compile(JSON_NUMBER)


def bbox_numbers(value: str, name: str = "bbox") -> tuple[float, float, float, float]:
    """The four corners of a bbox of 4 numbers, or of 6 (`minX,minY,minZ,maxX,maxY,maxZ`), whose
    heights are checked and dropped: every collection here is 2D. Axis order is the caller's."""
    parts = value.split(",")
    if len(parts) not in (4, 6):
        raise _bad(name, f"give 4 numbers (or 6 with heights), not {len(parts)}")
    for part in parts:
        if not _JSON_NUMBER.fullmatch(part):
            raise _bad(name, f"{part!r} is not a number as JSON writes it (e.g. -0.5, 1e-05)")
    numbers = [float(p) for p in parts]
    if not all(math.isfinite(n) for n in numbers):
        raise _bad(name, "numbers must be finite")
    if len(numbers) == 6:
        if numbers[2] > numbers[5]:
            raise _bad(name, "the minimum height (third number) exceeds the maximum (sixth)")
        numbers = [numbers[0], numbers[1], numbers[3], numbers[4]]
    return numbers[0], numbers[1], numbers[2], numbers[3]


def lonlat_boxes(corners: Box, name: str = "bbox") -> list[Box]:
    """WGS84 boxes from `minLon,minLat,maxLon,maxLat`; one across the antimeridian is split."""
    min_lon, min_lat, max_lon, max_lat = corners
    if not (-180 <= min_lon <= 180 and -180 <= max_lon <= 180):
        raise _bad(name, "longitudes must lie in -180..180 (order is minLon,minLat,...)")
    if not (-90 <= min_lat <= max_lat <= 90):
        raise _bad(name, "latitudes must lie in -90..90 with minLat <= maxLat")
    if min_lon > max_lon:
        return [(min_lon, min_lat, 180.0, max_lat), (-180.0, min_lat, max_lon, max_lat)]
    return [(min_lon, min_lat, max_lon, max_lat)]


def parse_bbox(value: str | None) -> list[Box]:
    """`minLon,minLat,maxLon,maxLat` (or with heights, `minLon,minLat,minH,maxLon,maxLat,maxH`)
    as WGS84 boxes; one that crosses the antimeridian is split in two."""
    if value is None:
        return []
    return lonlat_boxes(bbox_numbers(value))


def parse_time(name: str, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace(" ", "+"))
    except ValueError:
        raise _bad(name, "give an RFC 3339 time, e.g. 2025-06-01T00:00:00Z") from None
    if parsed.tzinfo is None:
        raise _bad(name, "give the time with its timezone, e.g. 2025-06-01T00:00:00Z")
    try:
        return parsed.astimezone(UTC)
    except OverflowError:  # 0001-01-01 east of UTC, or 9999-12-31 west of it
        raise _bad(name, "give a time between the years 1 and 9999 in UTC") from None


def service_category(value: str | None, *, default: str | None = None) -> str:
    """`category` as a service category of the taxonomy (`default` when not given)."""
    category = value or default
    if category not in SERVICE_CODES:
        msg = "give a service category of GET /api/v1/taxonomy, e.g. health_facility"
        raise _bad("category", msg)
    return category


def parse_statuses(value: str | None) -> tuple[str, ...]:
    """Comma-separated statuses (routes drop the ones the caller may not see)."""
    if value is None:
        return PUBLIC_STATUSES
    wanted = tuple(s.strip() for s in value.split(",") if s.strip())
    unknown = [s for s in wanted if s not in STATUSES]
    if unknown or not wanted:
        raise _bad("status", f"use any of {', '.join(STATUSES)}")
    return wanted


def visible_statuses(statuses: tuple[str, ...], principal: Principal) -> tuple[str, ...]:
    """The statuses asked for that `principal` may see: hidden and rejected are for moderators."""
    if principal.may("see_hidden"):
        return statuses
    return tuple(s for s in statuses if s in PUBLIC_STATUSES)


def check_limit(value: int | None, *, default: int, maximum: int) -> int:
    if value is None:
        return default
    if not 1 <= value <= maximum:
        raise _bad("limit", f"must be between 1 and {maximum}")
    return value


# Report sequence numbers are 64-bit signed on both backends (mapping.storage.tables.Seq): a
# cursor or an offset past that names no row and would overflow the database's parameter.
MAX_SEQ = 2**63 - 1


def encode_cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(f"r{seq}".encode()).decode().rstrip("=")


def decode_cursor(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        text = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
        digits = text[1:]
        if text[:1] == "r" and digits.isascii() and digits.isdigit() and int(digits) <= MAX_SEQ:
            return int(digits)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise _bad("cursor", "is not a cursor this server gave; follow the `next` link as it is")


def _bad(name: str, msg: str) -> InvalidQuery:
    return InvalidQuery(f"Query parameter {name!r}: {msg}.", [{"loc": ["query", name], "msg": msg}])


BboxParam = Annotated[
    str | None,
    Query(
        description="minLon,minLat,maxLon,maxLat in WGS84 degrees, or 6 numbers with heights "
        "(minLon,minLat,minH,maxLon,maxLat,maxH; heights are ignored); JSON numbers, "
        "exponents included",
        examples=["-1,5,0,6"],
        # Documented, not enforced here: parse_bbox says which number is wrong.
        json_schema_extra={"pattern": BBOX_PATTERN},
    ),
]
TimeParam = Annotated[
    str | None,
    Query(description="RFC 3339 time with timezone", json_schema_extra={"format": "date-time"}),
]


@dataclass(frozen=True, slots=True)
class Filters:
    """The report filters every list, aggregate and analysis endpoint takes, parsed once."""

    query: ReportQuery
    applied: dict[str, str]


def report_filters(
    principal: PrincipalDep,
    view: ViewDep,
    bbox: BboxParam = None,
    kind: Kind | None = None,
    category: str | None = None,
    status: Annotated[str | None, Query(description="comma-separated statuses")] = None,
    since: TimeParam = None,
    until: TimeParam = None,
    area: Annotated[str | None, Query(description="an area code, of any level")] = None,
    campaign: str | None = None,
) -> Filters:
    for name, text in (("category", category), ("area", area), ("campaign", campaign)):
        if text is not None and "\x00" in text:
            raise _bad(name, "must not contain the NUL character")
    query = ReportQuery(
        boxes=parse_bbox(bbox),
        kind=kind,
        category=category,
        statuses=visible_statuses(parse_statuses(status), principal),
        since=parse_time("since", since),
        until=parse_time("until", until),
        area=area,
        campaign=campaign,
        placement=view.placement,
    )
    given = {
        "bbox": bbox,
        "kind": kind,
        "category": category,
        "status": status,
        "since": since,
        "until": until,
        "area": area,
        "campaign": campaign,
    }
    return Filters(query, {k: v for k, v in given.items() if v is not None})


FiltersDep = Annotated[Filters, Depends(report_filters)]
