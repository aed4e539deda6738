"""OGC API - Features Part 3 filters: CQL2 text or JSON, and simple property parameters
(`?kind=litter`), checked against a collection's queryables.

pygeofilter parses; what it gives is checked here into a small tree of predicates that name
only queryables, each value typed as its property is. Anything else (an unknown or
non-queryable property, a function, arithmetic, a value of the wrong type) is an InvalidQuery
that names it. The tree is then run in SQL over the reports' public columns
(mapping.standards.ogc_filter_sql), or in Python over the published properties of the area and
hexagon features (`matches`), which selects only among what the unfiltered answer shows.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import shapely
import shapely.geometry
from pygeofilter import ast, values
from pygeofilter.parsers.cql2_json import parse as parse_json
from pygeofilter.parsers.cql2_text import parse as parse_text
from pyproj import Transformer
from pyproj.exceptions import ProjError
from shapely.ops import transform as shapely_transform

from mapping.errors import InvalidQuery
from mapping.standards.ogc_predicates import (
    OPS,
    All,
    Any_,
    Compare,
    Const,
    InList,
    Intersects,
    IsNull,
    Like,
    Not,
    Predicate,
    Ref,
)
from mapping.standards.ogc_queryables import Property, queryables

LANGS = ("cql2-text", "cql2-json")
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
FILTER_PARAMS = frozenset({"filter", "filter-lang", "filter-crs"})
# What holds of Part 3 and CQL2 (mapping.standards.ogc_filter_sql runs the same on both
# backends): every predicate of basic CQL2, LIKE, IN and BETWEEN, and S_INTERSECTS with any
# geometry literal or BBOX.
CONFORMANCE = (
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
)
# Long enough for any filter a person or a GIS writes; short enough that parsing stays cheap.
MAX_FILTER_CHARS = 20_000


_FLIP = {"=": "=", "<>": "<>", "<": ">", "<=": ">=", ">": "<", ">=": "<="}


def _bad(param: str, msg: str) -> InvalidQuery:
    return InvalidQuery(
        f"Query parameter {param!r}: {msg}.", [{"loc": ["query", param], "msg": msg}]
    )


def filter_params(source: str) -> set[str]:
    """The query parameters filtering adds to a collection's items: `filter`, `filter-lang`,
    `filter-crs` and one per queryable (simple property filters), geometry excepted."""
    names = {n for n, p in queryables(source).items() if not p.is_geometry}
    return set(FILTER_PARAMS) | names


def build(
    source: str,
    *,
    text: str | None,
    lang: str | None,
    crs: str = CRS84,
    params: Mapping[str, str],
) -> Predicate | None:
    """The predicate of a request for the items of a collection of `source`: its `filter`
    (in `lang`, with geometries in `crs`, a CRS URI the caller has checked is offered) and its
    simple property parameters, all of which must hold; None when it has neither."""
    known = queryables(source)
    parts: list[Predicate] = []
    for name, value in params.items():
        if name in known and not known[name].is_geometry:
            parts.append(Compare(name, "=", _coerce(known[name], value, name)))
    if lang is not None and lang not in LANGS:
        raise _bad("filter-lang", f"use {' or '.join(LANGS)}")
    if text is not None:
        parsed = _parse(text, lang or "cql2-text")
        try:
            parts.append(_Checker(known, crs).check(parsed))
        except RecursionError:
            raise _bad("filter", "is nested too deeply") from None
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else All(tuple(parts))


def _parse(text: str, lang: str) -> Any:
    if not text.strip():
        raise _bad("filter", "is empty; give a CQL2 expression, e.g. kind = 'litter'")
    if len(text) > MAX_FILTER_CHARS:
        raise _bad("filter", f"is longer than {MAX_FILTER_CHARS} characters")
    try:
        if lang == "cql2-json":
            return parse_json(_normalised(json.loads(text)))
        return parse_text(text)
    except InvalidQuery:
        raise
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, RecursionError) as e:
        raise _bad("filter", f"is not valid {lang}: {_first_line(e)}") from None
    except Exception as e:  # lark's parse errors, whose classes vary by version
        raise _bad("filter", f"is not valid {lang}: {_first_line(e)}") from None


def _first_line(e: BaseException) -> str:
    return (str(e).strip().splitlines() or [type(e).__name__])[0][:200]


def _normalised(node: Any) -> Any:
    """CQL2 JSON as pygeofilter 0.4 reads it right: each `{"bbox": [...]}` as the GeoJSON
    polygon it stands for (pygeofilter swaps a bbox's coordinates; heights are dropped), and
    `between` with its three arguments as the two comparisons it means."""
    if isinstance(node, list):
        return [_normalised(n) for n in node]
    if not isinstance(node, dict):
        return node
    args = node.get("args")
    if node.get("op") == "between" and isinstance(args, list) and len(args) == 3:
        # CQL2 JSON as published; pygeofilter 0.4 reads an older form ([lhs, [low, high]]).
        return {
            "op": "and",
            "args": [
                {"op": ">=", "args": [_normalised(args[0]), args[1]]},
                {"op": "<=", "args": [_normalised(args[0]), args[2]]},
            ],
        }
    if set(node) == {"bbox"} and isinstance(node["bbox"], list):
        b = node["bbox"]
        if len(b) == 6:
            b = [b[0], b[1], b[3], b[4]]
        if len(b) != 4 or not all(isinstance(v, int | float) for v in b):
            raise _bad("filter", "a bbox is 4 numbers (or 6, with heights)")
        return shapely.geometry.mapping(shapely.box(*b))
    return {k: _normalised(v) for k, v in node.items()}


class _Checker:
    """pygeofilter's AST to a Predicate over `known` queryables, or an InvalidQuery."""

    def __init__(self, known: Mapping[str, Property], crs: str) -> None:
        self.known = known
        self.crs = crs

    def check(self, node: Any) -> Predicate:
        if isinstance(node, ast.And | ast.Or):
            parts = (self.check(node.lhs), self.check(node.rhs))
            return All(parts) if isinstance(node, ast.And) else Any_(parts)
        if isinstance(node, ast.Not):
            return Not(self.check(node.sub_node))
        if isinstance(node, ast.Comparison):
            return self._compare(node.lhs, node.op.value, node.rhs)
        if isinstance(node, ast.Between):
            low = self._compare(self._attribute(node.lhs, "BETWEEN"), ">=", node.low)
            both = All((low, self._compare(node.lhs, "<=", node.high)))
            return Not(both) if node.not_ else both
        if isinstance(node, ast.In):
            prop = self._property(node.lhs, "IN")
            found = InList(prop.name, tuple(_coerce(prop, v, "filter") for v in node.sub_nodes))
            return Not(found) if node.not_ else found
        if isinstance(node, ast.Like):
            prop = self._property(node.lhs, "LIKE")
            if prop.type != "string" or prop.is_time or not isinstance(node.pattern, str):
                raise _bad(
                    "filter", f"LIKE needs a text property and a text pattern, not {prop.name!r}"
                )
            if node.nocase:
                raise _bad("filter", "ILIKE and CASEI are not supported; use LIKE")
            found_like = Like(prop.name, node.pattern)
            return Not(found_like) if node.not_ else found_like
        if isinstance(node, ast.IsNull):
            found_null = IsNull(self._property(node.lhs, "IS NULL").name)
            return Not(found_null) if node.not_ else found_null
        if isinstance(node, ast.GeometryIntersects):
            return self._intersects(node.lhs, node.rhs)
        if isinstance(node, ast.BBox):
            box = shapely.box(node.minx, node.miny, node.maxx, node.maxy)
            return self._intersects(node.lhs, _Shape(box))
        raise _bad("filter", f"{_describe(node)} is not supported; see /ogc/conformance")

    def _attribute(self, node: Any, where: str) -> ast.Attribute:
        if not isinstance(node, ast.Attribute):
            raise _bad(
                "filter", f"{where} needs a property name on its left, not {_describe(node)}"
            )
        return node

    def _property(self, node: Any, where: str) -> Property:
        return self._named(self._attribute(node, where).name)

    def _named(self, name: str) -> Property:
        prop = self.known.get(name)
        if prop is None:
            names = ", ".join(sorted(self.known))
            raise _bad("filter", f"{name!r} is not queryable here; queryables: {names}")
        return prop

    def _compare(self, lhs: Any, op: str, rhs: Any) -> Compare | Const:
        if not isinstance(lhs, ast.Attribute) and isinstance(rhs, ast.Attribute):
            lhs, rhs, op = rhs, lhs, _FLIP[op]
        if _is_literal(lhs) and _is_literal(rhs):
            try:
                return Const(bool(OPS[op](lhs, rhs)))
            except TypeError:
                raise _bad("filter", f"cannot compare {lhs!r} with {rhs!r}") from None
        prop = self._property(lhs, op)
        if prop.is_geometry:
            raise _bad("filter", f"compare {prop.name!r} with S_INTERSECTS, not {op}")
        if isinstance(rhs, ast.Attribute):
            other = self._named(rhs.name)
            if (other.type, other.format) != (prop.type, prop.format) and not (
                {other.type, prop.type} <= {"integer", "number"}
            ):
                raise _bad("filter", f"{prop.name!r} and {other.name!r} have different types")
            return Compare(prop.name, op, Ref(other.name))
        value = _coerce(prop, rhs, "filter")
        if isinstance(value, bool) and op not in ("=", "<>"):
            raise _bad("filter", f"{prop.name!r} is true or false: use = or <>")
        return Compare(prop.name, op, value)

    def _intersects(self, lhs: Any, rhs: Any) -> Intersects:
        if isinstance(rhs, ast.Attribute) and not isinstance(lhs, ast.Attribute):
            lhs, rhs = rhs, lhs
        prop = self._property(lhs, "S_INTERSECTS")
        if not prop.is_geometry:
            raise _bad("filter", f"S_INTERSECTS needs the geometry, not {prop.name!r}")
        return Intersects(prop.name, _literal_shape(rhs, self.crs))


@dataclass(frozen=True, slots=True)
class _Shape:
    geometry: shapely.Geometry


def _literal_shape(node: Any, crs: str) -> shapely.Geometry:
    """A geometry literal (WKT, GeoJSON or BBOX(...)) in `crs` as a valid WGS84 shape."""
    if isinstance(node, _Shape):
        shape = node.geometry
    elif isinstance(node, values.Geometry | values.Envelope):
        shape = shapely.geometry.shape(node.__geo_interface__)
    elif isinstance(node, ast.Function) and node.name.lower() == "bbox":
        numbers = list(node.arguments)
        if len(numbers) == 6:
            numbers = [numbers[0], numbers[1], numbers[3], numbers[4]]
        if len(numbers) != 4 or not all(_is_number(n) for n in numbers):
            raise _bad("filter", "BBOX takes 4 numbers (or 6, with heights)")
        shape = shapely.box(*numbers)
    else:
        raise _bad("filter", f"S_INTERSECTS needs a geometry literal, not {_describe(node)}")
    if crs != CRS84 and not shape.is_empty:
        shape = _to_crs84(shape, crs)
    x0, y0, x1, y1 = shape.bounds if not shape.is_empty else (0, 0, 0, 0)
    if shape.is_empty or not (-180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90):
        raise _bad("filter", "geometries are lon/lat in -180..180 and -90..90")
    return shape if shape.is_valid else shapely.make_valid(shape)


def _to_crs84(shape: shapely.Geometry, crs: str) -> shapely.Geometry:
    """`shape`, in `crs` (an EPSG URI, authority axis order), in CRS84; its edges densified
    first, since straight edges in one CRS bend in another."""
    code = crs.rsplit("/", 1)[-1]
    transformer = Transformer.from_crs(f"EPSG:{code}", "OGC:CRS84")
    x0, y0, x1, y1 = shape.bounds
    step = max(x1 - x0, y1 - y0) / 32
    dense = shapely.segmentize(shape, step) if step > 0 else shape
    try:
        moved = shapely_transform(transformer.transform, dense)
    except ProjError:
        moved = None
    if moved is None or not all(math.isfinite(v) for v in moved.bounds):
        raise _bad("filter", "a geometry lies outside the area where its filter-crs is defined")
    return moved


def _is_literal(v: Any) -> bool:
    return isinstance(v, str | int | float | bool | date)


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and v == v


def _coerce(prop: Property, value: Any, param: str) -> Any:
    """`value` as a value of `prop`'s type (query parameters arrive as text)."""
    wrong = _bad(param, f"{prop.name!r} takes {_kind(prop)}, not {_describe(value)}")
    if prop.is_time:
        return _as_time(value, wrong)
    if prop.type == "boolean":
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        if isinstance(value, bool):
            return value
        raise wrong
    if prop.type in ("integer", "number"):
        if isinstance(value, str):
            try:
                value = float(value) if prop.type == "number" else int(value)
            except ValueError:
                raise wrong from None
        if not _is_number(value) or abs(value) > 1e15:
            raise wrong
        return value
    if not isinstance(value, str):
        raise wrong
    if prop.enum and value not in prop.enum:
        raise _bad(param, f"{prop.name!r} is one of {', '.join(map(str, prop.enum))}")
    return value


def _as_time(value: Any, wrong: InvalidQuery) -> datetime:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise wrong from None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise wrong
        return value.astimezone(UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    raise wrong


def _kind(prop: Property) -> str:
    if prop.is_time:
        return "an RFC 3339 time with its timezone, e.g. TIMESTAMP('2025-06-01T00:00:00Z')"
    return {"string": "text", "boolean": "true or false"}.get(prop.type, f"a number ({prop.type})")


def _describe(node: Any) -> str:
    if isinstance(node, ast.Attribute):
        return f"property {node.name!r}"
    if isinstance(node, ast.Function):
        return f"function {node.name.upper()}()"
    if isinstance(node, ast.Node):
        return type(node).__name__
    text = repr(node)
    return text if len(text) <= 60 else text[:57] + "..."
