"""A batch that mixes new features, features already stored, a client id reused for other
content, a repeat inside the batch and invalid features: each gets its exact outcome, and each new
one is stored exactly as the same report sent alone would be (PostgreSQL takes a batch by COPY,
a single report by INSERT; both must store the same row)."""

from __future__ import annotations

import copy
import uuid
from typing import Any

import sqlalchemy as sa

from mapping.storage.tables import reports
from tests.conftest import count_reports, make_report

# Columns that differ between two sendings of one report by design: who and when, the keys
# made for it, the receipt (a single report's only), and the flags, compared on their own.
_OWN = {"seq", "id", "client_id", "receipt_hash", "received_at", "record_key", "submitter"}
_OWN |= {"quality", "geom", "public_geom"}


def _stored(engine, report_ids: list[str]) -> dict[str, dict[str, Any]]:  # type: ignore[no-untyped-def]
    columns = [c for c in reports.c if c.name not in {"geom", "public_geom"}]
    query = sa.select(
        *columns,
        sa.func.ST_AsText(reports.c.geom).label("geom_text"),
        sa.func.ST_AsText(reports.c.public_geom).label("public_geom_text"),
    ).where(reports.c.id.in_([uuid.UUID(i) for i in report_ids]))
    with engine.connect() as conn:
        return {str(row["id"]): dict(row) for row in conn.execute(query).mappings()}


def _alone(feature: dict[str, Any]) -> dict[str, Any]:
    twin = copy.deepcopy(feature)
    twin["properties"]["client_id"] = str(uuid.uuid4())
    return twin


def test_a_mixed_batch_answers_each_feature_exactly_and_stores_what_a_single_report_would(
    client, engine, keys, ghana_regions
):
    earlier = make_report("service", -0.2, 5.6)
    first = client.post("/api/v1/reports", json=earlier)
    assert first.status_code == 201, first.text
    reused = copy.deepcopy(earlier)
    reused["properties"]["attributes"]["satisfaction"] = 1
    invalid = make_report("hotspot")
    invalid["properties"]["attributes"]["severity"] = 9
    new = [
        make_report(
            "litter",
            -1.62,
            6.69,
            sensitive=True,
            accuracy_m=900.0,
            description='Tab\there, a backslash \\ and "quotes",\nnew line; Ɔkɔmfo Anɔkye \\N',
        ),
        make_report(
            "service",
            -0.17,
            5.61,
            reporter={"sex": "female", "age_group": "25-44", "disability": True},
            campaign=None,
        ),
        make_report("hotspot", -0.9, 9.4, description=None),
        # Beside the report stored before: flagged possible_duplicate by the batch's check.
        make_report("service", -0.2, 5.6, observed_at=earlier["properties"]["observed_at"]),
    ]
    repeat = copy.deepcopy(new[0])
    features = [new[0], earlier, invalid, new[1], reused, repeat, new[2], new[3]]
    before = count_reports(engine)

    body = {"type": "FeatureCollection", "features": features}
    response = client.post("/api/v1/reports/batch", json=body, headers=keys["volunteer"])
    assert response.status_code == 200, response.text
    answer = response.json()
    outcomes = [r["outcome"] for r in answer["results"]]
    assert outcomes == [
        "created",
        "duplicate",
        "rejected",
        "created",
        "rejected",
        "duplicate",
        "created",
        "created",
    ]
    assert (answer["created"], answer["duplicates"], answer["rejected"]) == (4, 2, 2)
    results = answer["results"]
    assert [r["index"] for r in results] == list(range(len(features)))
    assert results[1]["id"] == first.json()["id"]
    assert results[5]["id"] == results[0]["id"]
    assert results[2]["errors"][0]["loc"][:2] == ["features", 2]
    assert results[4]["errors"] == [
        {
            "loc": ["features", 4, "properties", "client_id"],
            "msg": "already used for other content; send a new client_id",
        }
    ]
    created = [results[i]["id"] for i in (0, 3, 6, 7)]
    assert len(set(created)) == 4
    assert count_reports(engine) == before + 4

    # The same reports sent one by one, after the batch (so each is flagged as a possible
    # duplicate of its batch twin, which the check must find among the batch's rows; a
    # sensitive report never makes another one a possible duplicate).
    singles = []
    for feature in new:
        alone = client.post("/api/v1/reports", json=_alone(feature))
        assert alone.status_code == 201, alone.text
        singles.append(alone.json()["id"])
    rows = _stored(engine, created + singles)
    for batch_id, single_id in zip(created, singles, strict=True):
        batch_row, single_row = rows[batch_id], rows[single_id]
        differing = {
            name for name in batch_row if name not in _OWN and batch_row[name] != single_row[name]
        }
        assert not differing, {n: (batch_row[n], single_row[n]) for n in differing}
        flagged = "possible_duplicate" in single_row["quality"]
        assert flagged is not batch_row["sensitive"]
    assert rows[created[0]]["quality"] == ["low_accuracy"]
    assert rows[created[0]]["public_h3"] != rows[created[0]]["h3"]
    assert rows[created[0]]["area_1"] == "GH-AH"
    assert rows[created[1]]["quality"] == [] and rows[created[2]]["quality"] == []
    assert rows[created[3]]["quality"] == ["possible_duplicate"]
    assert rows[created[1]]["reporter_disability"] is True
    assert rows[created[1]]["area_1"] == "GH-AA"
    assert rows[created[0]]["attributes"] == new[0]["properties"]["attributes"]
    assert rows[created[0]]["description"] == new[0]["properties"]["description"]
    for report_id in created:
        assert client.get(f"/api/v1/reports/{report_id}").status_code == 200
