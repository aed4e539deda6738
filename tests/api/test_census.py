"""Census margins on both backends: the 2021 census by district imported as regional margins
by sex, and respondents compared with them (who is missing) in the indicators and on the
area page."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.conftest import make_report
from tests.data import SHARED_DATA

DISTRICTS = SHARED_DATA / "ghana_census2021_districts.csv"
SOURCE = "Ghana Statistical Service, 2021 PHC"


def _import(run, *extra: str):  # type: ignore[no-untyped-def]
    return run(
        "census", "import", str(DISTRICTS), "--level", "1", "--area-column", "region",
        "--group", "female", "--group", "male", "--source", SOURCE, *extra,
    )  # fmt: skip


@pytest.fixture(scope="module")
def imported(ghana_regions, run, client, keys):  # type: ignore[no-untyped-def]
    result = _import(run, "--skip-blank")
    assert result.exit_code == 0, result.output
    # 20 ratings in Accra at separate service points: 12 by women, 8 by men.
    features = [
        make_report(
            "service",
            -0.30 + 0.01 * i,
            5.62,
            reporter={"sex": "female" if i < 12 else "male"},
        )
        for i in range(20)
    ]
    body = {"type": "FeatureCollection", "features": features}
    assert client.post("/api/v1/reports/batch", json=body, headers=keys["volunteer"]).is_success
    return result


def test_a_table_with_blank_counts_is_refused_whole_unless_told(ghana_regions, run, engine):
    refused = _import(run)
    assert refused.exit_code != 0
    assert "Nothing imported" in refused.output and "line 65" in refused.output
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM census_margins").scalar_one() == 0


def test_districts_sum_to_regions_matched_by_name(imported, engine):
    assert "left out, counts blank: line 65 (Greater Accra), line 66 (Greater Accra)" in (
        imported.output
    )
    frame = pd.read_csv(DISTRICTS).dropna(subset=["male", "female"])
    want = frame.groupby("region")[["female", "male"]].sum()
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT a.name, m.grp, m.population, m.source FROM census_margins m "
            "JOIN areas a ON a.code = m.area_code"
        ).all()
    assert len(rows) == 32 and {r[3] for r in rows} == {SOURCE}
    for name, grp, population, _ in rows:
        assert population == want.loc[name.removesuffix(" Region"), grp]


def test_a_name_that_matches_no_area_stops_the_import(ghana_regions, run, tmp_path):
    table = tmp_path / "census.csv"
    table.write_text("region,female,male\nAshanti,10,9\nBrong Ahafo,5,5\n")
    result = run(
        "census", "import", str(table), "--level", "1", "--area-column", "region",
        "--group", "female", "--group", "male", "--source", "x",
    )  # fmt: skip
    assert result.exit_code != 0
    assert "line 3: 'Brong Ahafo' matches no level-1 area" in result.output


def test_respondents_are_compared_with_the_census(imported, client):
    table = client.get("/api/v1/indicators", params={"level": 1}).json()
    accra = next(a for a in table["areas"] if a["code"] == "GH-AA")
    rep = accra["representativeness"]["sex"]
    assert rep["source"] == SOURCE
    by_sex = accra["sdg_16_6_2"]["by_sex"]
    groups = {g["group"]: g for g in rep["groups"]}
    # The respondents are the published (perturbed) counts; shares are worked out from them.
    n_f, n_m = by_sex["female"]["n"], by_sex["male"]["n"]
    assert groups["female"]["respondents"] == n_f and groups["male"]["respondents"] == n_m
    assert groups["female"]["respondent_share"] == round(n_f / (n_f + n_m), 4)
    pop_f, pop_m = groups["female"]["population"], groups["male"]["population"]
    assert groups["female"]["population_share"] == round(pop_f / (pop_f + pop_m), 4)
    assert groups["female"]["ratio"] == pytest.approx(
        (n_f / (n_f + n_m)) / (pop_f / (pop_f + pop_m)), abs=2e-3
    )
    assert groups["female"]["ratio"] > 1 > groups["male"]["ratio"]
    assert next(a for a in table["areas"] if a["code"] == "GH-AH")["representativeness"]
    page = client.get("/areas/GH-AA")
    assert "Who is missing" in page.text and SOURCE in page.text


def test_areas_without_margins_have_none(ghana_regions, client):
    # Before any import in a module of its own, the member is there and null.
    table = client.get("/api/v1/indicators", params={"level": 1}).json()
    assert all("representativeness" in a for a in table["areas"])
