"""The shared open data the tests read, named once, and Ghana's regions stored as test areas.

The files live outside the checkout, in `shared/data` beside it (see its README); they are read
from there, never copied in.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine

from mapping.areas.files import Boundaries, read_boundaries
from mapping.storage import areas as area_store

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"

# The 16 regions of Ghana (geoBoundaries ADM1, simplified): codes GH-AA (Greater Accra) etc.
GHANA_ADM1 = SHARED_DATA / "geoboundaries_gha_adm1_simplified.geojson"
GHANA_HEALTH_FACILITIES = SHARED_DATA / "ghana_health_facilities.csv"
EEA_LITTERWATCH_EVENTS = SHARED_DATA / "eea_marine_litterwatch_events.csv"
EEA_LITTERWATCH_ITEM_CODES = SHARED_DATA / "eea_marine_litterwatch_item_codes.csv"
WEST_AFRICA_PLACES = SHARED_DATA / "ne_10m_populated_places_west_africa.geojson"


def store_ghana_regions(engine: Engine) -> Boundaries:
    """Store Ghana's regions as the level-1 areas (source "test"); what was read from the file."""
    found = read_boundaries(GHANA_ADM1, level=1)
    with engine.begin() as conn:
        area_store.save_areas(conn, found.frame, source="test")
    return found
