"""Per-question aggregates of a form match a hand count, per hexagon and per area; personal
questions are counted under the cell key method and small counts suppressed."""

from __future__ import annotations

import h3
import pytest

from mapping.disclosure import cellkey
from tests.forms import answers, upload_prices_form

MAKOLA = (-0.2057, 5.5502)  # Accra, Greater Accra
KEJETIA = (-1.6244, 6.6960)  # Kumasi, Ashanti
# (place, good, price, age group) of each response sent.
SENT = [
    *[(MAKOLA, "rice", 10.0 + i, "25-44") for i in range(6)],
    (MAKOLA, "maize", 4.0, "15-24"),
    *[(KEJETIA, "cassava", 2.0 + i, "25-44") for i in range(3)],
]
URL = "/api/v1/forms/market_prices/aggregates"

pytestmark = pytest.mark.usefixtures("ghana_regions")


@pytest.fixture(scope="module", autouse=True)
def responses(client, keys):  # type: ignore[no-untyped-def]
    upload_prices_form(client, keys["planner"])
    for place, good, price, age in SENT:
        body = answers(
            market=list(place),
            good=good,
            price=price,
            age_group=age,
            sellers=None if good != "rice" else ["shops"],
        )
        sent = client.post("/api/v1/forms/market_prices/responses", json={"answers": body})
        assert sent.status_code == 201, sent.text


def by_id(answer) -> dict:  # type: ignore[no-untyped-def,type-arg]
    assert answer.status_code == 200, answer.text
    return {f["id"]: f["properties"] for f in answer.json()["features"]}


def test_hexagon_counts_and_prices_match_a_hand_count(client, settings):
    figures = by_id(client.get(URL, params={"resolution": 5}))
    public = settings.public_h3_resolution
    accra = h3.cell_to_parent(h3.latlng_to_cell(MAKOLA[1], MAKOLA[0], public), 5)
    kumasi = h3.cell_to_parent(h3.latlng_to_cell(KEJETIA[1], KEJETIA[0], public), 5)
    assert set(figures) == {accra, kumasi}
    here = figures[accra]
    assert here["responses"] == 7
    good = here["questions"]["good"]
    assert (good["n"], good["counts"]) == (7, {"rice": 6, "maize": 1, "cassava": 0})
    price = here["questions"]["price"]
    prices = [p for place, _, p, _ in SENT if place == MAKOLA]
    assert price["n"] == 7
    assert price["mean"] == pytest.approx(sum(prices) / 7)
    assert price["median"] == sorted(prices)[3]
    assert here["questions"]["sellers"]["counts"] == {"market_women": 0, "shops": 6}
    few = figures[kumasi]["questions"]["price"]
    assert (few["n"], few["mean"], few["median"]) == (3, None, None)  # fewer than 5


def test_personal_answers_are_perturbed_and_small_counts_suppressed(client):
    figures = by_id(client.get(URL, params={"resolution": 5}))
    for cell in figures.values():
        age = cell["questions"]["age_group"]
        assert age["protected"] is True
        assert "mean" not in age
    accra = max(figures.values(), key=lambda f: f["responses"])["questions"]["age_group"]
    assert accra["counts"]["15-24"] is None and "15-24" in accra["suppressed"]
    published = accra["counts"]["25-44"]
    assert published is None or abs(published - 6) <= cellkey.default_ptable().max_noise


def test_areas_count_responses_in_the_area_of_their_public_place(client):
    figures = by_id(client.get(URL, params={"level": 1}))
    assert {code: f["responses"] for code, f in figures.items()} == {"GH-AA": 7, "GH-AH": 3}
    assert figures["GH-AH"]["questions"]["good"]["counts"]["cassava"] == 3


def test_hexagons_finer_than_the_public_cell_need_the_exact_location_role(client, keys, settings):
    finer = {"resolution": settings.public_h3_resolution + 1}
    assert client.get(URL, params=finer).status_code == 400
    assert client.get(URL, params=finer, headers=keys["planner"]).status_code == 200
    assert client.get(URL).status_code == 400
    assert client.get(URL, params={"resolution": 5, "level": 1}).status_code == 400
    gpkg = client.get(URL, params={"resolution": 5, "format": "csv"})
    assert gpkg.status_code == 200 and "questions.price.mean" in gpkg.text.splitlines()[0]
