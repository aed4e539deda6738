"""The map's compact hexagons (/api/v1/aggregates/cells) against the GeoJSON hexagons, on both
backends: the same cells, the same counts, the same refusals."""

from __future__ import annotations

import h3
import numpy as np
import pytest

from tests.api.test_aggregates import ACCRA, _campaign, _post
from tests.conftest import make_report


@pytest.fixture(scope="module", autouse=True)
def volunteer_key(client, keys):  # type: ignore[no-untyped-def]
    client.volunteer = keys["volunteer"]


pytestmark = pytest.mark.usefixtures("ghana_regions")


@pytest.mark.parametrize(
    ("resolution", "bbox"), [(4, None), (7, "-0.25,5.55,-0.15,5.65"), (9, "-0.25,5.55,-0.15,5.65")]
)
def test_compact_cells_count_what_the_geojson_hexagons_count(client, settings, resolution, bbox):
    """The map's compact answer: the same hexagons and counts as the GeoJSON, with sensitive
    reports among them (counted at 4 and 7, left out at 9, finer than the public resolution),
    in a bbox that cuts through Accra's hexagons."""
    campaign = _campaign()
    rng = np.random.default_rng(resolution)
    features = [
        make_report(
            lon=float(ACCRA[0] + rng.normal(0, 0.05)),
            lat=float(ACCRA[1] + rng.normal(0, 0.05)),
            campaign=campaign,
            sensitive=bool(i % 4 == 0),
        )
        for i in range(120)
    ]
    _post(client, features)
    params = {"resolution": resolution, "campaign": campaign, **({"bbox": bbox} if bbox else {})}
    hexes = client.get("/api/v1/aggregates/hexes", params=params).json()
    compact = client.get("/api/v1/aggregates/cells", params=params)
    assert compact.status_code == 200, compact.text
    body = compact.json()
    want = {
        f["properties"]["h3"]: f["properties"]["reports"]
        for f in hexes["features"]
        if f["properties"]["reports"]
    }
    assert want and dict(body["cells"]) == want
    assert [c for c, _ in body["cells"]] == sorted(want, key=h3.str_to_int)
    alternate = [link["href"] for link in body["links"] if link["rel"] == "alternate"]
    assert client.get(alternate[0]).json()["features"] == hexes["features"]
    assert body["metadata"]["method"].startswith("Public reports per resolution")


def test_compact_cells_refuse_an_answer_too_big_as_the_hexagons_do(client, settings):
    client.app.state.settings = settings.model_copy(update={"max_aggregate_cells": 2})
    try:
        hexes = client.get("/api/v1/aggregates/hexes", params={"resolution": 9})
        cells = client.get("/api/v1/aggregates/cells", params={"resolution": 9})
    finally:
        client.app.state.settings = settings
    assert cells.status_code == hexes.status_code == 400
    assert cells.json()["detail"] == hexes.json()["detail"]


def test_a_hexagon_across_the_antimeridian_is_counted_whole_on_either_path(client):
    """Its reports lie on both sides of 180 degrees; a box around its centre counts them all,
    whether the tallies answer or the reports are grouped (a status filter asks for that)."""
    cell = h3.latlng_to_cell(0.0, 179.99, 5)
    lat, lon = h3.cell_to_latlng(cell)
    assert h3.latlng_to_cell(0.0, -179.999, 5) == cell
    _post(client, [make_report(lon=179.999, lat=0.0), make_report(lon=-179.999, lat=0.0)])
    box = f"{lon - 0.01},{lat - 0.01},{lon + 0.005},{lat + 0.01}"
    for params in ({}, {"status": "pending"}):
        answer = client.get(
            "/api/v1/aggregates/cells", params={"resolution": 5, "bbox": box, **params}
        )
        assert answer.json()["cells"] == [[cell, 2]], params
