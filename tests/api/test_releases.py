"""Releases on both backends: made with `civicmap release create`, cited by id, read back
byte for byte and as SDMX-CSV by pysdmx (a reader we did not write), never changed."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.conftest import make_report

# Twelve ratings at service points about 1 km apart in Accra, observed in October 2026.
POINTS = [(-0.25 + 0.01 * i, 5.60 + 0.004 * (i % 3)) for i in range(12)]


def _post(client, keys, satisfaction: int, day: str) -> None:  # type: ignore[no-untyped-def]
    features = [
        make_report(
            "service",
            lon,
            lat,
            observed_at=f"2026-10-{day}T10:00:00+00:00",
            attributes={
                "name": f"Clinic {i}",
                "status": "operational",
                "satisfaction": satisfaction,
            },
            reporter={"sex": "female" if i % 2 else "male"},
        )
        for i, (lon, lat) in enumerate(POINTS)
    ]
    body = {"type": "FeatureCollection", "features": features}
    result = client.post("/api/v1/reports/batch", json=body, headers=keys["volunteer"])
    assert result.status_code == 200, result.text


@pytest.fixture(scope="module")
def first_release(ghana_regions, client, keys, run) -> str:  # type: ignore[no-untyped-def]
    _post(client, keys, 4, "05")
    result = run("release", "create", "--level", "1", "--title", "October", "--last", "2026-10")
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


def _accra(document: dict) -> dict:  # type: ignore[type-arg]
    return next(a for a in document["areas"] if a["code"] == "GH-AA")


def test_a_release_is_cited_by_id_and_reads_back_as_sdmx_csv(client, first_release, tmp_path):
    pysdmx = pytest.importorskip("pysdmx.io")
    page = client.get(f"/api/v1/releases/{first_release}")
    assert page.status_code == 200
    document = page.json()
    assert document["id"] == first_release and document["title"] == "October"
    assert document["period"]["until"] == "2026-11-01"
    assert document["perturbation_table"] and "16.6.2" in document["method"]
    assert document["data_version"]["reports"] == len(POINTS)
    assert document["sources"][0]["license"] == document["license"]
    accra = _accra(document)["sdg_16_6_2"]
    assert accra["n"] is not None and accra["satisfied_share"] == 1.0

    sdmx = client.get(f"/api/v1/releases/{first_release}", params={"format": "sdmx-csv"})
    assert sdmx.headers["content-type"].startswith("application/vnd.sdmx.data+csv")
    path = tmp_path / "release.csv"
    path.write_bytes(sdmx.content)
    message = pysdmx.read_sdmx(str(path))
    (dataset,) = message.data
    assert dataset.short_urn == "Dataflow=CIVICMAP:SDG_CITIZEN(1.0)"
    frame = dataset.data
    head = frame[
        (frame.REF_AREA == "GH-AA")
        & (frame.INDICATOR == "16.6.2_POOLED")
        & (frame.BREAKDOWN == "all")
    ]
    assert float(head.OBS_VALUE.iloc[0]) == accra["satisfied_share"]
    assert int(head.NOBS.iloc[0]) == accra["n"]
    assert set(frame.RELEASE) == {first_release}
    # The indicator as the metadata defines it: per service, and per attribute of each.
    health = frame[(frame.REF_AREA == "GH-AA") & (frame.INDICATOR == "16.6.2_HEALTH")]
    services = accra["services"]["health"]
    top = health[health.BREAKDOWN == "all"]
    assert int(top.NOBS.iloc[0]) == services["n"]
    attributes = health[health.BREAKDOWN == "attribute"]
    assert set(attributes.BREAKDOWN_GROUP) == set(services["by_attribute"])
    empty = frame[frame.OBS_VALUE.fillna("") == ""]
    assert len(empty) and (empty.OBS_STATUS == "O").all()  # regions with no ratings
    assert (frame[frame.CONF_STATUS == "C"].OBS_VALUE.fillna("") == "").all()


def test_a_release_does_not_move_when_reports_arrive(client, keys, first_release, run):
    before = client.get(f"/api/v1/releases/{first_release}")
    _post(client, keys, 1, "20")  # the same points, now dissatisfied, inside the period
    after = client.get(f"/api/v1/releases/{first_release}")
    assert after.content == before.content and after.headers["etag"] == before.headers["etag"]
    again = client.get(
        f"/api/v1/releases/{first_release}", headers={"If-None-Match": before.headers["etag"]}
    )
    assert again.status_code == 304
    newer = run(
        "release", "create", "--level", "1", "--title", "October again", "--last", "2026-10"
    )
    document = client.get(f"/api/v1/releases/{newer.stdout.strip()}").json()
    assert document["data_version"]["reports"] == 2 * len(POINTS)
    assert _accra(document)["sdg_16_6_2"]["satisfied_share"] == 0.0  # the latest rating counts


def test_the_database_refuses_to_change_a_release(engine, first_release):
    for statement in (
        sa.text("UPDATE releases SET title = 'changed' WHERE id = :id"),
        sa.text("DELETE FROM releases WHERE id = :id"),
    ):
        with pytest.raises(sa.exc.DatabaseError, match="immutable"), engine.begin() as conn:
            conn.execute(statement, {"id": first_release})
    with engine.connect() as conn:
        title = conn.execute(
            sa.text("SELECT title FROM releases WHERE id = :id"), {"id": first_release}
        ).scalar_one()
    assert title == "October"


def test_a_correction_names_the_release_it_replaces(client, first_release, run):
    made = run("release", "create", "--level", "1", "--title", "Fix", "--replaces", first_release)
    assert made.exit_code == 0, made.output
    fix = made.stdout.strip()
    assert client.get(f"/api/v1/releases/{fix}").json()["replaces"] == first_release
    old = client.get(f"/api/v1/releases/{first_release}")
    assert f"/api/v1/releases/{fix}>" in old.headers["link"]
    assert 'rel="successor-version"' in old.headers["link"]
    listed = {r["id"]: r for r in client.get("/api/v1/releases").json()["releases"]}
    assert listed[first_release]["replaced_by"] == fix and listed[fix]["replaces"] == first_release
    twice = run(
        "release", "create", "--level", "1", "--title", "Again", "--replaces", first_release
    )
    assert twice.exit_code != 0 and f"already replaced by {fix}" in twice.output
    unknown = run("release", "create", "--level", "1", "--title", "X", "--replaces", "19990101-01")
    assert unknown.exit_code != 0 and "No release '19990101-01'" in unknown.output


def test_bad_release_requests(client, run):
    assert client.get("/api/v1/releases/19990101-01").status_code == 404
    bad = client.get("/api/v1/releases/not-an-id")
    assert bad.status_code in (400, 422) and bad.headers["content-type"].startswith(
        "application/problem+json"
    )
    assert client.get("/api/v1/releases/19990101-01", params={"format": "xml"}).status_code in (
        400,
        422,
    )
    month = run("release", "create", "--level", "1", "--title", "X", "--first", "2026-13")
    assert month.exit_code != 0 and "YYYY-MM" in month.output
    backwards = run(
        "release",
        "create",
        "--level",
        "1",
        "--title",
        "X",
        "--first",
        "2026-10",
        "--last",
        "2026-09",
    )
    assert backwards.exit_code != 0 and "before its last" in backwards.output
