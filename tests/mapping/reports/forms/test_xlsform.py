"""An XLSForm upload is converted by pyxform, and every problem names sheet, row and column as
the planner finds them in the spreadsheet."""

from __future__ import annotations

import pytest

from mapping.errors import InvalidInput
from mapping.reports.forms.xlsform import read_xlsform
from tests.forms import SURVEY, SURVEY_HEADER, workbook

HEADER = ["type", "name", "label", "required", "constraint", "relevant", "civicmap::personal"]


def problem(data: bytes) -> list[dict]:  # type: ignore[type-arg]
    with pytest.raises(InvalidInput) as caught:
        read_xlsform(data)
    return caught.value.errors  # type: ignore[return-value]


def test_the_market_survey_converts_with_its_types_rules_and_languages():
    converted = read_xlsform(workbook())
    spec = converted.spec
    assert (spec.form_id, spec.version, spec.title) == ("market_prices", "1", "Market prices")
    types = {q.name: q.type for q in spec.answered}
    assert types == {
        "market": "geopoint",
        "good": "select_one",
        "price": "decimal",
        "quantity_kg": "integer",
        "sellers": "select_multiple",
        "seen_on": "date",
        "note": "text",
        "age_group": "select_one",
        "photo": "image",
    }
    price = spec.question("price")
    assert price is not None and price.constraint == ". > 0 and . < 10000"
    assert price.required == "true()"
    sellers = spec.question("sellers")
    assert sellers is not None and sellers.relevant is not None and "/data/good" in sellers.relevant
    good = spec.question("good")
    assert good is not None
    assert [c.label for c in good.choices][1] == {"English (en)": "Maize", "French (fr)": "Maïs"}
    assert spec.languages == ("English (en)", "French (fr)")
    assert [q.name for q in spec.questions if q.personal] == ["age_group"]
    assert '<data id="market_prices" version="1">' in converted.xform


@pytest.mark.parametrize(
    ("row", "column", "words"),
    [
        (["repeat", "r", "R", "", "", "", ""], "type", "not supported"),
        (["integre", "q", "Q", "", "", "", ""], "type", "not supported"),
        (["text", "q", "Q", "", "foo(.) > 1", "", ""], "constraint", "unknown function 'foo'"),
        (["text", "q", "Q", "", "", "${nowhere} = 1", ""], "relevant", "nowhere"),
        (["text", "q", "Q", "", ". >", "", ""], "constraint", "cannot be evaluated"),
        (["text", "q", "Q", "", "", "", "maybe"], "civicmap::personal", "yes or no"),
        (["text", "2q", "Q", "", "", "", ""], "name", "names must begin"),
        (["select_one nolist", "q", "Q", "", "", "", ""], "type", "'nolist' is not on the choices"),
    ],
)
def test_a_broken_row_is_named_by_sheet_row_and_column(row, column, words):
    rows = [["text", "first", "First", "", "", "", ""], row]
    errors = problem(workbook(rows, header=HEADER, choices=None))
    assert errors[0]["loc"] == ["survey", 3, column], errors
    assert words.lower() in errors[0]["msg"].lower()


def test_a_name_used_twice_is_refused_at_its_second_row():
    rows = [
        ["begin group", "g", "G", "", "", "", ""],
        ["text", "q", "Q", "", "", "", ""],
        ["end group", "", "", "", "", "", ""],
        ["text", "q", "Q again", "", "", "", ""],
    ]
    errors = problem(workbook(rows, header=HEADER, choices=None))
    assert errors[0]["loc"] == ["survey", 5, "name"]
    assert "row 3" in errors[0]["msg"]


def test_a_form_needs_its_id_and_version_in_the_settings_sheet():
    assert problem(workbook(form_id=""))[0]["loc"] == ["settings", 2, "form_id"]
    assert problem(workbook(version="one two"))[0]["loc"] == ["settings", 2, "version"]


def test_a_file_that_is_no_workbook_is_refused():
    assert problem(b"PK\x03\x04 not really a zip")[0]["loc"] == ["file"]
    assert problem(b"type,name\ntext,q\n")[0]["loc"] == ["file"]


def test_questions_inside_a_group_keep_their_path():
    rows = [
        ["begin group", "stall", "Stall", "", "", "", ""],
        ["integer", "count", "Count", "yes", ". < 5", "", ""],
        ["end group", "", "", "", "", "", ""],
    ]
    spec = read_xlsform(workbook(rows, header=HEADER, choices=None)).spec
    question = spec.question("count")
    assert question is not None and question.path == "/data/stall/count"


def test_every_question_type_has_a_column_type_downloads_know():
    from mapping.export import table as export_table
    from mapping.reports.forms.table import COLUMN_TYPES

    known = {export_table.TEXT, export_table.INTEGER, export_table.REAL, export_table.DATE}
    assert set(COLUMN_TYPES.values()) <= known


@pytest.mark.parametrize("column", ["relevant", "required", "constraint"])
def test_a_question_shown_by_a_personal_answer_must_be_personal_too(column):
    # Listed publicly, "school" being answered (or which answers it may take) would tell
    # that its respondent is 15-24.
    rows = [list(row) for row in SURVEY]
    school = ["text", "school", "School", "École", "", "", "", "", ""]
    school[SURVEY_HEADER.index(column)] = "${age_group} = '15-24'"
    errors = problem(workbook([*rows, school]))
    assert errors[0]["loc"] == ["survey", len(rows) + 2, column], errors
    assert "age_group" in errors[0]["msg"]
    school[-1] = "yes"
    read_xlsform(workbook([*rows, school]))
