"""Answers checked against the form version they answer, whatever client sent them.

A client sends answers either as JSON values (our API) or as the text of an XForm instance
(ODK Collect, Enketo). Each is read by its question's type into a typed value, the typed
values are written back into an instance document as an XForm holds them, and each
question's `relevant`, `required` and `constraint` are evaluated on that document, in form
order, exactly as a client evaluates them. Every broken rule is an error item naming the
question (`["answers", name]`); nothing is stored unless all hold.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any
from xml.etree.ElementTree import Element, SubElement

from mapping.errors import ErrorItem, InvalidInput
from mapping.reports.forms.spec import FormSpec, Question
from mapping.reports.forms.xpath import ExpressionError, is_true

# XForms' int is JavaRosa's 32-bit integer; a decimal is bounded so that it stays exact enough.
INT_RANGE = (-(2**31), 2**31 - 1)
MAX_DECIMAL = 1e15
MAX_TEXT = 2000
_INT = re.compile(r"[+-]?\d{1,10}")
_DECIMAL = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d{1,3})?")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_NAME = re.compile(r"[^\s]{1,200}")
_FILE = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._()-]{0,199}")


@dataclass(frozen=True, slots=True)
class GeoPoint:
    lon: float
    lat: float
    altitude: float | None = None
    accuracy: float | None = None

    def xform_text(self) -> str:
        """As an XForm writes it: latitude first, then longitude, altitude and accuracy."""
        parts = [self.lat, self.lon, self.altitude or 0.0, self.accuracy or 0.0]
        return " ".join(repr(float(p)) for p in parts)


Value = str | int | float | date | list[str] | GeoPoint


class AnswerError(ValueError):
    """A value that its question's type cannot take; the message says what it must be."""


def check_answers(
    spec: FormSpec, given: Mapping[str, Any], *, source: str, media: frozenset[str] = frozenset()
) -> dict[str, Value]:
    """The typed answers of a response to `spec`, or InvalidInput naming each question that
    breaks a rule. `source` is `json` (JSON values) or `xform` (instance text); `media` names
    the files sent with it, which an image answer must name."""
    errors: list[ErrorItem] = []
    for name in given:
        if spec.question(name) is None or not spec.question(name).answered:  # type: ignore[union-attr]
            errors.append(_error(name, "is not a question of this form version"))
    typed: dict[str, Value] = {}
    for question in spec.answered:
        raw = given.get(question.name)
        try:
            value = read_value(question, raw, source=source)
        except AnswerError as exc:
            errors.append(_error(question.name, str(exc)))
            continue
        if value is not None:
            if question.type == "image" and value not in media:
                errors.append(_error(question.name, f"names {value!r}, a file not sent with it"))
                continue
            typed[question.name] = value
    if errors:
        raise InvalidInput(_detail(errors), errors)
    errors = _check_rules(spec, typed)
    if errors:
        raise InvalidInput(_detail(errors), errors)
    return typed


def read_value(question: Question, raw: Any, *, source: str) -> Value | None:
    """One answer as its type reads it; None when it is empty."""
    if raw is None or (isinstance(raw, str) and raw.strip() == ""):
        return None
    if source == "xform" and not isinstance(raw, str):
        raise AnswerError("must be text")
    reader = _READERS[question.type]
    value: Value = reader(raw, source == "xform")
    if question.type == "select_one" and value not in question.choice_names():
        raise AnswerError(f"{value!r} is not one of its choices ({_names(question)})")
    if isinstance(value, list):
        unknown = [v for v in value if v not in question.choice_names()]
        if unknown:
            raise AnswerError(f"{unknown[0]!r} is not one of its choices ({_names(question)})")
    return value


def _text(raw: Any, _: bool) -> str:
    if not isinstance(raw, str):
        raise AnswerError("must be text")
    if len(raw) > MAX_TEXT or "\x00" in raw:
        raise AnswerError(f"must be at most {MAX_TEXT} characters, without NUL")
    return raw


def _integer(raw: Any, from_text: bool) -> int:
    if from_text:
        if not _INT.fullmatch(raw.strip()):
            raise AnswerError("must be a whole number")
        value = int(raw.strip())
    elif isinstance(raw, int) and not isinstance(raw, bool):
        value = raw
    else:
        raise AnswerError("must be a whole number (a JSON integer)")
    if not INT_RANGE[0] <= value <= INT_RANGE[1]:
        raise AnswerError(f"must be between {INT_RANGE[0]} and {INT_RANGE[1]}")
    return value


def _decimal(raw: Any, from_text: bool) -> float:
    if from_text:
        if not _DECIMAL.fullmatch(raw.strip()):
            raise AnswerError("must be a number")
        value = float(raw.strip())
    elif isinstance(raw, int | float) and not isinstance(raw, bool):
        value = float(raw)
    else:
        raise AnswerError("must be a number")
    if not math.isfinite(value) or abs(value) > MAX_DECIMAL:
        raise AnswerError(f"must be a finite number of at most {MAX_DECIMAL:g} in size")
    return value


def _choice(raw: Any, _: bool) -> str:
    if not isinstance(raw, str) or not _NAME.fullmatch(raw.strip()):
        raise AnswerError("must be the name of one choice")
    return raw.strip()


def _choices(raw: Any, from_text: bool) -> list[str]:
    items = raw.split() if from_text else raw
    if not isinstance(items, list) or not all(
        isinstance(i, str) and _NAME.fullmatch(i) for i in items
    ):
        raise AnswerError(
            "must be a list of choice names"
            if not from_text
            else "must be choice names separated by spaces"
        )
    if len(set(items)) != len(items):
        raise AnswerError("names a choice twice")
    return list(items)


def _date(raw: Any, _: bool) -> date:
    if not isinstance(raw, str) or not _DATE.fullmatch(raw.strip()):
        raise AnswerError("must be a date, YYYY-MM-DD")
    try:
        value = date.fromisoformat(raw.strip())
    except ValueError:
        raise AnswerError("must be a date, YYYY-MM-DD") from None
    if value.year < 1900:
        raise AnswerError("must be a date after 1900")
    return value


def _geopoint(raw: Any, from_text: bool) -> GeoPoint:
    """XForm text is `lat lon [altitude [accuracy]]`; JSON is `[lon, lat]` (lon first, as
    GeoJSON), `[lon, lat, altitude]`, or `{"coordinates": [...], "accuracy_m": n}`."""
    accuracy: Any = None
    if from_text:
        try:
            parts = [float(p) for p in raw.split()]
        except ValueError:
            raise AnswerError("must be 'latitude longitude [altitude [accuracy]]'") from None
        if not 2 <= len(parts) <= 4:
            raise AnswerError("must be 'latitude longitude [altitude [accuracy]]'")
        coords = [parts[1], parts[0], *parts[2:3]]
        accuracy = parts[3] if len(parts) == 4 else None
    else:
        if isinstance(raw, dict):
            if set(raw) - {"coordinates", "accuracy_m"}:
                raise AnswerError("takes only 'coordinates' and 'accuracy_m'")
            accuracy, raw = raw.get("accuracy_m"), raw.get("coordinates")
        if (
            not isinstance(raw, list)
            or not 2 <= len(raw) <= 3
            or not all(isinstance(c, int | float) and not isinstance(c, bool) for c in raw)
        ):
            raise AnswerError("must be [longitude, latitude] or [longitude, latitude, altitude]")
        coords = [float(c) for c in raw]
    lon, lat = coords[0], coords[1]
    if not (-180 <= lon <= 180 and -90 <= lat <= 90) or not all(map(math.isfinite, coords)):
        raise AnswerError("is outside -180..180 longitude, -90..90 latitude")
    if abs(lon) < 1e-9 and abs(lat) < 1e-9:
        raise AnswerError("is 0, 0: what a device sends without a position")
    altitude = coords[2] if len(coords) == 3 else None
    if altitude is not None and abs(altitude) > 20000:
        raise AnswerError("has an altitude beyond 20 km")
    if accuracy is not None:
        if isinstance(accuracy, bool) or not isinstance(accuracy, int | float):
            raise AnswerError("accuracy_m must be a number")
        if not 0 <= accuracy <= 100000:
            raise AnswerError("accuracy must be between 0 and 100 km")
        accuracy = float(accuracy) or None
    return GeoPoint(lon=lon, lat=lat, altitude=altitude or None, accuracy=accuracy)


def _image(raw: Any, _: bool) -> str:
    if not isinstance(raw, str) or not _FILE.fullmatch(raw.strip()):
        raise AnswerError("must be the file name of an image sent with the response")
    return raw.strip()


_READERS: dict[str, Callable[[Any, bool], Value]] = {
    "text": _text,
    "integer": _integer,
    "decimal": _decimal,
    "select_one": _choice,
    "select_multiple": _choices,
    "date": _date,
    "geopoint": _geopoint,
    "image": _image,
}


def xform_text(value: Value) -> str:
    """A typed answer as an XForm instance holds it."""
    if isinstance(value, GeoPoint):
        return value.xform_text()
    if isinstance(value, list):
        return " ".join(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    return str(value)


def instance(spec: FormSpec, answers: Mapping[str, Value]) -> tuple[Element, dict[str, Element]]:
    """The instance document of the answers, and each question's node in it."""
    root = Element(spec.root)
    nodes: dict[str, Element] = {}
    for question in spec.questions:
        parent = root
        for part in question.path.strip("/").split("/")[1:-1]:
            found = parent.find(part)
            parent = found if found is not None else SubElement(parent, part)
        node = SubElement(parent, question.name)
        value = answers.get(question.name)
        node.text = "" if value is None else xform_text(value)
        nodes[question.name] = node
    return root, nodes


def _check_rules(spec: FormSpec, answers: dict[str, Value]) -> list[ErrorItem]:
    root, nodes = instance(spec, answers)
    errors: list[ErrorItem] = []
    for question in spec.answered:
        node = nodes[question.name]
        answered = question.name in answers
        try:
            if question.relevant and not is_true(question.relevant, root, node):
                if answered:
                    errors.append(
                        _error(
                            question.name,
                            "does not apply to this response "
                            f"(relevant: {question.relevant}); leave it empty",
                        )
                    )
                continue
            if not answered:
                if question.required and is_true(question.required, root, node):
                    errors.append(_error(question.name, "is required"))
                continue
            if question.constraint and not is_true(question.constraint, root, node):
                errors.append(_error(question.name, _constraint_message(question)))
        except ExpressionError as exc:
            errors.append(_error(question.name, f"its rule cannot be evaluated: {exc}"))
    return errors


def _constraint_message(question: Question) -> str:
    message = question.constraint_message
    if isinstance(message, dict):
        message = next(iter(message.values()), None)
    text = f"breaks its constraint ({question.constraint})"
    return f"{text}: {message}" if message else text


def _names(question: Question) -> str:
    names = [c.name for c in question.choices]
    return ", ".join(names[:10]) + (", ..." if len(names) > 10 else "")


def _error(name: str, msg: str) -> ErrorItem:
    return {"loc": ["answers", name], "msg": msg}


def _detail(errors: list[ErrorItem]) -> str:
    first = errors[0]
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"Answer {first['loc'][-1]!r} {first['msg']}{more}."
