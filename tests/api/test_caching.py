"""Map and aggregate answers carry an ETag from the data version: asked again with it, they are
304 with no body until a report, a moderation, a deletion or an area import changes the data;
answers to a key are never for shared caches."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from mapping.storage.tables import reports
from tests.conftest import make_report
from tests.data import store_ghana_regions

PATHS = [
    "/api/v1/aggregates/hexes?resolution=7",
    "/api/v1/aggregates/areas?level=1",
    "/api/v1/indicators?level=1",
    "/api/v1/areas?level=1",
    "/api/v1/campaigns",
    "/api/v1/reports?limit=5",
]
HEXES = PATHS[0]


@pytest.fixture(scope="module", autouse=True)
def some_reports(client, ghana_regions):  # type: ignore[no-untyped-def]
    for kind in ("service", "litter", "hotspot"):
        assert client.post("/api/v1/reports", json=make_report(kind)).status_code == 201


def _etag(client, path: str, **headers: str) -> str:  # type: ignore[no-untyped-def]
    response = client.get(path, headers=headers)
    assert response.status_code == 200, response.text
    return str(response.headers["etag"])


@pytest.mark.parametrize("path", PATHS)
def test_an_unchanged_answer_is_304_with_no_body(client, path):
    first = client.get(path)
    assert first.status_code == 200, first.text
    etag = first.headers["etag"]
    assert etag.startswith('W/"')
    assert first.headers["cache-control"] == "public, no-cache"
    assert "Authorization" in first.headers["vary"]
    again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    assert again.headers["cache-control"] == "public, no-cache"
    assert "Authorization" in again.headers["vary"]
    # Among other tags, and as a strong tag, it is the same validator.
    listed = client.get(path, headers={"If-None-Match": f'"other", {etag.removeprefix("W/")}'})
    assert listed.status_code == 304


def test_the_etag_names_one_url(client):
    etags = {_etag(client, path) for path in PATHS}
    assert len(etags) == len(PATHS)
    other = client.get("/api/v1/aggregates/hexes?resolution=6", headers={"If-None-Match": "*"})
    assert other.status_code == 304  # `*` matches any current answer
    wrong = client.get("/api/v1/aggregates/hexes?resolution=6", headers={"If-None-Match": "x"})
    assert wrong.status_code == 200


def test_every_change_to_the_data_gives_a_new_etag(client, engine, keys):
    seen = [_etag(client, HEXES)]

    def changed() -> str:
        response = client.get(HEXES, headers={"If-None-Match": seen[-1]})
        assert response.status_code == 200, "the same ETag after a change"
        assert response.headers["etag"] not in seen
        seen.append(response.headers["etag"])
        return str(response.headers["etag"])

    # A refused report changes nothing.
    bad = make_report(lon=0.0, lat=0.0)
    assert client.post("/api/v1/reports", json=bad).status_code == 422
    assert client.get(HEXES, headers={"If-None-Match": seen[-1]}).status_code == 304

    created = client.post("/api/v1/reports", json=make_report("hotspot", -1.0, 7.0))
    assert created.status_code == 201
    changed()

    batch = {"type": "FeatureCollection", "features": [make_report(), make_report("litter")]}
    answer = client.post("/api/v1/reports/batch", json=batch, headers=keys["volunteer"])
    assert answer.json()["created"] == 2
    changed()

    report_id = created.json()["id"]
    patch = client.patch(
        f"/api/v1/reports/{report_id}",
        json={"status": "hidden", "note": "a test of caching"},
        headers=keys["moderator"],
    )
    assert patch.status_code == 200, patch.text
    changed()

    # A deletion, made by another engine (as another process or an operator would).
    with engine.begin() as conn:
        deleted = conn.execute(sa.delete(reports).where(reports.c.id == uuid.UUID(report_id)))
        assert deleted.rowcount == 1
    changed()

    # A write that is rolled back changes nothing.
    with pytest.raises(RuntimeError), engine.begin() as conn:
        conn.execute(sa.update(reports).values(status_note="never"))
        raise RuntimeError
    assert client.get(HEXES, headers={"If-None-Match": seen[-1]}).status_code == 304

    store_ghana_regions(engine)  # the areas imported again
    changed()


def test_an_answer_to_a_key_is_private_and_its_own(client, keys):
    public = _etag(client, HEXES)
    keyed = client.get(HEXES, headers=keys["moderator"])
    assert keyed.status_code == 200
    control = keyed.headers["cache-control"]
    assert "private" in control and "public" not in control
    assert "Authorization" in keyed.headers["vary"]
    assert keyed.headers["etag"] != public
    # The public answer's tag is no validator of the moderator's answer, nor the other way.
    moderator = {**keys["moderator"], "If-None-Match": public}
    assert client.get(HEXES, headers=moderator).status_code == 200
    anonymous = client.get(HEXES, headers={"If-None-Match": keyed.headers["etag"]})
    assert anonymous.status_code == 200
    again = client.get(HEXES, headers={**keys["moderator"], "If-None-Match": keyed.headers["etag"]})
    assert again.status_code == 304
    assert "private" in again.headers["cache-control"]
    assert _etag(client, HEXES, **keys["planner"]) not in (public, keyed.headers["etag"])


def test_errors_and_other_answers_carry_no_etag(client):
    bad = client.get("/api/v1/aggregates/hexes?resolution=99")
    assert bad.status_code == 400
    assert "etag" not in bad.headers
    assert "etag" not in client.get("/api/v1/taxonomy").headers
