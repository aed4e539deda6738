"""A POSTed GeoReport v2 service request as the report Feature it stands for.

The form is checked in its own words before it becomes a report: every missing or bad
`service_code`, `lat` and `long` is named at once, each with its rule, so that a client fixes
them in one go. What only the report's kind can decide (its attributes) is checked by ingest,
and open311_errors tells it back in the form's words.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from mapping.errors import ErrorItem, InvalidInput, NotFound
from mapping.imports.values import coerce
from mapping.standards.open311 import parse_service_code

SERVICES = "/open311/v2/services.json"
# WGS84 decimal degrees, as GeoReport v2 asks for `lat` and `long`.
RANGES = {"lat": (-90.0, 90.0), "long": (-180.0, 180.0)}


def unknown_service(code: str) -> ErrorItem:
    return {
        "loc": ["service_code"],
        "msg": f"{code!r} is not a service here; {SERVICES} lists them",
    }


def _service(code: str | None, errors: list[ErrorItem]) -> tuple[str, str] | None:
    if not code:
        errors.append({"loc": ["service_code"], "msg": f"is required; {SERVICES} lists the codes"})
        return None
    try:
        return parse_service_code(code)
    except NotFound:
        errors.append(unknown_service(code))
        return None


def _degrees(form: Mapping[str, str], name: str, errors: list[ErrorItem]) -> float | None:
    low, high = RANGES[name]
    rule = f"WGS84 decimal degrees from {low:g} to {high:g}"
    raw = (form.get(name) or "").strip()
    if not raw:
        placed_by = [a for a in ("address_string", "address_id") if form.get(a)]
        why = f" ({' and '.join(placed_by)} cannot be placed)" if placed_by else ""
        msg = f"is required, as CivicMap places every request at a point{why}; give {rule}"
        errors.append({"loc": [name], "msg": msg})
        return None
    try:
        value = float(raw)
    except ValueError:
        errors.append({"loc": [name], "msg": f"{raw!r} is not a number; give {rule}"})
        return None
    if not math.isfinite(value) or not low <= value <= high:
        errors.append({"loc": [name], "msg": f"{raw} is outside the range; give {rule}"})
        return None
    return value


def request_feature(form: Mapping[str, str], *, now: datetime) -> dict[str, Any]:
    """The report Feature a POSTed service request stands for; InvalidInput names each field
    to fix. Contact details (email, names, phone, device_id) are not kept: CivicMap stores no
    personal contact."""
    errors: list[ErrorItem] = []
    service = _service(form.get("service_code"), errors)
    lat, lon = _degrees(form, "lat", errors), _degrees(form, "long", errors)
    if service is None or lat is None or lon is None:
        raise InvalidInput("The service request is not valid.", errors)
    kind, category = service
    properties: dict[str, Any] = {
        "kind": kind,
        "category": category,
        "observed_at": now.isoformat(),
        "attributes": {},
    }
    if form.get("description"):
        properties["description"] = form["description"]
    for key, value in form.items():
        if key.startswith("attribute[") and key.endswith("]") and value != "":
            _set_attribute(properties, kind, key[len("attribute[") : -1], value)
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": properties,
    }


def _set_attribute(properties: dict[str, Any], kind: str, code: str, value: str) -> None:
    if code == "sensitive":
        properties["sensitive"] = value.strip().lower() == "true"
        return
    group, _, member = code.partition(".")
    if group == "reporter" and member:
        reporter = properties.setdefault("reporter", {})
        reporter[member] = value.strip().lower() == "true" if member == "disability" else value
        return
    target = properties["attributes"]
    if member:
        target = target.setdefault(group, {})
        target[member] = coerce(kind, group, value)
    else:
        target[group] = coerce(kind, group, value)
