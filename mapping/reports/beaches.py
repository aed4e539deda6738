"""Beaches: the survey sites litter reports name, made by a planner or by an import.

A litter report may name its beach (`attributes.beach`, a code). A code that names no stored
beach is refused (422 for one report, `rejected` in a batch or an import) with a message saying
where the codes are listed: a survey counted at the wrong beach, or at none, would change the
beach's median without anyone seeing it. Imports make their beaches before their reports
(mapping.imports.beaches), so their rows are never refused for this.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy.engine import Connection, Engine

from mapping.errors import Conflict, ErrorItem, InvalidInput, error_items
from mapping.schemas import SLUG_PATTERN, Number, Text
from mapping.storage import beaches as store

BEACH_LOC = ["properties", "attributes", "beach"]
# The guideline's unit of survey, the reference stretch when none is given.
DEFAULT_REFERENCE_M = 100.0
CODE_LENGTH = 64


class BeachPoint(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["Point"]
    coordinates: Annotated[list[Number], Field(min_length=2, max_length=2)]

    @field_validator("coordinates")
    @classmethod
    def _lon_lat(cls, value: list[float]) -> list[float]:
        lon, lat = value
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise ValueError("give [lon, lat] in WGS84 degrees: lon -180..180, lat -90..90")
        return value


class BeachCreate(BaseModel):
    """What a planner sends to record a beach."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[Text, Field(min_length=1, max_length=200)]
    point: BeachPoint
    code: Annotated[str, Field(pattern=SLUG_PATTERN)] | None = None
    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$")] | None = None
    regional_sea: Annotated[Text, Field(min_length=1, max_length=64)] | None = None
    water: Literal["marine", "freshwater"]
    reference_m: Annotated[Number, Field(gt=0, le=10_000)] = DEFAULT_REFERENCE_M


def create_beach(conn: Connection, obj: Any, *, now: datetime) -> str:
    """Validate and store a planner's beach; its code. InvalidInput lists what to fix,
    Conflict says the code is taken."""
    try:
        new = BeachCreate.model_validate(obj)
    except ValidationError as exc:
        raise InvalidInput("The beach is not valid.", error_items(exc, ["body"])) from None
    code = new.code or beach_code(new.name, new.country)
    lon, lat = new.point.coordinates
    stored = store.insert_beach(
        conn,
        code=code,
        name=new.name,
        country=new.country,
        regional_sea=new.regional_sea,
        water=new.water,
        reference_m=new.reference_m,
        source=None,
        created_at=now,
        lon=lon,
        lat=lat,
    )
    if not stored:
        raise Conflict(
            f"There is already a beach {code!r}; give another `code`.",
            [{"loc": ["body", "code"], "msg": f"{code!r} is taken"}],
        )
    return code


def beach_code(name: str, country: str | None = None) -> str:
    """A stable code for the beach `name` in `country`: lowercase ASCII letters, digits and
    hyphens, at most 64 characters (mapping.schemas.SLUG_PATTERN). Names that differ only in
    case, accents or punctuation get the same code; a name in another script (Greek,
    Cyrillic), or too long, is told apart by a short hash of its letters."""
    words = unicodedata.normalize("NFKD", f"{country or 'xx'} {name}")
    ascii_text = words.encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")
    letters = "".join(ch for ch in words.casefold() if ch.isalnum())
    if len(slug) <= CODE_LENGTH and letters.isascii():
        return slug
    digest = hashlib.sha256(f"{country}|{letters}".encode()).hexdigest()[:8]
    return f"{slug[: CODE_LENGTH - 9].rstrip('-')}-{digest}".strip("-")


def named(attributes: Any) -> str | None:
    """The beach code a report's attributes name, if any."""
    beach = getattr(attributes, "beach", None)
    return beach if isinstance(beach, str) else None


def unknown_codes(engine: Engine, codes: Iterable[str | None]) -> set[str]:
    """Those of `codes` that name no stored beach (no database work when none is given)."""
    wanted = {c for c in codes if c}
    if not wanted:
        return set()
    with engine.connect() as conn:
        return wanted - store.known_codes(conn, wanted)


def unknown_beach(code: str, prefix: Iterable[str | int] = ()) -> ErrorItem:
    return {
        "loc": [*prefix, *BEACH_LOC],
        "msg": f"{code!r} names no beach; see GET /api/v1/beaches, or record it with "
        "POST /api/v1/beaches",
    }


def check_named(engine: Engine, attributes: Any) -> None:
    """InvalidInput when the attributes name a beach that is not stored."""
    code = named(attributes)
    if code and unknown_codes(engine, [code]):
        raise InvalidInput("The report is not valid.", [unknown_beach(code)])


def batch_codes(features: Iterable[Mapping[str, Any]]) -> set[str]:
    """The beach codes a batch's raw features name (to look them all up at once)."""
    out = set()
    for feature in features:
        props = feature.get("properties") if isinstance(feature, Mapping) else None
        attributes = props.get("attributes") if isinstance(props, Mapping) else None
        beach = attributes.get("beach") if isinstance(attributes, Mapping) else None
        if isinstance(beach, str):
            out.add(beach)
    return out
