"""What each OGC API collection's features hold, typed, and which of it a filter may name.

Three JSON Schema documents come from one table per collection:

- the queryables (OGC API - Features Part 3): the properties a `filter` or a simple property
  parameter (`?kind=litter`) may name;
- the schema (Features Part 5): every property a feature carries, queryable or not;
- the GeoJSON Feature schema that a collection's `describedBy` link points to, which is what
  GDAL's OAPIF driver reads to type its fields (a page of nulls would otherwise make a hexagon
  indicator a text field).

Only public values are queryable. A report is filtered by its public position and public
observation time (a sensitive report's cell centre and day), never by its exact point or time,
its accuracy, who sent it or their details; the area and hexagon collections by the values they
publish, so a filter selects among what the unfiltered answer already shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mapping.analysis.aggregate import INDICATORS, KIND_COUNT
from mapping.storage.reports import PUBLIC_STATUSES
from mapping.taxonomy import KINDS, category_codes

JSON_SCHEMA = "https://json-schema.org/draft/2020-12/schema"


@dataclass(frozen=True, slots=True)
class Property:
    """One property of a collection's features. `type` is a JSON Schema type, or "geometry"
    (the feature's geometry, of `format`); a date-time is a string of format `date-time`."""

    name: str
    title: str
    type: str
    format: str | None = None
    enum: tuple[Any, ...] | None = None
    description: str | None = None
    queryable: bool = True

    @property
    def is_time(self) -> bool:
        return self.format == "date-time"

    @property
    def is_geometry(self) -> bool:
        return self.type == "geometry"

    def schema(self) -> dict[str, Any]:
        """The property as JSON Schema. One `type` each, never a list: GDAL's OAPIF driver
        reads no other form, and takes a property it cannot read for text."""
        if self.is_geometry:
            out: dict[str, Any] = {"title": self.title, "format": self.format}
            out["x-ogc-role"] = "primary-geometry"
            return out
        out = {"title": self.title, "type": self.type}
        if self.format:
            out["format"] = self.format
        if self.enum:
            out["enum"] = list(self.enum)
        if self.description:
            out["description"] = self.description
        return out


def _all_categories() -> tuple[str, ...]:
    return tuple(sorted(set().union(*(category_codes(k) for k in KINDS))))


_MEASURE = "attributes.{} of the report (public); null where the kind has none"

REPORTS = (
    Property("geometry", "Public position", "geometry", "geometry-point"),
    Property("kind", "Kind", "string", enum=tuple(KINDS)),
    Property("category", "Category", "string", enum=_all_categories()),
    Property("status", "Moderation status", "string", enum=PUBLIC_STATUSES),
    Property(
        "observed_at",
        "Observed at",
        "string",
        "date-time",
        description="public observation time: the day, at 00:00 UTC, for a sensitive report",
    ),
    Property("campaign", "Campaign", "string"),
    Property("description", "Description", "string"),
    Property("sensitive", "Sensitive", "boolean"),
    Property(
        "satisfaction",
        "Satisfaction (1-4)",
        "integer",
        description=_MEASURE.format("satisfaction"),
    ),
    Property("severity", "Severity (1-5)", "integer", description=_MEASURE.format("severity")),
    Property(
        "people_affected",
        "People affected",
        "integer",
        description=_MEASURE.format("people_affected"),
    ),
    Property(
        "survey_length_m",
        "Survey length (m)",
        "number",
        description=_MEASURE.format("survey_length_m"),
    ),
    # Shown, but not queryable: the server's receipt time, and what only describes the point.
    Property("received_at", "Received at", "string", "date-time", queryable=False),
    Property("accuracy_m", "GPS accuracy (m)", "number", queryable=False),
    Property("attributes", "Attributes by kind", "object", queryable=False),
    Property("h3", "H3 cell", "string", queryable=False),
    Property("areas", "Area codes by level", "object", queryable=False),
    Property("quality", "Quality flags", "array", queryable=False),
    Property("duplicate_of", "Duplicate of", "string", queryable=False),
    Property("photos", "Photos", "array", queryable=False),
    Property("location_generalised_to", "Location generalised to", "string", queryable=False),
)
AREAS = (
    Property("geometry", "Outline", "geometry", "geometry-multipolygon"),
    Property("code", "Code", "string"),
    Property("name", "Name", "string"),
    Property("level", "Administrative level", "integer"),
    Property("parent", "Parent area code", "string"),
    Property("updated_at", "Updated at", "string", "date-time"),
)

_NUMBERS = {
    "rated": "integer",
    "satisfied_share": "number",
    "mean_satisfaction": "number",
    "status_operational": "integer",
    "status_partly": "integer",
    "status_closed": "integer",
    "items": "integer",
    "surveyed_m": "number",
    "items_per_100m": "number",
    "plastic_share": "number",
    "mean_severity": "number",
    "people_affected": "integer",
}


def _hex_properties() -> tuple[Property, ...]:
    counts = [Property(KIND_COUNT[k], f"{k.capitalize()} reports", "integer") for k in KIND_COUNT]
    indicators = [
        Property(name, name.replace("_", " ").capitalize(), _NUMBERS[name])
        for kind in KINDS
        for name in INDICATORS[kind]
    ]
    return (
        Property("geometry", "Hexagon", "geometry", "geometry-polygon"),
        Property("h3", "H3 cell", "string"),
        Property("resolution", "H3 resolution", "integer"),
        Property("reports", "Reports", "integer"),
        Property("suppressed", "Suppressed", "boolean"),
        *counts,
        *indicators,
        Property("satisfied_share_ci", "Satisfied share, 95% interval", "array", queryable=False),
        Property("by_category", "Reports by kind and category", "object", queryable=False),
        Property("effort", "Observer visits", "integer"),
        Property("effort_suppressed", "Effort suppressed", "boolean"),
        Property("reports_per_visit", "Reports per visit", "number"),
    )


HEXES = _hex_properties()
_BY_SOURCE = {"reports": REPORTS, "areas": AREAS, "hexes": HEXES}


def properties(source: str) -> tuple[Property, ...]:
    """Every property of the features of a collection whose source is `source`."""
    return _BY_SOURCE[source]


def queryables(source: str) -> dict[str, Property]:
    """The properties a filter on a collection of `source` may name, by name."""
    return {p.name: p for p in properties(source) if p.queryable}


def queryables_document(source: str, href: str, title: str) -> dict[str, Any]:
    """The collection's queryables (Part 3) as a JSON Schema; `href` is its own URL."""
    return {
        "$schema": JSON_SCHEMA,
        "$id": href,
        "type": "object",
        "title": f"Queryables of {title}",
        "properties": {name: p.schema() for name, p in queryables(source).items()},
        "additionalProperties": False,
    }


def schema_document(source: str, href: str, title: str) -> dict[str, Any]:
    """Every property of the collection's features (Part 5 schema); `href` is its own URL."""
    return {
        "$schema": JSON_SCHEMA,
        "$id": href,
        "type": "object",
        "title": title,
        "properties": {p.name: _typed(p) for p in properties(source)},
    }


def feature_schema_document(source: str, href: str, title: str) -> dict[str, Any]:
    """A JSON Schema of one GeoJSON Feature of the collection, as GDAL's OAPIF driver reads a
    `describedBy` schema: its properties under `properties.properties`."""
    plain = [p for p in properties(source) if not p.is_geometry]
    geometry = next(p for p in properties(source) if p.is_geometry)
    return {
        "$schema": JSON_SCHEMA,
        "$id": href,
        "title": f"A feature of {title}",
        "type": "object",
        "required": ["type", "geometry", "properties"],
        "properties": {
            "type": {"type": "string", "enum": ["Feature"]},
            "id": {"type": "string"},
            "geometry": {"type": "object", "format": geometry.format},
            "properties": {
                "type": "object",
                "properties": {p.name: _typed(p) for p in plain},
            },
        },
    }


# What the array properties hold.
_ITEMS = {"satisfied_share_ci": "number", "quality": "string", "photos": "object"}


def _typed(p: Property) -> dict[str, Any]:
    out = p.schema()
    if p.type == "array":
        out["items"] = {"type": _ITEMS[p.name]}
    return out
