"""Column mappings: ready ones for known files (presets), and one written as JSON.

`eea-litterwatch` reads EEA Marine LitterWatch event exports (`BeachLength_m`, `EventDate`
as YYYYMMDD, `EventType` Cleanup or Monitoring, `lon_x1`/`lat_y1` to `lon_x2`/`lat_y2`, counts
per OSPAR/MSFD item in `G*` columns). `civicmap` reads CivicMap's own downloads in any format
(the columns `kind`, `category`, `observed_at`, `attributes.*` and so on).
"""

from __future__ import annotations

import dataclasses
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from mapping.errors import InvalidInput, error_items
from mapping.imports import sources
from mapping.imports.importer import ColumnMapping
from mapping.storage.sources import Source
from mapping.taxonomy import Kind

EEA_LITTERWATCH = ColumnMapping(
    kind="litter",
    category_column="EventType",
    category_values={"Cleanup": "cleanup", "Monitoring": "monitoring"},
    lon_column="lon_x1",
    lat_column="lat_y1",
    end_lon_column="lon_x2",
    end_lat_column="lat_y2",
    observed_column="EventDate",
    observed_format="%Y%m%d",
    attributes={"survey_length_m": "BeachLength_m"},
    item_columns=r"G\d+",
    description_columns=("BeachName", "BeachCountrycode", "CommunityName"),
    split_long_surveys=True,
    beach_sites=True,
)

CIVICMAP = ColumnMapping(
    kind="service",
    kind_column="kind",
    category_column="category",
    observed_column="observed_at",
    description_column="description",
    campaign_column="campaign",
    sensitive_column="sensitive",
    accuracy_column="accuracy_m",
    attributes_prefix="attributes.",
)

PRESETS: dict[str, ColumnMapping] = {"eea-litterwatch": EEA_LITTERWATCH, "civicmap": CIVICMAP}
# The source each preset's files come from, recorded with the import unless told otherwise
# (CivicMap's own downloads can come from anywhere, so that preset names none).
PRESET_SOURCES: dict[str, Source] = {"eea-litterwatch": sources.EEA_LITTERWATCH}
Preset = Literal["eea-litterwatch", "civicmap"]


class MappingSpec(BaseModel):
    """A column mapping as JSON: a `preset`, or `kind` with the category, or both (the
    members given change the preset's). Member names are ColumnMapping's."""

    model_config = ConfigDict(extra="forbid")

    preset: Preset | None = None
    kind: Kind | None = None
    kind_column: str | None = None
    category: str | None = None
    category_column: str | None = None
    category_values: dict[str, str] | None = None
    lon_column: str | None = None
    lat_column: str | None = None
    end_lon_column: str | None = None
    end_lat_column: str | None = None
    observed_at: str | None = None
    observed_column: str | None = None
    observed_format: str | None = None
    description_column: str | None = None
    description_columns: tuple[str, ...] | None = None
    campaign: str | None = None
    campaign_column: str | None = None
    sensitive_column: str | None = None
    accuracy_column: str | None = None
    attributes: dict[str, str] | None = None
    constants: dict[str, Any] | None = None
    attributes_prefix: str | None = None
    item_columns: str | None = None
    split_long_surveys: bool | None = None


def mapping_from(obj: Any, loc: str = "mapping") -> ColumnMapping:
    """The ColumnMapping that a JSON object describes; InvalidInput says what is wrong."""
    try:
        spec = MappingSpec.model_validate(obj)
    except ValidationError as exc:
        raise InvalidInput("The column mapping is not valid.", error_items(exc, [loc])) from None
    given = spec.model_dump(exclude_none=True, exclude={"preset"})
    if spec.preset is not None:
        return dataclasses.replace(PRESETS[spec.preset], **given)
    if spec.kind is None:
        raise _missing(loc, "kind", "give `kind` (service, litter or hotspot) or a `preset`")
    if not (spec.category or spec.category_column or spec.kind_column):
        raise _missing(loc, "category", "give `category` or `category_column`")
    return ColumnMapping(**given)


def _missing(loc: str, name: str, msg: str) -> InvalidInput:
    return InvalidInput(
        f"The column mapping is incomplete: {msg}.", [{"loc": [loc, name], "msg": msg}]
    )
