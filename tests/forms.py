"""XLSForms for the tests, built with openpyxl: a market price survey in English and French,
and workbooks made to break one rule each."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook

Rows = Sequence[Sequence[Any]]

SURVEY_HEADER = [
    "type",
    "name",
    "label::English (en)",
    "label::French (fr)",
    "required",
    "constraint",
    "constraint_message::English (en)",
    "relevant",
    "civicmap::personal",
]
SURVEY = [
    ["geopoint", "market", "Where is the market?", "Où est le marché ?", "yes", "", "", "", ""],
    ["select_one goods", "good", "Which good?", "Quel produit ?", "yes", "", "", "", ""],
    [
        "decimal",
        "price",
        "Price (GHS)",
        "Prix (GHS)",
        "yes",
        ". > 0 and . < 10000",
        "A price is between 0 and 10000 GHS",
        "",
        "",
    ],
    ["integer", "quantity_kg", "Quantity (kg)", "Quantité (kg)", "", ". >= 1", "", "", ""],
    [
        "select_multiple sellers",
        "sellers",
        "Who sells it?",
        "Qui le vend ?",
        "",
        "",
        "",
        "${good} = 'rice'",
        "",
    ],
    ["date", "seen_on", "Day seen", "Jour", "", ". <= today()", "", "", ""],
    ["text", "note", "Note", "Note", "", "", "", "", ""],
    ["select_one age", "age_group", "Your age group", "Votre âge", "", "", "", "", "yes"],
    ["image", "photo", "Photo of the stall", "Photo de l'étal", "", "", "", "", ""],
]
CHOICES = [
    ["list_name", "name", "label::English (en)", "label::French (fr)"],
    ["goods", "rice", "Rice", "Riz"],
    ["goods", "maize", "Maize", "Maïs"],
    ["goods", "cassava", "Cassava", "Manioc"],
    ["sellers", "market_women", "Market women", "Marchandes"],
    ["sellers", "shops", "Shops", "Boutiques"],
    ["age", "15-24", "15-24", "15-24"],
    ["age", "25-44", "25-44", "25-44"],
]


def workbook(
    survey: Rows | None = None,
    *,
    choices: Rows | None = CHOICES,
    form_id: str = "market_prices",
    version: str = "1",
    title: str = "Market prices",
    header: Sequence[str] = SURVEY_HEADER,
) -> bytes:
    """An .xlsx XLSForm; by default the market price survey."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "survey"
    for row in [list(header), *(SURVEY if survey is None else survey)]:
        sheet.append(list(row))
    if choices is not None:
        sheet = book.create_sheet("choices")
        for row in choices:
            sheet.append(list(row))
    settings = book.create_sheet("settings")
    settings.append(["form_id", "version", "form_title"])
    settings.append([form_id, version, title])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def answers(**changes: Any) -> dict[str, Any]:
    """A valid JSON response to the market price survey."""
    body: dict[str, Any] = {
        "market": [-0.2057, 5.5502],
        "good": "rice",
        "price": 12.5,
        "quantity_kg": 50,
        "sellers": ["market_women"],
        "seen_on": "2026-01-15",
        "age_group": "25-44",
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


def upload_prices_form(client: Any, planner: dict[str, str]) -> None:
    """The campaign `prices` (service reports, running to 2030) with the market price survey
    uploaded to it by a planner (`planner`: their Authorization header)."""
    made = client.post(
        "/api/v1/campaigns",
        json={
            "slug": "prices",
            "title": "Staple prices",
            "description": "Prices of staples.",
            "kind": "service",
            "start": "2026-01-01T00:00:00Z",
            "end": "2030-01-01T00:00:00Z",
        },
        headers=planner,
    )
    assert made.status_code == 201, made.text
    stored = client.post(
        "/api/v1/campaigns/prices/forms", files={"file": ("f.xlsx", workbook())}, headers=planner
    )
    assert stored.status_code == 201, stored.text
