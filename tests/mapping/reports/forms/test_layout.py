"""What the volunteer page draws a form from: every question in order, notes too, with its
rules and messages, and the labels of the groups, read from the XForm in every language."""

from __future__ import annotations

from mapping.reports.forms.layout import page
from mapping.reports.forms.xlsform import read_xlsform
from tests.forms import SURVEY, workbook

BLANK = ["", "", "", "", "", "", ""]


def test_groups_notes_and_messages_come_in_form_order_and_every_language():
    rows = [
        ["begin_group", "stall", "The stall", "L'étal", *BLANK],
        ["note", "intro", "Ask the seller.", "Demandez.", *BLANK],
        *SURVEY[:3],
        ["end_group", "", "", "", *BLANK],
        *SURVEY[3:5],
    ]
    converted = read_xlsform(workbook(rows))
    drawn = page(converted.spec, converted.xform)
    assert drawn["groups"] == [
        {"path": "/data/stall", "label": {"English (en)": "The stall", "French (fr)": "L'étal"}}
    ]
    questions = {q["name"]: q for q in drawn["questions"]}
    assert list(questions) == ["intro", "market", "good", "price", "quantity_kg", "sellers"]
    intro = questions["intro"]
    assert (intro["type"], intro["path"]) == ("note", "/data/stall/intro")
    assert questions["price"]["constraint_message"] == {
        "English (en)": "A price is between 0 and 10000 GHS"
    }
    assert questions["sellers"]["relevant"].split() == ["/data/stall/good", "=", "'rice'"]
    assert [c["name"] for c in questions["good"]["choices"]] == ["rice", "maize", "cassava"]


def test_a_form_in_one_language_has_plain_labels():
    header = ["type", "name", "label"]
    rows = [["begin_group", "g", "Where"], ["text", "place", "Place"], ["end_group", "", ""]]
    converted = read_xlsform(workbook(rows, header=header, choices=None))
    drawn = page(converted.spec, converted.xform)
    assert drawn["groups"] == [{"path": "/data/g", "label": "Where"}]
    assert drawn["questions"][0]["label"] == "Place"
