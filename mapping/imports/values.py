"""Values read from a file, turned into what a report expects: text, numbers, times.

Files hold text (CSV, KML) or loosely typed values (GeoJSON, GeoPackage); report attributes are
strictly typed (a satisfaction is an integer, not "3"). Each value is converted to the type its
attribute has in the report schema of its kind, and left as it is when it does not convert, so
the report's own validation names the problem.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import cache
from typing import Any

from mapping.schemas import ATTRIBUTES_BY_KIND

# Downloads guard text that a spreadsheet would run as a formula with a leading apostrophe
# (mapping.export.to_csv); an import takes it off again.
FORMULA_STARTS = ("'=", "'+", "'-", "'@", "'\t", "'\r")
TRUE, FALSE = {"true", "yes", "1", "y", "t"}, {"false", "no", "0", "n", "f"}


def text(value: Any) -> str:
    """A value as stripped text ("" for nothing)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "" if value != value else repr(value)  # NaN is a missing value
    raw = str(value).strip()
    return raw[1:] if raw.startswith(FORMULA_STARTS) else raw


def truthy(value: Any) -> bool | None:
    """A yes/no value as a bool: booleans, numbers (GDAL reads a boolean column with gaps as
    1.0/0.0) and words such as true/yes/1; None for nothing or anything else."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return None if value != value else value != 0
    raw = text(value).lower()
    return True if raw in TRUE else False if raw in FALSE else None


@cache
def _field_types(kind: str) -> dict[str, str]:
    """JSON-schema type of each attribute of `kind` (for maps, the type of their values)."""
    model = ATTRIBUTES_BY_KIND.get(kind)
    if model is None:
        return {}
    schema = model.model_json_schema()
    types = {}
    for name, prop in schema.get("properties", {}).items():
        options = prop.get("anyOf", [prop])
        for option in options:
            kind_of = option.get("type")
            if kind_of == "object":
                kind_of = (option.get("additionalProperties") or {}).get("type", "object")
            if kind_of and kind_of != "null":
                types[name] = kind_of
                break
    return types


def coerce(kind: str, name: str, value: Any) -> Any:
    """`value` converted to the type of attribute `name` of `kind` (values of a map such as
    `items` to the map's value type); unchanged when it does not convert."""
    wanted = _field_types(kind).get(name)
    raw = text(value)
    try:
        if wanted == "integer":
            number = float(raw)
            return int(number) if number.is_integer() else value
        if wanted == "number":
            return float(raw)
        if wanted == "boolean":
            flag = truthy(value)
            return value if flag is None else flag
    except ValueError:
        return value
    if wanted == "string":
        return raw
    return value


def observed_time(value: Any, fmt: str | None = None) -> str:
    """An observation time as RFC 3339 text. `fmt` is a strptime format (e.g. `%Y%m%d`); a
    date alone is midnight, and a time without timezone is taken as UTC (files of past surveys
    rarely say); ValueError when the value does not read as a time."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime(value.year, value.month, value.day)
    else:
        raw = text(value)
        if not raw:
            raise ValueError("no observation time")
        try:
            parsed = (
                datetime.strptime(raw, fmt)
                if fmt
                else datetime.fromisoformat(raw.replace("Z", "+00:00"))
            )
        except ValueError:
            wanted = f"the format {fmt}" if fmt else "an RFC 3339 time"
            raise ValueError(f"observation time {raw!r} is not {wanted}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.isoformat()
