"""SDG 14.1.1 of the real EEA Marine LitterWatch file, imported whole, against pandas on the CSV.

The import takes about 5-7 s per backend, so the whole file is used."""

from __future__ import annotations

import json
import re

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import MultiPolygon, box

from mapping.reports.beaches import beach_code
from mapping.storage import areas as area_store
from tests.data import EEA_LITTERWATCH_EVENTS

SEAS = {"Baltic Sea", "Black Sea", "Mediterranean Sea", "North-east Atlantic Ocean"}
# Level-1 areas: a box around Switzerland (its lakes and rivers) and one around Denmark.
BOXES = {"BOX-CH": (5.95, 45.82, 10.49, 47.81), "BOX-DK": (8.0, 54.55, 12.7, 57.8)}


@pytest.fixture(scope="module")
def imported(engine, client, keys):  # type: ignore[no-untyped-def]
    frame = gpd.GeoDataFrame(
        {"code": list(BOXES), "name": list(BOXES), "level": 1, "parent": None},
        geometry=[MultiPolygon([box(*b)]) for b in BOXES.values()],
        crs=4326,
    )
    with engine.begin() as conn:
        area_store.save_areas(conn, frame, source="test")
    path = EEA_LITTERWATCH_EVENTS
    response = client.post(
        "/api/v1/reports/import",
        files={"file": (path.name, path.read_bytes())},
        data={"mapping": json.dumps({"preset": "eea-litterwatch"})},
        headers=keys["planner"],
    )
    assert response.status_code == 200, response.text[:500]
    return response.json()


@pytest.fixture(scope="module")
def events(imported) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    """The CSV's rows that the import stored (created), with each survey's items per 100 m."""
    frame = pd.read_csv(EEA_LITTERWATCH_EVENTS, dtype=str, keep_default_na=False)
    frame["row"] = frame.index + 2
    stored = {r["row"] for r in imported["results"] if r["outcome"] == "created"}
    frame = frame[frame["row"].isin(stored)].copy()
    items = [c for c in frame.columns if re.fullmatch(r"G\d+", c)]
    counts = frame[items].apply(pd.to_numeric, errors="coerce").fillna(0)
    frame["per_100m"] = 100 * counts.sum(axis=1) / frame["BeachLength_m"].astype(float)
    frame["name"] = frame["BeachName"].str.strip()
    code = frame["BeachCountrycode"].str.strip()
    frame["country"] = code.where(code.str.fullmatch(r"[A-Za-z]{2}"), None).str.upper()
    # A beach is its name and country, written in any case (its code says which it is).
    frame["code"] = [
        beach_code(n, None if pd.isna(c) else c)
        for n, c in zip(frame["name"], frame["country"], strict=True)
    ]
    frame["lon"] = frame["lon_x1"].astype(float)
    frame["lat"] = frame["lat_y1"].astype(float)
    return frame


@pytest.fixture(scope="module")
def beaches(client, imported) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    response = client.get("/api/v1/beaches")
    assert response.status_code == 200, response.text[:500]
    return {f["properties"]["code"]: f["properties"] for f in response.json()["features"]}


def _medians(frame: pd.DataFrame) -> pd.DataFrame:
    monitoring = frame[frame["EventType"] == "Monitoring"]
    grouped = monitoring.groupby("code")["per_100m"]
    return grouped.agg(["median", "size"])


def test_per_beach_medians_match_pandas_on_the_csv(events, beaches):
    expected = _medians(events)
    marine = 0
    for code, row in expected.iterrows():
        beach = beaches[code]
        figures = beach["sdg_14_1_1"]
        assert figures["surveys"] == row["size"], code
        assert figures["median_items_per_100m"] == pytest.approx(row["median"], abs=0.006)
        assert figures["above_threshold"] == (round(row["median"], 2) > 20)
        marine += beach["water"] == "marine"
    assert marine > 250
    # Beaches with no monitoring survey have no median; cleanups do not make one.
    cleanup_only = set(events["code"]) - set(expected.index)
    assert cleanup_only
    for key in cleanup_only:
        assert beaches[key]["sdg_14_1_1"]["median_items_per_100m"] is None


def test_the_regional_sea_decides_whether_a_beach_is_marine(events, beaches):
    for props in beaches.values():
        sea = props["regional_sea"]
        water = "marine" if sea in SEAS else ("freshwater" if sea is None else "unknown")
        assert props["water"] == water, props["code"]
        assert props["in_14_1_1"] == (water == "marine")
    swiss = [p for p in beaches.values() if p["country"] == "CH"]
    assert len(swiss) > 100
    assert all(not p["in_14_1_1"] for p in swiss)
    assert sum(p["water"] == "freshwater" for p in swiss) >= len(swiss) - 1


def test_swiss_lakes_and_rivers_are_out_of_14_1_1_and_shown_on_their_own(client, events, beaches):
    table = client.get("/api/v1/indicators", params={"level": 1}).json()["areas"]
    by_code = {a["code"]: a["sdg_14_1_1"] for a in table}
    swiss_box = by_code["BOX-CH"]
    west, south, east, north = BOXES["BOX-CH"]
    inside = events[events["lon"].between(west, east) & events["lat"].between(south, north)]
    assert len(inside) > 900  # the Swiss events, and a few over the borders
    assert not any(beaches[code]["water"] == "marine" for code in inside["code"])
    assert (swiss_box["n"], swiss_box["beaches"], swiss_box["surveys"]) == (0, 0, 0)
    assert swiss_box["median_items_per_100m"] is None and swiss_box["items_per_100m"] is None
    assert swiss_box["beaches_not_marine"] > 0
    listed = client.get("/api/v1/beaches", params={"water": "freshwater"}).json()["features"]
    codes = {f["properties"]["code"] for f in listed}
    assert {p["code"] for p in beaches.values() if p["water"] == "freshwater"} == codes
    assert any(f["properties"]["country"] == "CH" for f in listed)


def test_an_area_median_is_the_median_of_its_marine_beaches(client, events, beaches):
    table = client.get("/api/v1/indicators", params={"level": 1}).json()["areas"]
    denmark = next(a for a in table if a["code"] == "BOX-DK")["sdg_14_1_1"]
    west, south, east, north = BOXES["BOX-DK"]
    inside = events[events["lon"].between(west, east) & events["lat"].between(south, north)]
    marine = inside[[beaches[code]["water"] == "marine" for code in inside["code"]]]
    medians = _medians(marine)
    assert denmark["beaches"] == len(medians) > 10
    assert denmark["surveys"] == medians["size"].sum()
    rounded = medians["median"].round(2)
    assert denmark["median_items_per_100m"] == pytest.approx(rounded.median(), abs=0.006)
    assert denmark["beaches_above_threshold"] == (rounded > 20).sum()
