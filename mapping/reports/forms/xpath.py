"""The XPath of a form's `required`, `constraint` and `relevant`, evaluated as ODK clients do.

elementpath parses and walks XPath 1.0 over the answers' instance document; this module adds
what XForms puts on top of XPath 1.0, as ODK Collect and Enketo evaluate it:

- ODK's functions: `selected()`, `count-selected()`, `regex()`, `today()`, `now()`, `if()`,
  `coalesce()`, `int()`, `date()`, `boolean-from-string()`;
- `<`, `<=`, `>`, `>=` read a date (`2024-05-01`) as its day count since 1970, so
  `. <= today()` works, and an empty or unreadable value as NaN (every comparison with it is
  false), where plain XPath 1.0 would read a date as NaN and elementpath would raise.

Anything else (another function, `instance()`, a syntax error) is refused when the form is
uploaded, so a stored form never holds an expression this module cannot evaluate.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any
from xml.etree.ElementTree import Element

import regex
from elementpath import XPath1Parser, XPathContext
from elementpath.exceptions import ElementPathError
from elementpath.xpath_tokens import XPathToken

_DATE = re.compile(r"\s*(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2}))?[^\s]*)?\s*")
_EPOCH = date(1970, 1, 1)
_RELATIONAL: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
# Longest regex() pattern and subject a form may make us match, and the longest a match may
# take: a pattern that backtracks without end (`(a+)+$`, or one a respondent's answer gives)
# refuses the answer instead of holding a worker. The `regex` package, unlike `re`, can stop.
MAX_REGEX_TEXT = 2000
REGEX_TIMEOUT_S = 0.25


class ExpressionError(ValueError):
    """An expression this module cannot parse or evaluate; the message says why."""


class OdkParser(XPath1Parser):
    """XPath 1.0 with ODK's functions; its own symbol table, so elementpath's stays as it is."""

    symbol_table = dict(XPath1Parser.symbol_table)  # noqa: RUF012 - elementpath's design


def _first(token: XPathToken, context: Any, index: int) -> Any:
    value = token[index].evaluate(context)
    if isinstance(value, list):
        return value[0] if value else ""
    return value


def _text(token: XPathToken, context: Any, index: int) -> str:
    value = _first(token, context, index)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(token.string_value(value))


def as_number(text: Any) -> float:
    """A value as the relational operators read it: a number, a date as days since 1970
    (a time of day as the fraction), anything else NaN."""
    if isinstance(text, bool):
        return 1.0 if text else 0.0
    if isinstance(text, int | float):
        return float(text)
    text = str(text)
    try:
        return float(text)
    except ValueError:
        pass
    match = _DATE.fullmatch(text)
    if match is None:
        return math.nan
    y, m, d, hh, mm, ss = (int(g) if g else 0 for g in match.groups())
    try:
        days = (date(y, m, d) - _EPOCH).days
    except ValueError:
        return math.nan
    return days + (hh * 3600 + mm * 60 + ss) / 86400


def _relational(self: XPathToken, context: Any = None) -> bool:
    compare = _RELATIONAL[self.symbol]
    sides = []
    for item in (self[0], self[1]):
        value = item.evaluate(context)
        values = value if isinstance(value, list) else [value]
        sides.append(
            [
                as_number(v if isinstance(v, bool | int | float) else item.string_value(v))
                for v in values
            ]
        )
    return any(compare(a, b) for a in sides[0] for b in sides[1])


for _symbol in _RELATIONAL:
    _base = OdkParser.symbol_table[_symbol]
    OdkParser.symbol_table[_symbol] = type(
        f"_Odk{_base.__name__}", (_base,), {"evaluate": _relational, "__module__": __name__}
    )


def _function(name: str, nargs: int | tuple[int, int]) -> Callable[[Callable[..., Any]], Any]:
    OdkParser.function(name, nargs=nargs)
    return OdkParser.method(name)


@_function("selected", nargs=2)
def evaluate__selected(self: XPathToken, context: Any = None) -> bool:
    return _text(self, context, 1).strip() in _text(self, context, 0).split()


@_function("count-selected", nargs=1)
def evaluate__count_selected(self: XPathToken, context: Any = None) -> float:
    return float(len(_text(self, context, 0).split()))


@_function("regex", nargs=2)
def evaluate__regex(self: XPathToken, context: Any = None) -> bool:
    subject, pattern = _text(self, context, 0), _text(self, context, 1)
    if len(subject) > MAX_REGEX_TEXT or len(pattern) > MAX_REGEX_TEXT:
        return False
    try:
        return regex.search(pattern, subject, timeout=REGEX_TIMEOUT_S) is not None
    except (regex.error, TimeoutError):
        return False


# A phone's today() is its own time zone's; the server does not know it, so its today() is
# the latest date anywhere on Earth (UTC+14): a date that is today on the phone is never
# refused as in the future.
LATEST_ZONE = timedelta(hours=14)


@_function("today", nargs=0)
def evaluate__today(self: XPathToken, context: Any = None) -> str:
    return (datetime.now(UTC) + LATEST_ZONE).date().isoformat()


@_function("now", nargs=0)
def evaluate__now(self: XPathToken, context: Any = None) -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@_function("if", nargs=3)
def evaluate__if(self: XPathToken, context: Any = None) -> Any:
    chosen = 1 if self.boolean_value(self[0].evaluate(context)) else 2
    return self[chosen].evaluate(context)


@_function("coalesce", nargs=2)
def evaluate__coalesce(self: XPathToken, context: Any = None) -> str:
    first = _text(self, context, 0)
    return first if first != "" else _text(self, context, 1)


@_function("int", nargs=1)
def evaluate__int(self: XPathToken, context: Any = None) -> float:
    value = as_number(_text(self, context, 0))
    return value if math.isnan(value) or math.isinf(value) else float(math.trunc(value))


@_function("date", nargs=1)
def evaluate__date(self: XPathToken, context: Any = None) -> str:
    value = _first(self, context, 0)
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return date.fromordinal(_EPOCH.toordinal() + int(value)).isoformat()
    return _text(self, context, 0)[:10]


@_function("boolean-from-string", nargs=1)
def evaluate__boolean_from_string(self: XPathToken, context: Any = None) -> bool:
    return _text(self, context, 0).strip() in ("true", "1")


@lru_cache(maxsize=1024)
def compile_expression(expression: str) -> XPathToken:
    """Parse once; raise ExpressionError naming what is wrong."""
    try:
        return OdkParser().parse(expression)
    except ElementPathError as exc:
        raise ExpressionError(_reason(exc)) from None
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:
        raise ExpressionError(str(exc)[:200] or type(exc).__name__) from None


def _reason(exc: ElementPathError) -> str:
    message = str(getattr(exc, "message", "") or exc)
    return message.split("] ", 1)[-1][:200]


def is_true(expression: str, root: Element, node: Element | None) -> bool:
    """Whether `expression` holds with `node` as `.` in the instance `root`."""
    token = compile_expression(expression)
    context = XPathContext(root, item=node if node is not None else root)
    try:
        return bool(token.boolean_value(token.evaluate(context)))
    except ElementPathError as exc:
        raise ExpressionError(_reason(exc)) from None
    except (ValueError, TypeError, ArithmeticError, RecursionError) as exc:
        raise ExpressionError(str(exc)[:200] or type(exc).__name__) from None
