"""What a client may send: the report Feature and its attributes by kind, as pydantic models.

Members the server sets (`id`, `status`, `received_at`, `h3`, `areas`, `quality`) are not fields
here, so a client that sends them is ignored, never obeyed. Attributes are strict: an unknown
attribute is refused, since a misspelt one would otherwise be lost without a word.
"""

from __future__ import annotations

import math
import sys
import uuid
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    ValidationInfo,
    field_validator,
    model_validator,
)

from mapping.taxonomy import Kind

Sex = Literal["female", "male", "other", "undisclosed"]
AgeGroup = Literal["0-14", "15-24", "25-44", "45-64", "65+"]
Rating = Annotated[StrictInt, Field(ge=1, le=4)]
# The service attributes of the SDG 16.6.2 metadata; each service asks five of them.
Aspect = Literal[
    "access",
    "affordability",
    "quality",
    "equal_treatment",
    "courtesy",
    "timeliness",
    "effective_delivery",
]
# Washington Group short set: 1 no difficulty, 2 some, 3 a lot, 4 cannot do at all.
Difficulty = Annotated[StrictInt, Field(ge=1, le=4)]
SLUG_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$"
# An area code or an identifier: letters, digits and . _ -, at most 64.
AREA_CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
# Numbers are JSON numbers: "5" or true where a number belongs is refused, not read as 5 or 1.
Number = Annotated[StrictFloat, Field(allow_inf_nan=False)]
# More people than the largest city holds is a typing slip; it also keeps sums in 32 bits.
MAX_PEOPLE_AFFECTED = 10_000_000


def timestamp(value: Any) -> Any:
    """A date-time comes as RFC 3339 text with its timezone, never as a bare epoch number."""
    if isinstance(value, int | float):
        raise ValueError("give an RFC 3339 date-time with its timezone, not a number")
    return value


def subnormal(value: float) -> bool:
    """A number too close to zero to be a real position (5e-324): a sign of a broken sender."""
    return value != 0 and abs(value) < sys.float_info.min


def _no_nul(value: str | None) -> str | None:
    if value is not None and "\x00" in value:
        raise ValueError("must not contain the NUL character")
    if value is not None and not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("must be Unicode text (it holds a lone surrogate)") from None
    return value


# Text a person writes: PostgreSQL cannot store NUL in text, and no one means to type it; nor
# can it store half a surrogate pair, which no file or form in UTF-8 holds.
Text = Annotated[str, AfterValidator(_no_nul)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ServiceAttributes(_Strict):
    name: Annotated[str, Field(max_length=200)] | None = None
    status: Literal["operational", "partly", "closed"] | None = None
    satisfaction: Rating | None = None
    # Why the overall question has no rating, where it has none: SDG 16.6.2 counts these apart.
    satisfaction_missing: Literal["dont_know", "refused"] | None = None
    aspects: dict[Aspect, Rating] = Field(default_factory=dict)

    _nul = field_validator("name")(_no_nul)

    @model_validator(mode="after")
    def _one_answer(self) -> ServiceAttributes:
        if self.satisfaction is not None and self.satisfaction_missing is not None:
            raise ValueError("give satisfaction or satisfaction_missing, not both")
        return self


class LitterAttributes(_Strict):
    survey_length_m: Annotated[Number, Field(gt=0, le=1000)]
    items: Annotated[dict[str, Annotated[StrictInt, Field(ge=0, le=100_000)]], Field(min_length=1)]
    # The code of the beach surveyed (GET /api/v1/beaches); it must name a stored beach.
    beach: Annotated[str, Field(pattern=SLUG_PATTERN)] | None = None


class HotspotAttributes(_Strict):
    severity: Annotated[StrictInt, Field(ge=1, le=5)]
    people_affected: Annotated[StrictInt, Field(ge=0, le=MAX_PEOPLE_AFFECTED)] | None = None


ATTRIBUTES_BY_KIND: dict[str, type[BaseModel]] = {
    "service": ServiceAttributes,
    "litter": LitterAttributes,
    "hotspot": HotspotAttributes,
}


class WashingtonGroup(_Strict):
    """The Washington Group short set on functioning: difficulty in six domains."""

    seeing: Difficulty | None = None
    hearing: Difficulty | None = None
    walking: Difficulty | None = None
    cognition: Difficulty | None = None
    self_care: Difficulty | None = None
    communication: Difficulty | None = None

    def digits(self) -> str | None:
        """The answers as six digits in the set's order, 0 where not asked; None if none."""
        answers = [getattr(self, d) for d in WG_ORDER]
        if all(a is None for a in answers):
            return None
        return "".join(str(a or 0) for a in answers)


WG_ORDER = ("seeing", "hearing", "walking", "cognition", "self_care", "communication")


class Reporter(_Strict):
    sex: Sex | None = None
    age_group: AgeGroup | None = None
    disability: StrictBool | None = None
    washington_group: WashingtonGroup | None = None
    # Where the reporter lives: an area code, for disaggregation by residence.
    residence: Annotated[str, Field(pattern=AREA_CODE_PATTERN)] | None = None
    # Who the rating is by, where one sender submits for several people (an enumerator's
    # interview number) or a page keeps a token of its own: SDG 16.6.2 counts a person once.
    respondent: Annotated[str, Field(pattern=AREA_CODE_PATTERN)] | None = None


class ReportProperties(BaseModel):
    # Unknown members, the server's own among them, are ignored (never taken from the client).
    model_config = ConfigDict(extra="ignore")

    kind: Kind
    category: Annotated[str, Field(min_length=1, max_length=64)]
    observed_at: AwareDatetime
    client_id: uuid.UUID | None = None
    accuracy_m: Annotated[Number, Field(gt=0, le=10_000)] | None = None
    campaign: Annotated[str, Field(pattern=SLUG_PATTERN)] | None = None
    description: str | None = None
    sensitive: StrictBool = False
    reporter: Reporter | None = None
    # Checked against the model of the report's kind once the kind is known (ingest.py).
    attributes: dict[str, Any] = Field(default_factory=dict)

    _observed_at = field_validator("observed_at", mode="before")(timestamp)

    @field_validator("description")
    @classmethod
    def _description(cls, value: str | None, info: ValidationInfo) -> str | None:
        _no_nul(value)
        limit = (info.context or {}).get("max_text_chars", 2000)
        if value is not None and len(value) > limit:
            raise ValueError(f"is {len(value)} characters long; at most {limit} are allowed")
        return value


class PointGeometry(BaseModel):
    model_config = ConfigDict(extra="ignore")

    type: Literal["Point"]
    coordinates: Annotated[list[StrictFloat], Field(min_length=2, max_length=3)]

    @field_validator("coordinates")
    @classmethod
    def _lon_lat(cls, value: list[float]) -> list[float]:
        if not all(math.isfinite(v) for v in value):
            raise ValueError("coordinates must be finite numbers")
        if any(subnormal(v) for v in value):
            raise ValueError("coordinates must be ordinary numbers, not subnormal ones (5e-324)")
        lon, lat = value[0], value[1]
        if not -180 <= lon <= 180:
            raise ValueError(f"longitude {lon} is outside -180..180 (order is [lon, lat])")
        if not -90 <= lat <= 90:
            raise ValueError(f"latitude {lat} is outside -90..90 (order is [lon, lat])")
        if lon == 0 and lat == 0:
            raise ValueError("[0, 0] is what a device sends without a position fix")
        return value


class ReportFeature(BaseModel):
    """A report as a client sends it: a GeoJSON Feature with a Point geometry."""

    model_config = ConfigDict(extra="ignore")

    type: Literal["Feature"]
    geometry: PointGeometry
    properties: ReportProperties

    @property
    def lon(self) -> float:
        return self.geometry.coordinates[0]

    @property
    def lat(self) -> float:
        return self.geometry.coordinates[1]


class ReportCollection(BaseModel):
    """A batch: a GeoJSON FeatureCollection of report Features (each checked on its own)."""

    model_config = ConfigDict(extra="ignore")

    type: Literal["FeatureCollection"]
    features: list[dict[str, Any]]
