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
GHANA_TIERS = SHARED_DATA / "ghana_health_facility_tiers.csv"
EEA_LITTERWATCH_EVENTS = SHARED_DATA / "eea_marine_litterwatch_events.csv"
EEA_LITTERWATCH_ITEM_CODES = SHARED_DATA / "eea_marine_litterwatch_item_codes.csv"
WEST_AFRICA_PLACES = SHARED_DATA / "ne_10m_populated_places_west_africa.geojson"
# OCHA's 260 districts (ADM2_PCODE, ADM2_EN), WorldPop's 2020 1 km grid, the 2021 census.
GHANA_ADM2 = SHARED_DATA / "ghana_adm2_ocha_cod_2021.geojson"
WORLDPOP_GHANA = SHARED_DATA / "gha_ppp_2020_1km_Aggregated_UNadj.tif"
CENSUS_2021_REGIONS = SHARED_DATA / "ghana_census2021_regions.csv"
CENSUS_2021_DISTRICTS = SHARED_DATA / "ghana_census2021_districts.csv"


def store_ghana_regions(engine: Engine) -> Boundaries:
    """Store Ghana's regions as the level-1 areas (source "test"); what was read from the file."""
    found = read_boundaries(GHANA_ADM1, level=1)
    with engine.begin() as conn:
        area_store.save_areas(conn, found.frame, source="test")
    return found
