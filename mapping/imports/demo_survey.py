"""The demo's questionnaire: a market price survey of a few staple goods, as statistics offices
crowdsource prices (Statistics Canada's pilot asked people for the prices they paid), with
synthetic responses from ten real markets of Ghana. The responses are made up and say so:
each one's note reads "Demo data (synthetic)", and the campaign says it too.

The form is an ordinary XLSForm (built here with openpyxl), stored through the same upload
path a planner's goes through, so the demo shows the form list, the answers' checks, the
downloads and the aggregates on data of the shape a field team would send.
"""

from __future__ import annotations

import io
import uuid
from datetime import date, timedelta
from typing import Any

import numpy as np
from openpyxl import Workbook

from mapping.imports.demo import DEMO_NAMESPACE, LABEL

CAMPAIGN = "demo-market-prices"
TITLE = "Demo: staple food prices in markets (synthetic responses)"
FORM_ID = "demo_market_prices"
# Markets of Ghana's regional capitals (name, lon, lat): real places, synthetic prices.
MARKETS = [
    ("Makola, Accra", -0.2057, 5.5502),
    ("Kejetia, Kumasi", -1.6244, 6.6960),
    ("Tamale Central Market", -0.8393, 9.4045),
    ("Market Circle, Takoradi", -1.7554, 4.8976),
    ("Kotokuraba, Cape Coast", -1.2466, 5.1053),
    ("Ho Central Market", 0.4713, 6.6008),
    ("Koforidua Central Market", -0.2593, 6.0941),
    ("Sunyani Central Market", -2.3287, 7.3399),
    ("Bolgatanga Market", -0.8514, 10.7856),
    ("Wa Central Market", -2.5019, 10.0601),
]
# Goods (name, English label, French label, unit, typical price in GHS per unit).
GOODS = [
    ("rice_local", "Local rice", "Riz local", "kg", 14.0),
    ("rice_imported", "Imported rice", "Riz importé", "kg", 18.0),
    ("maize", "Maize", "Maïs", "kg", 7.5),
    ("gari", "Gari", "Gari", "kg", 9.0),
    ("yam", "Yam", "Igname", "tuber", 25.0),
    ("tomatoes", "Tomatoes", "Tomates", "kg", 16.0),
    ("palm_oil", "Palm oil", "Huile de palme", "litre", 35.0),
]
HEADER = [
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
    [
        "geopoint",
        "market_place",
        "Where is the market?",
        "Où est le marché ?",
        "yes",
        "",
        "",
        "",
        "",
    ],
    ["text", "market", "Name of the market", "Nom du marché", "yes", "", "", "", ""],
    [
        "date",
        "observed_on",
        "Day of the price",
        "Jour du prix",
        "yes",
        ". <= today()",
        "The day cannot be in the future",
        "",
        "",
    ],
    ["select_one goods", "good", "Which good?", "Quel produit ?", "yes", "", "", "", ""],
    ["select_one units", "unit", "Sold by", "Vendu au", "yes", "", "", "", ""],
    [
        "decimal",
        "price_ghs",
        "Price paid (GHS)",
        "Prix payé (GHS)",
        "yes",
        ". > 0 and . <= 5000",
        "A price is above 0 and at most 5000 GHS",
        "",
        "",
    ],
    [
        "select_one yes_no",
        "on_promotion",
        "Was it on promotion?",
        "Était-ce en promotion ?",
        "",
        "",
        "",
        "",
        "",
    ],
    [
        "integer",
        "stalls_selling",
        "How many stalls sold it?",
        "Combien d'étals le vendaient ?",
        "",
        ". >= 0 and . <= 500",
        "",
        "${good} != ''",
        "",
    ],
    ["select_one age", "age_group", "Your age group", "Votre âge", "", "", "", "", "yes"],
    ["text", "note", "Note", "Note", "", "", "", "", ""],
]
AGES = ["15-24", "25-44", "45-64", "65+"]


def workbook() -> bytes:
    """The XLSForm of the market price survey, in English and French."""
    book = Workbook()
    survey = book.active
    assert survey is not None
    survey.title = "survey"
    for row in [HEADER, *SURVEY]:
        survey.append(row)
    choices = book.create_sheet("choices")
    choices.append(["list_name", "name", "label::English (en)", "label::French (fr)"])
    for name, english, french, _, _ in GOODS:
        choices.append(["goods", name, english, french])
    for unit, french in (("kg", "kilogramme"), ("tuber", "tubercule"), ("litre", "litre")):
        choices.append(["units", unit, unit, french])
    choices.append(["yes_no", "yes", "Yes", "Oui"])
    choices.append(["yes_no", "no", "No", "Non"])
    for age in AGES:
        choices.append(["age", age, age, age])
    settings = book.create_sheet("settings")
    settings.append(["form_id", "version", "form_title", "default_language"])
    settings.append([FORM_ID, "1", TITLE, "English (en)"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def synthetic_responses(*, count: int, seed: int, until: date) -> list[tuple[str, dict[str, Any]]]:
    """`count` made-up responses (instance id, JSON answers) over the 60 days up to `until`:
    each market's prices scatter around the good's typical price with a market's own level.
    The same seed and day give the same responses, so running the demo again adds none."""
    rng = np.random.default_rng(seed)
    levels = rng.normal(1.0, 0.08, len(MARKETS))
    made = []
    for i in range(count):
        m = int(rng.integers(len(MARKETS)))
        name, lon, lat = MARKETS[m]
        good, _, _, unit, typical = GOODS[int(rng.integers(len(GOODS)))]
        price = round(float(typical * levels[m] * rng.lognormal(0.0, 0.12)), 2)
        answers: dict[str, Any] = {
            "market_place": [
                round(lon + float(rng.normal(0, 0.002)), 5),
                round(lat + float(rng.normal(0, 0.002)), 5),
            ],
            "market": name,
            "observed_on": (until - timedelta(days=int(rng.integers(60)))).isoformat(),
            "good": good,
            "unit": unit,
            "price_ghs": price,
            "on_promotion": "yes" if rng.random() < 0.1 else "no",
            "stalls_selling": int(rng.integers(1, 40)),
            "age_group": AGES[int(rng.integers(len(AGES)))],
            "note": f"{LABEL}price {i}",
        }
        made.append((f"uuid:{uuid.uuid5(DEMO_NAMESPACE, f'{seed}:{until}:price:{i}')}", answers))
    return made
