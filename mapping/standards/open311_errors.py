"""GeoReport v2 errors: one `{code, description}` per problem, each naming the field the client
sent and the rule it broke.

Ingest locates a problem in the report (`properties.attributes.severity`), where a GeoReport
client sent `attribute[severity]`; `form_field` says it in the client's words, and `describe`
puts the field before the rule: `attribute[severity]: should be less than or equal to 5`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mapping.errors import CivicMapError, ErrorItem

_REQUEST_PARTS = ("query", "path", "body")
# The report members a GeoReport form sets as `attribute[...]` rather than by their name.
_AS_ATTRIBUTE = ("attributes", "reporter", "sensitive")
# Pydantic's wording, in the words of a form.
_PHRASES = (
    ("Field required", "is required"),
    ("Extra inputs are not permitted", "is not an attribute of this service"),
    ("Value error, ", ""),
    ("Input should be", "should be"),
)


def form_field(loc: Sequence[str | int]) -> str:
    """The GeoReport field that a problem's location in a report (or a request) stands for."""
    parts = [str(p) for p in loc]
    if parts[:1] and parts[0] in _REQUEST_PARTS:
        parts = parts[1:]
    if not parts:
        return "request"
    if parts == ["fmt"]:
        return "format (the path must end in .json or .xml)"
    if parts[:1] == ["geometry"]:
        axis = parts[2] if len(parts) > 2 else None
        return {"0": "long", "1": "lat"}.get(axis or "", "lat and long")
    if parts[:1] != ["properties"] or len(parts) < 2:
        return ".".join(parts)
    member = parts[1:]
    if member[0] in ("kind", "category"):
        return "service_code"
    if member[0] == "attributes":
        member = member[1:]
    elif member[0] not in _AS_ATTRIBUTE:
        return ".".join(member)
    return f"attribute[{'.'.join(member)}]"


def _rule(msg: str) -> str:
    for pydantic, ours in _PHRASES:
        msg = msg.replace(pydantic, ours)
    return msg


def describe(item: ErrorItem | dict[str, Any]) -> str:
    """`field: rule`, for one problem."""
    return f"{form_field(item['loc'])}: {_rule(str(item['msg']))}"


def georeport_errors(status: int, detail: str, items: Sequence[ErrorItem]) -> list[dict[str, Any]]:
    """The GeoReport v2 error list: one element per problem, or the detail alone when the
    error names no field (a bad key, a rate limit)."""
    if not items:
        return [{"code": status, "description": detail}]
    return [{"code": status, "description": describe(item)} for item in items]


def point_to_definition(exc: CivicMapError, service_code: str) -> None:
    """Make `exc`'s attribute problems point to the service definition that lists them."""
    definition = f"/open311/v2/services/{service_code}.json"
    for item in exc.errors:
        if form_field(item["loc"]).startswith("attribute["):
            item["msg"] = f"{item['msg']}; {definition} lists the attributes"
