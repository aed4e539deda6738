"""The checked form of an OGC API filter (mapping.standards.ogc_filter): a small tree of
predicates over named properties with typed literals, and its evaluation on a published
GeoJSON feature, nulls taken as SQL takes them (unknown, so never selected)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Union

import shapely
import shapely.geometry


@dataclass(frozen=True, slots=True)
class Compare:
    name: str
    op: str  # = <> < <= > >=
    value: Any  # a literal, or Ref to another property


@dataclass(frozen=True, slots=True)
class Ref:
    name: str


@dataclass(frozen=True, slots=True)
class InList:
    name: str
    values: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Like:
    name: str
    pattern: str  # CQL2: % any run, _ one character, \ escapes


@dataclass(frozen=True, slots=True)
class IsNull:
    name: str


@dataclass(frozen=True, slots=True)
class Intersects:
    name: str
    shape: shapely.Geometry  # WGS84 lon/lat


@dataclass(frozen=True, slots=True)
class Const:
    """A comparison of two literals, decided when the filter is read."""

    value: bool


@dataclass(frozen=True, slots=True)
class Not:
    part: Predicate


@dataclass(frozen=True, slots=True)
class All:
    parts: tuple[Predicate, ...]


@dataclass(frozen=True, slots=True)
class Any_:
    parts: tuple[Predicate, ...]


Predicate = Union[Compare, InList, Like, IsNull, Intersects, Const, Not, All, Any_]  # noqa: UP007


def like_regex(pattern: str) -> re.Pattern[str]:
    """A CQL2 LIKE pattern as a regular expression matching the whole value."""
    out, chars = [], iter(pattern)
    for c in chars:
        if c == "\\":
            out.append(re.escape(next(chars, "\\")))
        else:
            out.append({"%": ".*", "_": "."}.get(c) or re.escape(c))
    return re.compile("".join(out), re.DOTALL)


def matches(p: Predicate, feature: Mapping[str, Any]) -> bool:
    """Whether a feature (GeoJSON, as published) satisfies `p`, nulls as SQL takes them."""
    return _eval(p, feature) is True


def _eval(p: Predicate, feature: Mapping[str, Any]) -> bool | None:
    props = feature["properties"]
    if isinstance(p, All | Any_):
        found = [_eval(part, feature) for part in p.parts]
        decisive = not isinstance(p, All)
        if decisive in found:
            return decisive
        return None if None in found else not decisive
    if isinstance(p, Not):
        inner = _eval(p.part, feature)
        return None if inner is None else not inner
    if isinstance(p, Const):
        return p.value
    if isinstance(p, Intersects):
        return bool(shapely.intersects(p.shape, shapely.geometry.shape(feature["geometry"])))
    value = props.get(p.name)
    if isinstance(p, IsNull):
        return value is None
    if value is None:
        return None
    if isinstance(p, InList):
        return _time_like(value, p.values[0]) in p.values if p.values else False
    if isinstance(p, Like):
        return isinstance(value, str) and like_regex(p.pattern).fullmatch(value) is not None
    other = props.get(p.value.name) if isinstance(p.value, Ref) else p.value
    if other is None:
        return None
    try:
        return OPS[p.op](_time_like(value, other), _time_like(other, value))
    except (TypeError, ValueError):
        return None


def _time_like(value: Any, model: Any) -> Any:
    """A published time (RFC 3339 text) as a datetime, where it is compared with one."""
    if isinstance(value, str) and isinstance(model, datetime):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    return value


OPS = {
    "=": lambda a, b: a == b,
    "<>": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}
