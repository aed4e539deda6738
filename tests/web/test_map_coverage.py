"""The coverage and register layers of the planner map, in a real Chromium against a real
server, on SpatiaLite and PostGIS: people and kilometres in the legend, the nearest facility in
the popup, and the register's facilities by what citizens say of them."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from sqlalchemy.engine import Engine

from mapping.analysis.coverage.facilities import FacilityColumns, facilities_from_frame
from mapping.analysis.population import population_cells
from mapping.areas.index import AreaIndexCache
from mapping.reports import ingest
from mapping.reports.rows import Limits
from mapping.storage import facilities as facility_store
from mapping.storage import population as population_store
from tests.conftest import make_report
from tests.web.conftest import ACCRA, Visit, seed
from tests.web.test_browser import _toggle_overlay, _wait_layer

FAR = (-0.32, 5.48)  # about 18 km from the clinic: 1,000 people out of reach


@pytest.fixture(scope="module")
def seeded(engine: Engine) -> None:
    seed(engine)
    listed = pd.DataFrame(
        {
            "FacilityName": ["Accra Test Clinic", "Shut Test Clinic"],
            "Type": ["Clinic", "Clinic"],
            "Ownership": ["Government", "Government"],
            "Longitude": [str(ACCRA[0]), "-0.31"],
            "Latitude": [str(ACCRA[1]), "5.49"],
            "State": ["", "closed"],
        }
    )
    found = facilities_from_frame(listed, FacilityColumns(status="State"))
    people = gpd.GeoDataFrame(
        {"people": [1000.0, 400.0]},
        geometry=gpd.points_from_xy([FAR[0], ACCRA[0]], [FAR[1], ACCRA[1]]),
        crs=4326,
    )
    with engine.begin() as conn:
        facility_store.replace_list(
            conn, found.rows, source="web-register", areas=AreaIndexCache(engine).current()
        )
        population_store.replace_source(
            conn, population_cells(people, field="people").frame, source="web-people"
        )
    # A visitor names the clinic: it is confirmed by citizens.
    visit = make_report(
        "service", ACCRA[0] + 0.0005, ACCRA[1],
        attributes={"name": "Accra Test Clinic", "status": "operational", "satisfaction": 3},
    )  # fmt: skip
    batch = {"type": "FeatureCollection", "features": [visit]}
    ingest.submit_batch(engine, batch, limits=Limits(), areas=AreaIndexCache(engine).current())


def _popup_of(visit: Visit, key: str, prop: str) -> str:
    """Open the popup of the layer's feature with the largest `prop`, and return its text."""
    visit.page.evaluate(
        """([prop]) => {
          let best = null;
          CivicMap.planner.map().eachLayer(l => {
            const p = l.feature && l.feature.properties;
            if (p && p[prop] !== undefined && p[prop] !== null &&
                (best === null || p[prop] > best.feature.properties[prop])) best = l;
          });
          best.openPopup(best.getBounds ? best.getBounds().getCenter() : best.getLatLng());
        }""",
        [prop],
    )
    popup = visit.page.locator(".leaflet-popup-content")
    popup.wait_for()
    return popup.inner_text()


def test_coverage_speaks_of_people_and_kilometres(desktop: Visit) -> None:
    desktop.open("/map?analysis_resolution=8")
    _wait_layer(desktop, "hexes")
    _toggle_overlay(desktop, "Coverage gaps")
    state = _wait_layer(desktop, "coverage")
    assert state["count"] > 0
    legend = desktop.page.locator(".legend-section", has_text="Coverage gaps").inner_text()
    assert "people" in legend and "5 km" in legend
    assert "Straight-line" in legend and "not travel time" in legend
    assert "1,000 of 1,400 people" in legend
    text = _popup_of(desktop, "coverage", "people_out_of_reach")
    # The closed clinic 1.7 km from those people does not count: the nearest open service
    # is in Accra, the register's clinic or the citizens' Korle Bu clinic beside it.
    assert "More than 5 km from an open facility" in text and "km in a straight line" in text
    assert "Accra Test Clinic" in text or "Korle Bu clinic (a citizen report)" in text
    assert "Shut Test Clinic" not in text
    assert desktop.console.errors == []


def test_the_register_layer_shows_what_citizens_say(desktop: Visit) -> None:
    desktop.open("/map")
    _wait_layer(desktop, "hexes")
    _toggle_overlay(desktop, "Register check")
    state = _wait_layer(desktop, "register")
    assert state["count"] == 2
    legend = desktop.page.locator(".legend-section", has_text="Register check").inner_text()
    assert "confirmed by citizens (1)" in legend
    _toggle_overlay(desktop, "Missing from the register")
    assert _wait_layer(desktop, "missing")["count"] >= 1  # the seeded service reports
    assert desktop.console.errors == []


def test_the_area_scorecard_gives_the_same_figures(desktop: Visit) -> None:
    desktop.open("/areas/T-ACC")
    section = desktop.page.locator("section", has_text="Within reach of a health facility")
    text = section.inner_text()
    # The 1,000 people 18 km from the open clinic, of 1,400 in the area.
    assert "People\t1,400" in text and "More than 5 km from an open facility\t1,000" in text
    assert "Facilities in the register\t2 (1 open)" in text
    assert "not travel time" in text
