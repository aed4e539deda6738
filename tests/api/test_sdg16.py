"""SDG 16.6.2 by the UNDP metadata, on both backends: per service and per attribute, people who
used the service in the last 12 months counted once, "don't know" and "refused" apart, the
Washington Group disability status, residence, and the share weighted to census margins.

The oracle is a hand calculation from the reports table with pandas: the same rules applied
to the stored rows, the counts then put through the published perturbation table."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa

from mapping.analysis.aggregate import wilson
from mapping.analysis.sdg16 import disability_status
from mapping.disclosure import cellkey
from tests.conftest import make_report
from tests.data import SHARED_DATA

KUMASI = (-1.62, 6.69)
HEALTH = ("access", "affordability", "quality", "equal_treatment", "courtesy")


def _rating(i: int, category: str, *, days_ago: int = 3, **reporter: Any) -> dict[str, Any]:
    rng = random.Random(i)
    attributes: dict[str, Any] = {"name": f"Point {i}", "status": "operational"}
    if i % 13 == 5:
        attributes["satisfaction_missing"] = "dont_know" if i % 2 else "refused"
    else:
        attributes["satisfaction"] = rng.randint(1, 4)
    attributes["aspects"] = {a: rng.randint(1, 4) for a in HEALTH if rng.random() < 0.8}
    observed = datetime.now(UTC) - timedelta(days=days_ago, minutes=i)
    return make_report(
        "service",
        KUMASI[0] + 0.004 * (i % 40),
        KUMASI[1] + 0.003 * (i // 40),
        category=category,
        observed_at=observed.isoformat(timespec="seconds"),
        attributes=attributes,
        reporter={"respondent": f"interview-{i % 70}", **reporter},
    )


@pytest.fixture(scope="module")
def table(ghana_regions, run, client, keys) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    census = SHARED_DATA / "ghana_census2021_districts.csv"
    result = run(
        "census", "import", str(census), "--level", "1", "--area-column", "region",
        "--group", "female", "--group", "male", "--source", "GSS 2021", "--skip-blank",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    features = []
    for i in range(90):  # 70 people; interviews 0-19 rate their clinic twice
        sex = "female" if i % 3 else "male"  # two thirds women, unlike the census
        wg = {"walking": 3} if i % 5 == 1 else {"seeing": 2, "hearing": 1}
        features.append(
            _rating(i, "health_facility", sex=sex, washington_group=wg, disability=False,
                    residence="GH-AH" if i % 4 else "GH-BO", age_group="25-44")
        )  # fmt: skip
    features += [
        _rating(100 + i, "health_facility", days_ago=400, sex="male", respondent=f"old-{i}")
        for i in range(8)
    ]
    features += [_rating(200 + i, "school", sex="female") for i in range(12)]
    features += [_rating(300 + i, "police", sex="male") for i in range(9)]
    body = {"type": "FeatureCollection", "features": features}
    response = client.post("/api/v1/reports/batch", json=body, headers=keys["volunteer"])
    assert response.json()["created"] == len(features), response.text
    answer = client.get("/api/v1/indicators", params={"level": 1}).json()
    return answer


def _ashanti(table: dict[str, Any]) -> dict[str, Any]:
    return next(a for a in table["areas"] if a["name"].startswith("Ashanti"))


def _by_hand(engine, service_categories: tuple[str, ...]) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    """The respondents of one service in Ashanti by the metadata's rules, from the table."""
    with engine.connect() as conn:
        frame = pd.read_sql(
            sa.text(
                "SELECT r.seq, r.category, r.observed_at, r.satisfaction, r.satisfaction_missing,"
                " r.reporter_sex, r.reporter_respondent, r.submitter, r.record_key, r.attributes"
                " FROM reports r JOIN areas a ON a.code = r.public_area_1"
                " WHERE a.name LIKE :name AND r.kind = 'service'"
            ),
            conn,
            params={"name": "Ashanti%"},
        )
    frame["observed_at"] = pd.to_datetime(frame["observed_at"], utc=True)
    frame = frame[frame["category"].isin(service_categories)]
    now = datetime.now(UTC)
    end = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0) + timedelta(days=32)
    end = end.replace(day=1)
    start = end.replace(year=end.year - 1)
    frame = frame[(frame["observed_at"] >= start) & (frame["observed_at"] < end)]
    frame = (
        frame.sort_values(["observed_at", "seq"])
        .groupby(["submitter", "reporter_respondent"])
        .tail(1)
    )
    return frame


def _published(n: int, keys: int) -> int:
    return cellkey.perturb(n, keys)


def test_health_care_is_its_own_figure_matching_a_hand_calculation(table, engine):
    health = _ashanti(table)["sdg_16_6_2"]["services"]["health"]
    people = _by_hand(engine, ("health_facility",))
    assert len(people) == 70  # 90 ratings by 70 people; the 8 older than a year left out
    answered = people[people["satisfaction"].notna()]
    yes = answered[answered["satisfaction"] >= 3]
    n = _published(len(answered), int(answered["record_key"].sum()))
    satisfied = _published(len(yes), int(yes["record_key"].sum()))
    assert health["n"] == n
    assert health["satisfied_share"] == round(satisfied / n, 4)
    assert health["satisfied_share_ci"] == wilson(satisfied, n)
    dont_know = people[people["satisfaction_missing"] == "dont_know"]
    assert health["dont_know"] == cellkey.protect(
        len(dont_know), int(dont_know["record_key"].sum()), 5
    )
    # School and police ratings are elsewhere: police is no 16.6.2 service at all.
    services = _ashanti(table)["sdg_16_6_2"]["services"]
    assert set(services) == {"health", "education", "government"}
    pupils = _by_hand(engine, ("school",)).dropna(subset=["satisfaction"])
    assert services["education"]["n"] == _published(len(pupils), int(pupils["record_key"].sum()))
    assert services["government"]["n"] == 0


def test_each_attribute_has_its_share_of_those_who_rated_it(table, engine):
    health = _ashanti(table)["sdg_16_6_2"]["services"]["health"]
    assert list(health["by_attribute"]) == list(HEALTH)
    people = _by_hand(engine, ("health_facility",))
    for attribute in HEALTH:
        ratings = people["attributes"].map(
            lambda a, name=attribute: (
                (a if isinstance(a, dict) else json.loads(a)).get("aspects", {}).get(name)
            )
        )
        rated = people[ratings.notna()]
        positive = people[ratings >= 3]
        n = _published(len(rated), int(rated["record_key"].sum()))
        yes = _published(len(positive), int(positive["record_key"].sum()))
        assert health["by_attribute"][attribute]["n"] == n, attribute
        assert health["by_attribute"][attribute]["satisfied_share"] == round(yes / n, 4)


def test_disability_comes_from_the_washington_group_answers(table):
    health = _ashanti(table)["sdg_16_6_2"]["services"]["health"]
    # Every rating said disability: no; the 14 people with "a lot" of difficulty walking are
    # yes, published within the table's noise of 3.
    assert 11 <= health["by_disability"]["yes"]["n"] <= 17
    assert disability_status("113111", False, ("seeing", "walking")) == "yes"
    assert disability_status("113111", False, ("seeing", "hearing")) == "no"
    assert disability_status("100000", True, ("seeing", "walking")) == "yes"
    assert disability_status(None, None, ("seeing",)) == "not_stated"


def test_residence_is_where_the_respondent_lives(table):
    health = _ashanti(table)["sdg_16_6_2"]["services"]["health"]
    assert set(health["by_residence"]) == {"GH-AH", "GH-BO"}


def test_the_weighted_share_is_post_stratified_to_the_census(table):
    area = _ashanti(table)
    health = area["sdg_16_6_2"]["services"]["health"]
    weighted = health["weighted"]
    margins = {g["group"]: g["population"] for g in area["representativeness"]["sex"]["groups"]}
    total = sum(margins.values())
    by_sex = health["by_sex"]
    want = sum(margins[g] / total * by_sex[g]["satisfied_share"] for g in margins)
    n_eff = 1 / sum((margins[g] / total) ** 2 / by_sex[g]["n"] for g in margins)
    assert weighted["satisfied_share"] == round(want, 4)
    assert weighted["n_effective"] == round(n_eff, 1)
    # Two thirds of the sample are women, against about half of the population: the weights
    # are far from equal, so the effective n is below the n.
    assert weighted["n_effective"] < health["n"]
    assert weighted["satisfied_share_ci"] == wilson(want * n_eff, n_eff)
    assert "Kish" in table["metadata"]["method"]


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"satisfaction": 3, "satisfaction_missing": "refused"}, "attributes"),
        ({"satisfaction_missing": "maybe"}, "satisfaction_missing"),
        ({"aspects": {"effective_delivery": 5}}, "effective_delivery"),
    ],
)
def test_a_wrong_answer_is_refused_naming_it(client, change, where):
    feature = make_report("service")
    feature["properties"]["attributes"] = {"status": "operational", **change}
    response = client.post("/api/v1/reports", json=feature)
    assert response.status_code == 422
    assert where in response.text


@pytest.mark.parametrize(
    "reporter",
    [{"washington_group": {"walking": 5}}, {"residence": "GH AH"}, {"respondent": ""}],
)
def test_wrong_reporter_details_are_refused(client, reporter):
    response = client.post("/api/v1/reports", json=make_report("service", reporter=reporter))
    assert response.status_code == 422, response.text


def test_the_operator_chooses_the_washington_group_domains(table, engine):
    """With only seeing counted, difficulty walking is no disability: those respondents move
    from `yes` to `no`."""
    from mapping.analysis.indicators import area_indicators
    from mapping.storage.reports import ReportQuery

    with engine.connect() as conn:
        chosen = area_indicators(conn, ReportQuery(), level=1, threshold=5, wg_domains=["seeing"])
    area = next(a for a in chosen if a["name"].startswith("Ashanti"))
    health = area["sdg_16_6_2"]["services"]["health"]
    assert "yes" not in health["by_disability"]
    assert area["sdg_16_6_2"]["washington_group_domains"] == ["seeing"]
    default = _ashanti(table)["sdg_16_6_2"]["services"]["health"]["by_disability"]
    assert 11 <= default["yes"]["n"] <= 17


def test_the_csv_has_a_row_per_service_attribute_and_group(table, client):
    health = _ashanti(table)["sdg_16_6_2"]["services"]["health"]
    text = client.get("/api/v1/indicators", params={"level": 1, "f": "csv"}).text
    rows = [line.split(",") for line in text.splitlines()]
    mine = [r for r in rows if r[1].startswith("Ashanti") and "health" in r[2]]
    by_key = {(r[2], r[3], r[4]): r for r in mine}
    top = by_key[("16.6.2 health satisfied_share", "all", "all")]
    assert float(top[5]) == health["satisfied_share"] and int(top[6]) == health["n"]
    courtesy = by_key[("16.6.2 health satisfied_share", "attribute", "courtesy")]
    assert float(courtesy[5]) == health["by_attribute"]["courtesy"]["satisfied_share"]
    weighted = by_key[("16.6.2 health satisfied_share_weighted", "all", "all")]
    assert float(weighted[6]) == health["weighted"]["n_effective"]
