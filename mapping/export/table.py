"""Nested properties as flat columns, and back.

Tables (CSV, GeoPackage, KML's ExtendedData) have one value per column, so nested members are
flattened with dotted names: `{"attributes": {"satisfaction": 3}}` becomes
`attributes.satisfaction`, `{"areas": {"1": "GH-AA"}}` becomes `areas.1`, and a list of plain
values such as `quality` becomes one text of its items joined by `;`. `unflatten` undoes this,
given which columns held lists. In a table a missing nested member and a null one look the same,
so a round trip keeps every value but may drop nested nulls.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from mapping.export.geometry import bounds

SEPARATOR = "."
LIST_SEPARATOR = ";"

# Column types. A column whose values need two types is REAL for integers and reals, else TEXT.
BOOLEAN, INTEGER, REAL, DATETIME, TEXT = "boolean", "integer", "real", "datetime", "text"
# A calendar date (`2026-03-01`): only a column declared so has it (a form's date question).
DATE = "date"
# An RFC 3339 date-time in UTC, as every time member is written (`2026-03-01T09:30:00Z`).
_UTC_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z")


def flatten(properties: Mapping[str, Any], lists: set[str] | None = None) -> dict[str, Any]:
    """`properties` with nested objects spread into dotted columns and lists joined by `;`;
    the names of the columns that held lists are added to `lists` when it is given."""
    out: dict[str, Any] = {}
    _spread(out, "", properties, lists)
    return out


def _spread(
    out: dict[str, Any], prefix: str, value: Mapping[str, Any], lists: set[str] | None
) -> None:
    for key, item in value.items():
        name = f"{prefix}{key}"
        if isinstance(item, Mapping):
            _spread(out, name + SEPARATOR, item, lists)
        elif isinstance(item, list | tuple):
            out[name] = join_list(item)
            if lists is not None:
                lists.add(name)
        else:
            out[name] = item


def join_list(items: Iterable[Any]) -> str:
    """Plain values joined by `;`; a list holding objects or lists is kept as JSON text."""
    values = list(items)
    if all(isinstance(v, str | int | float) and not isinstance(v, bool) for v in values):
        return LIST_SEPARATOR.join(str(v) for v in values)
    return orjson.dumps(values).decode()


def unflatten(flat: Mapping[str, Any], *, lists: Collection[str] = ()) -> dict[str, Any]:
    """Nested properties from dotted columns; `lists` names the columns that held lists.

    Nested nulls are dropped (a table cannot tell them from members that were never there);
    top-level nulls stay, since every feature of a collection has those members.
    """
    out: dict[str, Any] = {}
    for name, value in flat.items():
        if name in lists:
            value = split_list(value)
        path = name.split(SEPARATOR)
        if len(path) > 1 and value is None:
            continue
        target = out
        for part in path[:-1]:
            child = target.setdefault(part, {})
            if not isinstance(child, dict):  # a plain column and a group share a name
                break
            target = child
        else:
            target[path[-1]] = value
    return out


def split_list(value: Any) -> list[Any] | None:
    """The items of a `;`-joined list (or of JSON list text); None stays None."""
    if value is None:
        return None
    text = str(value)
    if text.startswith("["):
        try:
            parsed = orjson.loads(text)
        except orjson.JSONDecodeError:
            parsed = None
        if isinstance(parsed, list):
            return parsed
    return text.split(LIST_SEPARATOR) if text else []


def value_type(value: Any) -> str | None:
    """The column type a value needs (None for a null, which fits any)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return BOOLEAN
    if isinstance(value, int):
        return INTEGER
    if isinstance(value, float):
        return REAL
    if isinstance(value, str) and _UTC_TIME.fullmatch(value):
        return DATETIME
    return TEXT


def _natural(name: str) -> list[Any]:
    """Sort key that puts `items.G2` before `items.G10` and `areas.2` before `areas.10`."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


@dataclass(slots=True)
class Columns:
    """What a first pass over the features learns: the columns, their types, which held lists,
    the geometry types and the bounds. Memory grows with the number of columns, never rows."""

    types: dict[str, str | None] = field(default_factory=dict)
    groups: dict[str, list[str]] = field(default_factory=dict)
    lists: set[str] = field(default_factory=set)
    geometry_types: set[str] = field(default_factory=set)
    bounds: list[float] | None = None
    count: int = 0
    # Columns whose type the data's own schema gives (a form's questions): they are written
    # with it even when every value is null, and values never change it.
    declared: frozenset[str] = frozenset()

    def add(self, feature: Mapping[str, Any]) -> None:
        """Learn from one GeoJSON Feature."""
        self.count += 1
        for name, value in flatten(feature.get("properties") or {}, self.lists).items():
            self._column(name, value)
        geometry = feature.get("geometry")
        if geometry:
            self.geometry_types.add(geometry["type"])
            self._extend(geometry)

    def _column(self, name: str, value: Any) -> None:
        if name in self.declared:
            return
        kind = value_type(value)
        if name not in self.types:
            self.types[name] = kind
            self.groups.setdefault(name.split(SEPARATOR, 1)[0], []).append(name)
            return
        seen = self.types[name]
        if kind is None or seen == kind:
            return
        if seen is None:
            self.types[name] = kind
        elif {seen, kind} == {INTEGER, REAL}:
            self.types[name] = REAL
        else:
            self.types[name] = TEXT

    def _extend(self, geometry: Mapping[str, Any]) -> None:
        box = bounds(geometry)
        if box is None:
            return
        if self.bounds is None:
            self.bounds = list(box)
            return
        b = self.bounds
        self.bounds = [min(b[0], box[0]), min(b[1], box[1]), max(b[2], box[2]), max(b[3], box[3])]

    @property
    def names(self) -> list[str]:
        """The columns: top-level members in the order first seen, each group's nested members
        in natural order (`areas.1`, `areas.2`; `attributes.items.G1`, `...G2`)."""
        ordered: list[str] = []
        for group, names in self.groups.items():
            nested = sorted((n for n in names if n != group), key=_natural)
            ordered += [group] if group in names else []
            ordered += nested
        return ordered

    def type_of(self, name: str) -> str:
        return self.types.get(name) or TEXT

    @property
    def points_only(self) -> bool:
        return self.geometry_types == {"Point"}


def scan(
    features: Iterable[Mapping[str, Any]], declared: Mapping[str, str] | None = None
) -> Columns:
    """The first pass: walk every feature once and learn its columns (those `declared` come
    first, with the types given)."""
    columns = Columns(declared=frozenset(declared or ()))
    for name, kind in (declared or {}).items():
        columns.types[name] = kind
        columns.groups.setdefault(name.split(SEPARATOR, 1)[0], []).append(name)
    for feature in features:
        columns.add(feature)
    return columns
