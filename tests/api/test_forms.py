"""XLSForm campaigns over HTTP: a planner uploads a form; anyone answers it; the server checks
every answer by the rules of the version answered; responses come back typed, one column per
question, without reporter details and with points at their public cell for the public."""

from __future__ import annotations

import uuid
from pathlib import Path

import h3
import pyogrio
import pytest

from tests.forms import SURVEY, answers, workbook

CAMPAIGN = "prices"
FORM = "/api/v1/forms/market_prices"
MARKET = (-0.2057, 5.5502)  # Makola market, Accra


def upload(client, headers, data: bytes, slug: str = CAMPAIGN, kind: str = "survey"):  # type: ignore[no-untyped-def]
    return client.post(
        f"/api/v1/campaigns/{slug}/forms",
        files={"file": ("form.xlsx", data)},
        data={"kind": kind},
        headers=headers,
    )


@pytest.fixture(scope="module", autouse=True)
def form(client, keys):  # type: ignore[no-untyped-def]
    for slug in (CAMPAIGN, "other"):
        made = client.post(
            "/api/v1/campaigns",
            json={
                "slug": slug,
                "title": "Staple prices",
                "description": "Prices of staples.",
                "kind": "service",
                "start": "2026-01-01T00:00:00Z",
                "end": "2030-01-01T00:00:00Z",
            },
            headers=keys["planner"],
        )
        assert made.status_code == 201, made.text
    stored = upload(client, keys["planner"], workbook())
    assert stored.status_code == 201, stored.text
    return stored.json()


def send(client, body, **kwargs):  # type: ignore[no-untyped-def]
    return client.post(f"{FORM}/responses", json=body, **kwargs)


def test_only_a_planner_uploads_and_the_form_is_listed(client, keys, form):
    assert upload(client, {}, workbook()).status_code == 401
    assert upload(client, keys["volunteer"], workbook()).status_code == 403
    assert form["version"] == "1" and form["campaign"] == CAMPAIGN and form["kind"] == "survey"
    listed = client.get("/api/v1/forms", params={"campaign": CAMPAIGN}).json()["forms"]
    assert [f["form_id"] for f in listed] == ["market_prices"]
    xform = client.get(f"{FORM}/versions/1/xform")
    assert xform.status_code == 200 and "<h:html" in xform.text


def test_a_version_is_never_changed(client, keys):
    again = upload(client, keys["planner"], workbook())
    assert again.status_code == 200
    changed = upload(client, keys["planner"], workbook(title="Other prices"))
    assert changed.status_code == 409
    assert changed.json()["errors"][0]["loc"] == ["settings", 2, "version"]
    elsewhere = upload(client, keys["planner"], workbook(version="9"), slug="other")
    assert elsewhere.status_code == 409
    assert upload(client, keys["planner"], workbook(), slug="nowhere").status_code == 404
    assert upload(client, keys["planner"], workbook(), kind="weather").status_code == 422


def test_a_broken_workbook_is_a_422_naming_sheet_row_and_column(client, keys):
    rows = [list(row) for row in SURVEY]
    rows[2][5] = ". > 0 and bogus(.)"
    answer = upload(client, keys["planner"], workbook(rows, version="2"))
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["errors"][0]["loc"] == ["survey", 4, "constraint"]
    assert "bogus" in answer.json()["detail"]


def test_a_response_is_stored_once_per_client_id(client):
    client_id = str(uuid.uuid4())
    first = send(client, {"client_id": client_id, "answers": answers()})
    assert first.status_code == 201, first.text
    again = send(client, {"client_id": client_id, "answers": answers()})
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    other = send(client, {"client_id": client_id, "answers": answers(price=13)})
    assert other.status_code == 409
    listed = client.get(f"{FORM}/responses").json()["features"]
    assert [f["id"] for f in listed].count(first.json()["id"]) == 1


def test_an_answer_outside_its_constraint_is_a_422_naming_the_question(client):
    answer = send(client, {"answers": answers(price=-4)})
    assert answer.status_code == 422
    assert answer.json()["errors"] == [
        {
            "loc": ["answers", "price"],
            "msg": "breaks its constraint (. > 0 and . < 10000): "
            "A price is between 0 and 10000 GHS",
        }
    ]
    assert send(client, {"answers": answers(), "extra": 1}).status_code == 422


def test_a_response_to_an_old_version_is_checked_by_that_version(client, keys):
    rows = [list(row) for row in SURVEY]
    rows[2][5] = ". > 0 and . < 100"  # version 2 caps prices at 100
    assert upload(client, keys["planner"], workbook(rows, version="2")).status_code == 201
    assert client.get(FORM).json()["version"] == "2"
    assert send(client, {"answers": answers(price=500)}).status_code == 422
    old = send(client, {"version": "1", "answers": answers(price=500)})
    assert old.status_code == 201, old.text
    assert old.json()["properties"]["form_version"] == "1"
    assert send(client, {"version": "7", "answers": answers()}).status_code == 404


def test_the_public_sees_no_reporter_details_and_only_the_public_cell(client, keys, settings):
    sent = send(client, {"answers": answers(note="near the gate")}).json()
    public = next(
        f for f in client.get(f"{FORM}/responses").json()["features"] if f["id"] == sent["id"]
    )
    planner = next(
        f
        for f in client.get(f"{FORM}/responses", headers=keys["planner"]).json()["features"]
        if f["id"] == sent["id"]
    )
    for feature in (public, planner):
        assert "age_group" not in feature["properties"]["answers"]
    cell = h3.latlng_to_cell(MARKET[1], MARKET[0], settings.public_h3_resolution)
    lat, lon = h3.cell_to_latlng(cell)
    assert public["geometry"]["coordinates"] == pytest.approx([lon, lat])
    assert public["properties"]["answers"]["market"] == f"POINT ({lon!r} {lat!r})"
    assert public["properties"]["received_at"].endswith("T00:00:00Z")
    assert planner["geometry"]["coordinates"] == pytest.approx(list(MARKET))
    assert planner["properties"]["answers"]["note"] == "near the gate"


def test_a_personal_place_never_places_the_response(client, keys, settings):
    # "Where do you live?", marked personal and asked first: the response is placed by the
    # market, else its geometry and every aggregate would show the home's cell.
    home = ["geopoint", "home", "Your home", "Chez vous", "", "", "", "", "yes"]
    made = upload(client, keys["planner"], workbook([home, *SURVEY], form_id="homes"))
    assert made.status_code == 201, made.text
    far = [-1.6244, 6.6885]  # Kumasi, 200 km from the market
    sent = client.post("/api/v1/forms/homes/responses", json={"answers": answers(home=far)})
    assert sent.status_code == 201, sent.text
    for headers in ({}, keys["planner"]):
        listed = client.get("/api/v1/forms/homes/responses", headers=headers).json()
        (feature,) = listed["features"]
        assert "home" not in feature["properties"]["answers"]
        lon, lat = feature["geometry"]["coordinates"]
        assert abs(lon - MARKET[0]) < 0.1 and abs(lat - MARKET[1]) < 0.1, feature["geometry"]


def test_downloads_have_one_typed_column_per_question(client, tmp_path: Path):
    csv = client.get(f"{FORM}/responses", params={"format": "csv"})
    assert csv.status_code == 200
    header = csv.text.splitlines()[0].split(",")
    questions = {"market", "good", "price", "quantity_kg", "sellers", "seen_on", "note"}
    assert {c.removeprefix("answers.") for c in header if c.startswith("answers.")} == questions
    gpkg = client.get(f"{FORM}/responses", params={"format": "gpkg"})
    assert gpkg.status_code == 200
    path = tmp_path / "responses.gpkg"
    path.write_bytes(gpkg.content)
    info = pyogrio.read_info(path)
    fields = dict(zip(info["fields"], info["dtypes"], strict=True))
    assert fields["answers.price"] == "float64"
    assert fields["answers.quantity_kg"] == "int64"
    assert fields["answers.seen_on"] == "datetime64[D]"  # a GeoPackage DATE, read by GDAL
    assert fields["answers.good"] == "object" and fields["answers.note"] == "object"
    assert not any("age_group" in name for name in fields)
    # The CSV's CSVW metadata types its columns as the form does.
    csvw = client.get(f"{FORM}/responses", params={"format": "csvw"}).json()
    datatypes = {c["name"]: c.get("datatype") for c in csvw["tableSchema"]["columns"]}
    assert datatypes["answers.seen_on"] == "date"
    assert datatypes["answers.quantity_kg"] == "integer"
    assert datatypes["answers.price"] == "double"


def test_responses_are_paged_by_next_links_and_a_download_holds_them_all(client):
    seen: list[str] = []
    url: str | None = f"{FORM}/responses?limit=2"
    while url is not None:
        page = client.get(url.removeprefix("http://testserver")).json()
        seen += [f["id"] for f in page["features"]]
        url = next((link["href"] for link in page["links"] if link["rel"] == "next"), None)
    everything = client.get(f"{FORM}/responses", params={"limit": 10000}).json()["features"]
    assert seen == [f["id"] for f in everything] and len(seen) > 2
    csv = client.get(f"{FORM}/responses", params={"format": "csv"}).text.strip().splitlines()
    assert len(csv) == len(seen) + 1
    assert client.get(f"{FORM}/responses", params={"cursor": "x"}).status_code == 400
    # Digits, but none a next link gives: past every stored number, or not ASCII digits.
    for cursor in ("9" * 20, "\u0661\u0662"):
        assert client.get(f"{FORM}/responses", params={"cursor": cursor}).status_code == 400
    assert client.get(f"{FORM}/responses", params={"limit": 0}).status_code == 400


def test_a_nul_character_names_no_form_on_either_backend(client):
    # PostgreSQL refuses NUL in text outright; SQLite finds nothing: both are a 4xx.
    for path in (
        "/api/v1/forms/market%00prices",
        f"{FORM}/responses?form=x".replace("market_prices", "market%00prices"),
        f"{FORM}/versions/1%00/xform",
        f"{FORM}/aggregates?resolution=3".replace("market_prices", "market%00prices"),
        "/openrosa/forms/market%00prices/versions/1/form.xml",
    ):
        assert client.get(path).status_code == 404, path
    assert client.get("/api/v1/forms", params={"campaign": "a\x00"}).status_code == 400
    sent = send(client, {"version": "1\x00", "answers": answers()})
    assert sent.status_code == 404
