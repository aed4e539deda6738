"""Answers are checked by the form version's own rules, the same whether they come as JSON
values or as the text of an XForm instance, and each broken rule names its question."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from mapping.errors import InvalidInput
from mapping.reports.forms.answers import GeoPoint, check_answers
from mapping.reports.forms.spec import FormSpec
from mapping.reports.forms.xlsform import read_xlsform
from tests.forms import answers, workbook


@pytest.fixture(scope="module")
def spec() -> FormSpec:
    return read_xlsform(workbook()).spec


def refused(spec: FormSpec, given: dict[str, Any], source: str = "json") -> dict[str, str]:
    with pytest.raises(InvalidInput) as caught:
        check_answers(spec, given, source=source)
    return {str(e["loc"][-1]): e["msg"] for e in caught.value.errors}


def as_xform(given: dict[str, Any]) -> dict[str, str]:
    """The same answers as an ODK client writes them in its instance."""
    out = {}
    for name, value in given.items():
        if name == "market":
            out[name] = f"{value[1]} {value[0]} 0 4.5"
        elif isinstance(value, list):
            out[name] = " ".join(value)
        else:
            out[name] = str(value)
    return out


def test_valid_answers_come_back_typed(spec):
    typed = check_answers(spec, answers(), source="json")
    assert typed["price"] == 12.5 and isinstance(typed["price"], float)
    assert typed["quantity_kg"] == 50 and isinstance(typed["quantity_kg"], int)
    assert typed["seen_on"] == date(2026, 1, 15)
    assert typed["sellers"] == ["market_women"]
    assert typed["market"] == GeoPoint(lon=-0.2057, lat=5.5502)


def test_json_and_xform_answers_are_read_alike(spec):
    from_json = check_answers(spec, answers(), source="json")
    from_xform = check_answers(spec, as_xform(answers()), source="xform")
    assert from_xform.pop("market") == GeoPoint(lon=-0.2057, lat=5.5502, accuracy=4.5)
    from_json.pop("market")
    assert from_json == from_xform


@pytest.mark.parametrize("source", ["json", "xform"])
@pytest.mark.parametrize(
    ("changes", "question", "words"),
    [
        ({"price": 0}, "price", "between 0 and 10000"),
        ({"price": None}, "price", "required"),
        ({"quantity_kg": 0}, "quantity_kg", "constraint"),
        ({"good": "maize"}, "sellers", "does not apply"),
        ({"good": "beans"}, "good", "not one of its choices"),
        ({"sellers": ["market_women", "ghosts"]}, "sellers", "'ghosts'"),
        (
            {"seen_on": (datetime.now(UTC) + timedelta(days=3)).date().isoformat()},
            "seen_on",
            "today()",
        ),
        ({"unknown": "x"}, "unknown", "not a question"),
    ],
)
def test_a_broken_rule_names_its_question_whatever_the_client(
    spec, source, changes, question, words
):
    given = answers(**changes)
    errors = refused(spec, given if source == "json" else as_xform(given), source)
    assert question in errors, errors
    assert words in errors[question]


def test_json_answers_must_have_their_types(spec):
    errors = refused(
        spec,
        answers(price="12.5", quantity_kg=2.5, seen_on="15/01/2026", market=[5.55, -0.2, 1, 2, 3]),
    )
    assert set(errors) == {"price", "quantity_kg", "seen_on", "market"}


def test_a_position_at_zero_zero_or_off_the_globe_is_refused(spec):
    assert "0, 0" in refused(spec, answers(market=[0, 0]))["market"]
    assert "outside" in refused(spec, answers(market=[200, 5]))["market"]


def test_an_image_answer_must_name_a_file_sent_with_it(spec):
    assert "not sent" in refused(spec, answers(photo="stall.jpg"))["photo"]
    typed = check_answers(
        spec, answers(photo="stall.jpg"), source="json", media=frozenset({"stall.jpg"})
    )
    assert typed["photo"] == "stall.jpg"


def test_today_is_the_latest_date_on_earth_so_no_phone_is_told_its_today_is_future(spec):
    latest = (datetime.now(UTC) + timedelta(hours=14)).date()
    typed = check_answers(spec, answers(seen_on=latest.isoformat()), source="json")
    assert typed["seen_on"] == latest
    after = (latest + timedelta(days=1)).isoformat()
    assert "today()" in refused(spec, answers(seen_on=after))["seen_on"]


@pytest.mark.parametrize("pattern", ["^(a+)+$", "^(a|a)*$"])
def test_a_regex_that_backtracks_without_end_refuses_the_answer_instead_of_hanging(pattern):
    # Fails at the last character after trying every way to split the a's: 2**40 of them.
    rows = [["text", "code", "Code", "Code", "", f"regex(., '{pattern}')", "", "", ""]]
    slow = read_xlsform(workbook(rows, choices=None)).spec
    errors = refused(slow, {"code": "a" * 40 + "!"})
    assert "code" in errors
    check_answers(slow, {"code": "aaaa"}, source="json")
