"""Matching citizen reports to register facilities: names that differ as people write them,
distance, planners' decisions; and facility states by the latest verified evidence."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from pyproj import Geod

from mapping.analysis.coverage.register import facility_states, match_reports

GEOD = Geod(ellps="WGS84")
NOW = datetime(2026, 6, 1, tzinfo=UTC)
REGISTER = pd.DataFrame(
    {
        "source": ["reg", "reg"],
        "code": ["a", "b"],
        "name": ["St. Mary's Catholic Hospital", "Ayeduase Health Centre"],
        "status": ["", ""],
        "lon": [-1.60, -1.58],
        "lat": [6.70, 6.70],
    }
)


def _east(lon: float, lat: float, metres: float) -> tuple[float, float]:
    x, y, _ = GEOD.fwd(lon, lat, 90, metres)
    return x, y


def _reports(*rows: tuple[str, float, str, str, int]) -> pd.DataFrame:
    """(name, metres east of facility a, moderation, state, days ago) per report."""
    columns = ["id", "observed_at", "moderation", "state", "name", "lon", "lat"]
    out = []
    for name, metres, moderation, state, days in rows:
        lon, lat = _east(-1.60, 6.70, metres)
        out.append(
            {
                "id": uuid.uuid4(),
                "observed_at": pd.Timestamp(NOW - timedelta(days=days)),
                "moderation": moderation,
                "state": state,
                "name": name,
                "lon": lon,
                "lat": lat,
            }
        )
    return pd.DataFrame(out, columns=columns)


@pytest.mark.parametrize(
    ("name", "metres", "matched"),
    [
        ("st marys hospital", 400, True),  # punctuation, case, a word left out
        ("ST MARY'S CATHOLIC HOSP", 800, True),
        ("Kumasi Dental Surgery", 400, False),  # another service next door
        ("", 200, True),  # no name: near enough alone
        ("", 300, False),
        ("St. Mary's Catholic Hospital", 1100, False),  # beyond the radius
    ],
)
def test_a_report_matches_by_name_and_distance(name, metres, matched):
    got = match_reports(REGISTER, _reports((name, metres, "pending", "operational", 3)))
    assert bool(got["match"].iloc[0] == 0) is matched
    if matched:
        assert got["distance_m"].iloc[0] == pytest.approx(metres, rel=0.01)


def test_a_report_between_two_facilities_goes_to_the_one_it_names():
    # 1,500 m east of a is 710 m west of b: nearer b, but it names a.
    got = match_reports(
        REGISTER,
        _reports(
            ("Ayeduase Health Centre", 1500, "pending", "", 1),
            ("St Mary's Hospital", 900, "pending", "", 1),
        ),
    )
    assert got["match"].tolist() == [1, 0]


def test_decisions_pin_and_forbid_pairs_the_latest_holding():
    reports = _reports(("St. Mary's Catholic Hospital", 50, "pending", "", 1))
    rid = reports["id"].iloc[0]
    assert match_reports(REGISTER, reports, [(rid, "reg", "a", "reject")])["match"].iloc[0] == -1
    pinned = match_reports(REGISTER, reports, [(rid, "reg", "b", "accept")])
    assert pinned["match"].iloc[0] == 1
    undone = [(rid, "reg", "b", "accept"), (rid, "reg", "b", "reject")]
    assert match_reports(REGISTER, reports, undone)["match"].iloc[0] == 0
    gone = [(rid, "reg", "z", "accept")]  # a facility no longer in the register
    assert match_reports(REGISTER, reports, gone)["match"].iloc[0] == 0


def _state(*rows: tuple[str, float, str, str, int], status: str = "") -> tuple[str, bool]:
    register = REGISTER.assign(status=[status, ""])
    states = facility_states(register, match_reports(register, _reports(*rows)), now=NOW)
    return states["state"].iloc[0], bool(states["open"].iloc[0])


def test_only_the_latest_verified_report_moves_a_facility():
    name = "St. Mary's Catholic Hospital"
    assert _state() == ("not_seen", True)
    assert _state((name, 50, "pending", "closed", 3)) == ("not_seen", True)
    assert _state((name, 50, "verified", "closed", 3)) == ("reported_closed", False)
    assert _state((name, 50, "verified", "partly", 3)) == ("reported_partly", True)
    # Closed, then seen working again by a verified report: open and confirmed.
    assert _state(
        (name, 50, "verified", "closed", 30), (name, 60, "verified", "operational", 2)
    ) == ("confirmed", True)
    # A verified report reopens what the register lists as closed.
    assert _state((name, 50, "verified", "operational", 2), status="closed") == ("confirmed", True)
    assert _state(status="closed") == ("not_seen", False)
    # Seen more than a year ago: not seen since.
    assert _state((name, 50, "pending", "operational", 400)) == ("not_seen", True)


def test_generic_and_other_names_do_not_match_a_facility():
    register = pd.DataFrame(
        {"source": ["reg"], "code": ["t"], "name": ["Tarikum CHPS"], "status": [""],
         "lon": [-1.60], "lat": [6.70]}
    )  # fmt: skip
    # Another facility's name is no evidence of this one, however near.
    assert (
        match_reports(register, _reports(("Kanania CHPS", 50, "pending", "", 1)))["match"].iloc[0]
        == -1
    )
    # "Clinic" or "!!!" names no facility in particular: the rule for no name holds.
    for name in ("Clinic", "!!!", "Health Centre"):
        near = match_reports(register, _reports((name, 200, "pending", "", 1)))
        far = match_reports(register, _reports((name, 300, "pending", "", 1)))
        assert (near["match"].iloc[0], far["match"].iloc[0]) == (0, -1), name


def test_the_latest_decision_on_each_pair_holds():
    reports = _reports(("St. Mary's Catholic Hospital", 50, "pending", "", 1))
    rid = reports["id"].iloc[0]
    # Pinned to b, then to a... and the pin to a stands when b is rejected.
    decisions = [(rid, "reg", "b", "accept"), (rid, "reg", "a", "accept"),
                 (rid, "reg", "b", "reject")]  # fmt: skip
    assert match_reports(REGISTER, reports, decisions)["match"].iloc[0] == 0
    later = [(rid, "reg", "a", "accept"), (rid, "reg", "b", "accept")]
    assert match_reports(REGISTER, reports, later)["match"].iloc[0] == 1
