"""Open311 GeoReport v2 in the domain's words: services, their definitions, service requests.

Service codes are `{kind}-{category}` (`service-water_point`, `hotspot-sanitation`,
`litter-cleanup`): the taxonomy's categories, prefixed by their kind because `sanitation` and
`other` are categories of two kinds. Litter services are the three kinds of survey; the item
codes are their attributes (one count each), as on the OSPAR survey sheet.

A service request is a report seen by the public (disclosure.publish), so privacy holds here as
everywhere: `requested_datetime` is when it was observed, `updated_datetime` its last
moderation (else its receipt), and `status` is `open` for pending and verified reports,
`closed` for duplicates (hidden and rejected ones are never listed).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from mapping.errors import InvalidQuery, NotFound
from mapping.taxonomy import (
    HOTSPOT_THEMES,
    LITTER_ITEMS,
    LITTER_SURVEYS,
    SERVICE_CATEGORIES,
    Category,
)

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2025-06-01T00:00:00Z"  # when this service list last changed
DEFAULT_WINDOW = timedelta(days=90)
MAX_REQUESTS = 1000
OPEN, CLOSED = ("pending", "verified"), ("duplicate",)
GROUPS = {"service": "Public services", "litter": "Beach litter", "hotspot": "Community hotspots"}
CATEGORIES: dict[str, tuple[Category, ...]] = {
    "service": SERVICE_CATEGORIES,
    "litter": LITTER_SURVEYS,
    "hotspot": HOTSPOT_THEMES,
}
RATING = {1: "very dissatisfied", 2: "dissatisfied", 3: "satisfied", 4: "very satisfied"}
ASPECTS = ("access", "affordability", "quality", "equal_treatment", "courtesy", "timeliness")


def service_code(kind: str, category: str) -> str:
    return f"{kind}-{category}"


def parse_service_code(code: str) -> tuple[str, str]:
    """(kind, category) of a service code; NotFound when it names no service."""
    kind, _, category = code.partition("-")
    if kind not in CATEGORIES or category not in {c.code for c in CATEGORIES[kind]}:
        raise NotFound(f"There is no service {code!r}; see services.json.")
    return kind, category


def label_of(kind: str, category: str) -> str:
    found = {c.code: c.label for c in CATEGORIES.get(kind, ())}
    if kind == "litter":
        found.update({i.code: i.label for i in LITTER_ITEMS})
    return found.get(category, category)


def services() -> list[dict[str, Any]]:
    return [
        {
            "service_code": service_code(kind, c.code),
            "service_name": c.label,
            "description": f"{GROUPS[kind]}: {c.label}.",
            "metadata": True,
            "type": "realtime",
            "keywords": kind,
            "group": GROUPS[kind],
        }
        for kind, categories in CATEGORIES.items()
        for c in categories
    ]


def _attribute(
    code: str,
    datatype: str,
    description: str,
    *,
    required: bool = False,
    values: Mapping[Any, str] | None = None,
    note: str = "",
) -> dict[str, Any]:
    attribute: dict[str, Any] = {
        "variable": True,
        "code": code,
        "datatype": datatype,
        "required": required,
        "datatype_description": note or None,
        "order": 0,
        "description": description,
    }
    if values is not None:
        attribute["values"] = [{"key": str(k), "name": name} for k, name in values.items()]
    return attribute


def _kind_attributes(kind: str) -> list[dict[str, Any]]:
    if kind == "service":
        return [
            _attribute("name", "string", "Name of the service point"),
            _attribute(
                "status",
                "singlevaluelist",
                "Is the service working?",
                values={"operational": "operational", "partly": "partly", "closed": "closed"},
            ),
            _attribute(
                "satisfaction", "singlevaluelist", "Satisfaction with the service", values=RATING
            ),
            *(
                _attribute(
                    f"aspects.{a}",
                    "singlevaluelist",
                    f"Rating of {a.replace('_', ' ')}",
                    values=RATING,
                )
                for a in ASPECTS
            ),
        ]
    if kind == "hotspot":
        return [
            _attribute(
                "severity",
                "singlevaluelist",
                "How severe is it?",
                required=True,
                values={n: str(n) for n in range(1, 6)},
            ),
            _attribute("people_affected", "number", "How many people are affected?"),
        ]
    return [
        _attribute(
            "survey_length_m",
            "number",
            "Length of beach surveyed, in metres",
            required=True,
            note="more than 0, at most 1000",
        ),
        *(
            _attribute(f"items.{i.code}", "number", f"{i.label} ({i.material})", note="a count")
            for i in LITTER_ITEMS
        ),
    ]


COMMON = [
    _attribute(
        "sensitive",
        "singlevaluelist",
        "Show the public only the area of this report, never its point",
        values={"false": "no", "true": "yes"},
    ),
    _attribute(
        "reporter.sex",
        "singlevaluelist",
        "Your sex (used only in statistics)",
        values={v: v for v in ("female", "male", "other", "undisclosed")},
    ),
    _attribute(
        "reporter.age_group",
        "singlevaluelist",
        "Your age group (used only in statistics)",
        values={v: v for v in ("0-14", "15-24", "25-44", "45-64", "65+")},
    ),
    _attribute(
        "reporter.disability",
        "singlevaluelist",
        "Do you live with a disability? (used only in statistics)",
        values={"false": "no", "true": "yes"},
    ),
]


def definition(code: str) -> dict[str, Any]:
    kind, _ = parse_service_code(code)
    attributes = [*_kind_attributes(kind), *COMMON]
    for order, attribute in enumerate(attributes, start=1):
        attribute["order"] = order
    return {"service_code": code, "attributes": attributes}


def status_of(report_status: str) -> str:
    return "closed" if report_status in CLOSED else "open"


def statuses_for(value: str | None) -> tuple[str, ...]:
    """Our statuses behind Open311's `status` filter (`open`, `closed`, comma-separated)."""
    if not value:
        return (*OPEN, *CLOSED)
    wanted = {v.strip() for v in value.split(",") if v.strip()}
    if not wanted or wanted - {"open", "closed"}:
        raise InvalidQuery(
            "status must be open, closed, or both comma-separated.",
            [{"loc": ["status"], "msg": "must be open, closed, or both comma-separated"}],
        )
    return tuple(
        s for name, group in (("open", OPEN), ("closed", CLOSED)) if name in wanted for s in group
    )


def window(
    start: datetime | None, end: datetime | None, *, now: datetime
) -> tuple[datetime, datetime]:
    """The observation window searched: the last 90 days by default; given one end, 90 days
    from it; never more than 90 days, as the specification asks."""
    if start is None and end is None:
        return now - DEFAULT_WINDOW, now
    if start is None:
        assert end is not None
        return end - DEFAULT_WINDOW, end
    if end is None:
        return start, min(start + DEFAULT_WINDOW, max(now, start))
    if end < start:
        raise InvalidQuery(
            "end_date is before start_date.", [{"loc": ["end_date"], "msg": "is before start_date"}]
        )
    if end - start > DEFAULT_WINDOW:
        raise InvalidQuery(
            "start_date and end_date may span 90 days at most.",
            [{"loc": ["end_date"], "msg": "may be 90 days after start_date at most"}],
        )
    return start, end


def service_request(feature: Mapping[str, Any], updated: datetime | None) -> dict[str, Any]:
    """A public report Feature as an Open311 service request."""
    props = feature["properties"]
    lon, lat = feature["geometry"]["coordinates"][:2]
    photos = props.get("photos") or []
    duplicate_of = props.get("duplicate_of")
    received = props["received_at"]
    return {
        "service_request_id": feature["id"],
        "status": status_of(props["status"]),
        "status_notes": f"duplicate of {duplicate_of}" if duplicate_of else None,
        "service_name": label_of(props["kind"], props["category"]),
        "service_code": service_code(props["kind"], props["category"]),
        "description": props.get("description"),
        "agency_responsible": None,
        "service_notice": None,
        "requested_datetime": props["observed_at"],
        "updated_datetime": _rfc3339(updated) if updated else received,
        "expected_datetime": None,
        "address": None,
        "address_id": None,
        "zipcode": None,
        "lat": lat,
        "long": lon,
        "media_url": photos[0] if photos and isinstance(photos[0], str) else None,
    }


def _rfc3339(value: datetime) -> str:
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value.isoformat().replace("+00:00", "Z")


def discovery(base_url: str) -> dict[str, Any]:
    return {
        "changeset": CHANGESET,
        "contact": "The operator of this CivicMap service.",
        "key_service": "API keys are made by the operator (`civicmap keys create`); anonymous "
        "requests may be allowed, at a limited rate.",
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": base_url,
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["application/json", "text/xml"],
            }
        ],
    }
