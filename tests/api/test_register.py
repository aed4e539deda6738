"""The register checked by citizens, on both backends: facility states, services missing from
the register, planners' reviews, and coverage that counts only open facilities, each once."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import MultiPolygon, box

from mapping.analysis.coverage.facilities import FacilityColumns, facilities_from_frame
from mapping.analysis.population import population_cells
from mapping.areas.index import AreaIndex
from mapping.storage import areas as area_store
from mapping.storage import facilities as facility_store
from mapping.storage import population as population_store
from tests.conftest import make_report

AREA = box(20.0, 0.0, 20.2, 0.1)
ALPHA, BETA, GAMMA = (20.03, 0.05), (20.17, 0.05), (20.10, 0.02)
NEAR_BETA = (20.1705, 0.0503)  # about 65 m away
NEW = (20.10, 0.085)  # 3 km from every facility
COVERAGE = {
    "category": "health_facility",
    "resolution": 8,
    "max_distance_m": 2000,
    "area": "T-R",
}


def _service(lon: float, lat: float, name: str | None, status: str) -> dict[str, Any]:
    attributes: dict[str, Any] = {"status": status, "satisfaction": 3}
    if name:
        attributes["name"] = name
    return make_report("service", lon, lat, attributes=attributes)


@pytest.fixture(scope="module")
def layout(engine, client, keys) -> dict[str, str]:  # type: ignore[no-untyped-def]
    areas = gpd.GeoDataFrame(
        {"code": ["T-R"], "name": ["Test region"], "level": 1, "parent": None},
        geometry=[MultiPolygon([AREA])],
        crs=4326,
    )
    listed = pd.DataFrame(
        {
            "FacilityName": ["Clinic Alpha", "Beta Health Centre", "Gamma Maternity Home"],
            "Type": ["Clinic", "Health Centre", "Maternity Home"],
            "Ownership": ["Government"] * 3,
            "Longitude": [str(p[0]) for p in (ALPHA, BETA, GAMMA)],
            "Latitude": [str(p[1]) for p in (ALPHA, BETA, GAMMA)],
            "State": ["", "", "shut"],
        }
    )
    found = facilities_from_frame(
        listed, FacilityColumns(status="State", status_values={"shut": "closed"})
    )
    towns = gpd.GeoDataFrame(
        {"people": [500.0, 1000.0, 300.0]},
        geometry=gpd.points_from_xy([ALPHA[0], BETA[0], GAMMA[0]], [ALPHA[1], BETA[1], 0.03]),
        crs=4326,
    )
    with engine.begin() as conn:
        area_store.save_areas(conn, areas, source="test")
        facility_store.replace_list(conn, found.rows, source="reg")
        population_store.replace_source(
            conn, population_cells(towns, field="people").frame, source="towns"
        )
    features = [
        _service(ALPHA[0] + 0.0009, ALPHA[1], "Clinic Alfa", "operational"),
        _service(*NEAR_BETA, "beta health center", "closed"),
        _service(*NEW, "New Hope Clinic", "operational"),
    ]
    sent = client.post(
        "/api/v1/reports/batch",
        json={"type": "FeatureCollection", "features": features},
        headers=keys["volunteer"],
    ).json()
    assert sent["created"] == 3, sent
    ids = [r["id"] for r in sent["results"]]
    codes = {f["properties"]["name"]: f["id"] for f in _facilities(client)["features"]}
    return {
        "alpha_report": ids[0],
        "beta_report": ids[1],
        "new_report": ids[2],
        "alpha": codes["Clinic Alpha"],
        "beta": codes["Beta Health Centre"],
        "gamma": codes["Gamma Maternity Home"],
    }


def _facilities(client, **params: Any) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    page = client.get("/api/v1/facilities", params={"category": "health_facility", **params})
    assert page.status_code == 200, page.text
    return page.json()


def _states(client) -> dict[str, dict[str, Any]]:  # type: ignore[no-untyped-def]
    return {f["id"]: f["properties"] for f in _facilities(client)["features"]}


def test_each_facility_has_its_state_by_the_citizens_evidence(client, layout):
    states = _states(client)
    alpha, beta, gamma = (states[layout[k]] for k in ("alpha", "beta", "gamma"))
    # A report 100 m away with the name misspelt confirms it.
    assert (alpha["state"], alpha["open"], alpha["reports"]) == ("confirmed", True, 1)
    # An unverified report that it is closed shows, but moves nothing.
    assert (beta["state"], beta["open"], beta["reports"]) == ("not_seen", True, 1)
    assert beta["last_seen"] is not None
    # The register's own status counts: closed, and never seen.
    assert (gamma["register_status"], gamma["state"], gamma["open"]) == (
        "closed",
        "not_seen",
        False,
    )
    assert gamma["last_seen"] is None
    summary = _facilities(client)["summary"]
    assert summary == {
        "facilities": 3,
        "confirmed": 1,
        "reported_closed": 0,
        "reported_partly": 0,
        "not_seen": 2,
        "missing_from_register": 1,
    }
    only = _facilities(client, state="confirmed")["features"]
    assert [f["id"] for f in only] == [layout["alpha"]]


def test_services_missing_from_the_register_are_listed(client, layout):
    page = client.get("/api/v1/facilities/missing", params={"category": "health_facility"})
    assert page.status_code == 200
    listed = page.json()["features"]
    assert [f["id"] for f in listed] == [layout["new_report"]]
    assert listed[0]["properties"]["name"] == "New Hope Clinic"
    for path in ("/api/v1/facilities", "/api/v1/facilities/missing"):
        unknown = client.get(path, params={"area": "NOPE"})
        assert unknown.status_code == 404 and "NOPE" in unknown.json()["detail"]


def _coverage(client, **params: Any) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    page = client.get("/api/v1/coverage", params={**COVERAGE, **params})
    assert page.status_code == 200, page.text
    return page.json()


def test_source_both_counts_each_facility_once(client, layout):
    both = _coverage(client, source="both")["summary"]
    register = _coverage(client, source="facilities")["summary"]
    citizens = _coverage(client, source="reports")["summary"]
    # Open facilities: Alpha and Beta (Gamma is closed in the register).
    assert register["service_points"] == 2
    # Reports that do not say closed: Alfa's and New Hope's.
    assert citizens["service_points"] == 2
    # Alpha, Beta, and the one report that matches none; Alfa's report is Alpha.
    assert both["service_points"] == 3


def test_a_verified_closure_moves_the_covered_share(client, layout, keys):
    before = _coverage(client, source="facilities")
    cell_of_beta = next(
        f["properties"] for f in before["features"] if f["properties"]["population"] == 1000.0
    )
    assert cell_of_beta["nearest_name"] == "Beta Health Centre"
    assert cell_of_beta["people_out_of_reach"] == 0.0
    verified = client.patch(
        f"/api/v1/reports/{layout['beta_report']}",
        json={"status": "verified", "note": "visited: closed since March"},
        headers=keys["moderator"],
    )
    assert verified.status_code == 200, verified.text
    after = _coverage(client, source="facilities")
    assert _states(client)[layout["beta"]]["state"] == "reported_closed"
    assert _states(client)[layout["beta"]]["open"] is False
    s0, s1 = before["summary"], after["summary"]
    # Beta's 1,000 people are now more than 2 km from an open facility.
    assert s1["people_out_of_reach"] == s0["people_out_of_reach"] + 1000
    assert s1["share_within_reach"] < s0["share_within_reach"]
    assert s1["service_points"] == s0["service_points"] - 1
    areas = client.get(
        "/api/v1/coverage/areas", params={**COVERAGE, "level": 1, "source": "facilities"}
    ).json()["features"]
    assert areas[0]["properties"]["people_out_of_reach"] == s1["people_out_of_reach"]
    assert "straight-line" in after["metadata"]["method"]
    assert "not travel time" in after["metadata"]["method"]


def test_planners_review_matches_and_every_decision_is_kept(client, layout, keys):
    review = {"facility": layout["alpha"], "report": layout["alpha_report"], "decision": "reject"}
    assert client.post("/api/v1/facilities/reviews", json=review).status_code == 401
    refused = client.post("/api/v1/facilities/reviews", json=review, headers=keys["volunteer"])
    assert refused.status_code == 403
    bad = client.post(
        "/api/v1/facilities/reviews",
        json={**review, "decision": "maybe"},
        headers=keys["planner"],
    )
    assert bad.status_code == 422 and "decision" in bad.text
    unknown = client.post(
        "/api/v1/facilities/reviews",
        json={**review, "facility": "reg:nope"},
        headers=keys["planner"],
    )
    assert unknown.status_code == 404
    made = client.post("/api/v1/facilities/reviews", json=review, headers=keys["planner"])
    assert made.status_code == 201, made.text
    # Rejected, Alfa's report no longer confirms Alpha: it is a service missing from the register.
    assert _states(client)[layout["alpha"]]["state"] == "not_seen"
    missing = client.get("/api/v1/facilities/missing").json()["features"]
    assert {f["id"] for f in missing} == {layout["alpha_report"], layout["new_report"]}
    # Accepting New Hope's report as Beta merges it, whatever the score says (3 km away).
    merge = {"facility": layout["beta"], "report": layout["new_report"], "decision": "accept"}
    assert (
        client.post("/api/v1/facilities/reviews", json=merge, headers=keys["planner"]).status_code
        == 201
    )
    assert _states(client)[layout["beta"]]["reports"] == 2
    trail = client.get("/api/v1/facilities/reviews", headers=keys["planner"]).json()["reviews"]
    assert [(r["facility"], r["decision"]) for r in trail] == [
        (layout["alpha"], "reject"),
        (layout["beta"], "accept"),
    ]
    assert all(r["by"] and r["at"] for r in trail)
    assert client.get("/api/v1/facilities/reviews").status_code == 401


def test_demand_can_still_be_reports_and_says_so(client, layout):
    page = _coverage(client, demand="reports")
    assert page["summary"]["demand_kind"] == "reports"
    assert "not people" in page["metadata"]["method"]
    assert page["features"][0]["properties"]["population"] is None


SCHOOL = (20.199, 0.05)  # in T-R, 100 m from its border with T-Q
OVER_THE_BORDER = (20.2015, 0.05)  # in T-Q, 280 m from the school
QUIET = (20.05, 0.08)  # where a sensitive report sits 40 m from a school


def _school(lon: float, lat: float, name: str, **props: Any) -> dict[str, Any]:
    attributes = {"name": name, "status": "operational", "satisfaction": 3}
    return make_report("service", lon, lat, category="school", attributes=attributes, **props)


@pytest.fixture(scope="module")
def schools(engine, client, keys, layout) -> dict[str, str]:  # type: ignore[no-untyped-def]
    east = gpd.GeoDataFrame(
        {"code": ["T-Q"], "name": ["Test east"], "level": 1, "parent": None},
        geometry=[MultiPolygon([box(20.2, 0.0, 20.4, 0.1)])],
        crs=4326,
    )
    listed = pd.DataFrame(
        {
            "FacilityName": ["Delta Basic School", "Echo Junior High School"],
            "Type": ["Primary", "JHS"],
            "Ownership": ["Public", "Public"],
            "Longitude": [str(SCHOOL[0]), str(QUIET[0])],
            "Latitude": [str(SCHOOL[1]), str(QUIET[1])],
        }
    )
    found = facilities_from_frame(listed, FacilityColumns(category="school"))
    with engine.begin() as conn:
        area_store.save_areas(conn, east, source="test")
    index = AreaIndex([(c, lv, g) for c, lv, g in _index_rows(engine)])
    with engine.begin() as conn:
        facility_store.replace_list(conn, found.rows, source="schools", areas=index)
    lon, lat = QUIET[0] + 0.00036, QUIET[1]
    sent = client.post(
        "/api/v1/reports/batch",
        json={
            "type": "FeatureCollection",
            "features": [
                _school(*OVER_THE_BORDER, "Delta Basic School"),
                _school(lon, lat, "Echo Junior High School", sensitive=True),
            ],
        },
        headers=keys["volunteer"],
    ).json()
    assert sent["created"] == 2, sent
    ids = [r["id"] for r in sent["results"]]
    return {"border": ids[0], "sensitive": ids[1]}


def _index_rows(engine):  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return area_store.index_rows(conn)


def _school_states(client, headers=None, **params: Any) -> dict[str, dict[str, Any]]:  # type: ignore[no-untyped-def]
    page = client.get(
        "/api/v1/facilities", params={"category": "school", **params}, headers=headers or {}
    )
    assert page.status_code == 200, page.text
    return {f["properties"]["name"]: f["properties"] for f in page.json()["features"]}


def test_a_report_over_the_border_is_evidence_of_the_facility_it_names(client, schools):
    # Asked for T-R, the school still has the report sent from just over the border...
    assert _school_states(client, area="T-R")["Delta Basic School"]["reports"] == 1
    # ...and asked for T-Q, that report is not "missing" from the register.
    missing = client.get(
        "/api/v1/facilities/missing", params={"category": "school", "area": "T-Q"}
    ).json()["features"]
    assert schools["border"] not in {f["id"] for f in missing}
    assert set(_school_states(client, area="T-Q")) == set()  # no school of the register there


def test_a_review_of_a_sensitive_report_tells_the_public_nothing(client, keys, schools):
    before = _school_states(client)["Echo Junior High School"]
    review = {
        "facility": _school_facility(client, "Echo Junior High School"),
        "report": schools["sensitive"],
        "decision": "accept",
    }
    made = client.post("/api/v1/facilities/reviews", json=review, headers=keys["planner"])
    assert made.status_code == 201, made.text
    # The planner, who sees exact places, sees the match...
    assert _school_states(client, keys["planner"])["Echo Junior High School"]["reports"] == 1
    # ...the public answer is as it was: the match would place the report at the school.
    assert _school_states(client)["Echo Junior High School"] == before


def _school_facility(client, name: str) -> str:  # type: ignore[no-untyped-def]
    page = client.get("/api/v1/facilities", params={"category": "school"}).json()
    return next(f["id"] for f in page["features"] if f["properties"]["name"] == name)


def test_reviews_refuse_what_cannot_be_evidence(client, keys, layout, schools):
    planner = keys["planner"]
    school = _school_facility(client, "Delta Basic School")
    # A health report is no evidence of a school.
    other = {"facility": school, "report": layout["alpha_report"], "decision": "accept"}
    refused = client.post("/api/v1/facilities/reviews", json=other, headers=planner)
    assert refused.status_code == 422 and "category" in refused.text
    # A report a moderator hid answers as an unknown one does.
    hidden = client.patch(
        f"/api/v1/reports/{schools['border']}",
        json={"status": "hidden", "note": "test"},
        headers=keys["moderator"],
    )
    assert hidden.status_code == 200, hidden.text
    gone = {"facility": school, "report": schools["border"], "decision": "accept"}
    answer = client.post("/api/v1/facilities/reviews", json=gone, headers=planner)
    unknown = client.post(
        "/api/v1/facilities/reviews",
        json={**gone, "report": "00000000-0000-4000-8000-000000000000"},
        headers=planner,
    )
    assert answer.status_code == unknown.status_code == 404
    assert answer.json()["detail"].replace(schools["border"], "ID") == unknown.json()[
        "detail"
    ].replace("00000000-0000-4000-8000-000000000000", "ID")
    # Text with NUL is refused, never stored.
    nul = client.post(
        "/api/v1/facilities/reviews",
        json={**other, "facility": school, "note": "a\u0000b"},
        headers=planner,
    )
    assert nul.status_code == 422


@pytest.mark.parametrize(
    "query",
    [
        {"since": "0001-01-01T00:00:00+23:59"},
        {"until": "9999-12-31T23:59:59-23:59"},
        {"area": "\u0000"},
        {"campaign": "a\u0000"},
    ],
)
def test_odd_filters_are_refused_not_failed(client, query):
    for path in ("/api/v1/facilities", "/api/v1/reports"):
        answer = client.get(path, params=query)
        assert answer.status_code == 400, (path, answer.text)


def test_the_register_names_its_list_and_the_citizens_as_sources(client, layout):
    sources = {s["id"] for s in _facilities(client)["metadata"]["sources"]}
    # The list ("reg", imported without a source record) and the reports sent here.
    assert "civicmap" in sources and "reg" in sources
