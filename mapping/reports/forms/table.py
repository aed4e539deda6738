"""Responses as GeoJSON Features, one typed column per question in every download.

What a caller sees of a response depends on its view (mapping.disclosure.publish.View):

- answers to questions marked `civicmap::personal` are reporter details: they are in no
  listing or download, for anyone, and leave the server only in protected aggregates;
- a geopoint answer may place a person or a sensitive place: without the exact-location role
  it is the centre of its H3 cell at the public resolution (the response's geometry too), and
  the time received is its day;
- image answers (file names of photos that may show people) only with the exact-location role.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from typing import Any

from sqlalchemy.engine import Engine, RowMapping

from mapping.disclosure.publish import View, rfc3339, utc
from mapping.reports.forms.answers import GeoPoint, Value
from mapping.reports.forms.responses import public_point, read_answers
from mapping.reports.forms.spec import FormSpec, Question
from mapping.storage import forms as store

# Column types by the names downloads know them by (mapping.export.table, which this room may
# not import: the API hands them over).
TEXT, INTEGER, REAL, DATE, DATETIME = "text", "integer", "real", "date", "datetime"
COLUMN_TYPES = {
    "text": TEXT,
    "integer": INTEGER,
    "decimal": REAL,
    "select_one": TEXT,
    "select_multiple": TEXT,
    "date": DATE,
    "geopoint": TEXT,
    "image": TEXT,
}
PAGE = 500


def personal(specs: Iterable[FormSpec]) -> frozenset[str]:
    """Questions marked personal in any version: unlisted in all of them, so that marking a
    question personal in a new version also hides the answers given to the old ones."""
    return frozenset(q.name for spec in specs for q in spec.questions if q.personal)


def listed_questions(
    spec: FormSpec, view: View, hidden: frozenset[str] = frozenset()
) -> list[Question]:
    """The questions whose answers this view lists."""
    return [
        q
        for q in spec.answered
        if not q.personal and q.name not in hidden and (q.type != "image" or view.exact_locations)
    ]


def column_types(
    spec: FormSpec, view: View, hidden: frozenset[str] = frozenset()
) -> dict[str, str]:
    """Every listed column with its type, as the form says."""
    types = {"form_id": TEXT, "form_version": TEXT, "received_at": DATETIME}
    for question in listed_questions(spec, view, hidden):
        types[f"answers.{question.name}"] = COLUMN_TYPES[question.type]
    return types


def response_feature(
    row: Mapping[Any, Any],
    answers: Mapping[str, Value],
    spec: FormSpec,
    view: View,
    hidden: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """One stored response as a Feature this view may see."""
    exact = view.exact_locations
    lon, lat = (row["lon"], row["lat"]) if exact else (row["public_lon"], row["public_lat"])
    received = utc(row["received_at"])
    if not exact:
        received = received.replace(hour=0, minute=0, second=0, microsecond=0)
    listed = {}
    for question in listed_questions(spec, view, hidden):
        listed[question.name] = _cell(answers.get(question.name), view)
    return {
        "type": "Feature",
        "id": str(row["id"]),
        "geometry": None if lon is None else {"type": "Point", "coordinates": [lon, lat]},
        "properties": {
            "form_id": row["form_id"],
            "form_version": row["version"],
            "received_at": rfc3339(received),
            "answers": listed,
        },
    }


def _cell(value: Value | None, view: View) -> Any:
    """An answer in its column: numbers as numbers, dates as ISO text, a point as WKT."""
    if value is None:
        return None
    if isinstance(value, GeoPoint):
        lon, lat = value.lon, value.lat
        if not view.exact_locations:
            lon, lat = public_point(lon, lat, view.public_resolution)
        return f"POINT ({lon!r} {lat!r})"
    if isinstance(value, date):
        return value.isoformat()
    return value


class ResponsePages:
    """The responses of a form (all versions) after seq `after`, at most `limit` (None: all),
    read page by page each time it is walked, so that a download can walk it twice with memory
    flat. `last_seq` is the seq of the last one walked, for a `next` cursor."""

    def __init__(
        self,
        engine: Engine,
        form_id: str,
        specs: Mapping[int, FormSpec],
        view: View,
        *,
        after: int = 0,
        limit: int | None = None,
    ) -> None:
        self.engine, self.form_id, self.specs, self.view = engine, form_id, specs, view
        self.hidden = personal(specs.values())
        self.after, self.limit = after, limit
        self.last_seq: int | None = None

    def __iter__(self) -> Iterator[dict[str, Any]]:
        walked = walk(self.engine, self.form_id, self.specs, after=self.after, limit=self.limit)
        for row, typed in walked:
            self.last_seq = row["seq"]
            yield response_feature(row, typed, self.specs[row["form_seq"]], self.view, self.hidden)


def walk(
    engine: Engine,
    form_id: str,
    specs: Mapping[int, FormSpec],
    *,
    after: int = 0,
    limit: int | None = None,
) -> Iterator[tuple[RowMapping, dict[str, Value]]]:
    """Each response of a form after seq `after` (at most `limit`) with its typed answers,
    read from storage a page at a time."""
    left = limit
    while left is None or left > 0:
        size = PAGE if left is None else min(PAGE, left)
        with engine.connect() as conn:
            rows = store.responses_page(conn, form_id, after=after, limit=size)
            answers = store.answers_of(conn, [r["seq"] for r in rows])
        for row in rows:
            yield row, read_answers(answers.get(row["seq"], []), specs[row["form_seq"]])
        if len(rows) < size:
            return
        after = rows[-1]["seq"]
        left = None if left is None else left - len(rows)


def union_types(specs: Mapping[int, FormSpec], view: View) -> dict[str, str]:
    """The columns of every version: a question whose type changed between versions is text."""
    types: dict[str, str] = {}
    hidden = personal(specs.values())
    for spec in specs.values():
        for name, kind in column_types(spec, view, hidden).items():
            types[name] = kind if types.get(name, kind) == kind else TEXT
    return types
