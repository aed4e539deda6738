"""OWSLib's OGC API - Features client (owslib.ogcapi.features) against a live
`civicmap serve`: the documents it reads, paging, a property filter, queryables and a CQL2
text filter, on both backends."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from owslib.ogcapi.features import Features

from tests.live import Server, ServerFactory
from tests.rows import insert_fake


@pytest.fixture(scope="module")
def server(database_url, engine, ghana_regions, tmp_path_factory) -> Iterator[Server]:  # type: ignore[no-untyped-def]
    insert_fake(engine, 90, seed=11)
    factory = ServerFactory(database_url, tmp_path_factory.mktemp("owslib"))
    try:
        yield factory.start()
    finally:
        factory.cleanup()


@pytest.fixture(scope="module")
def api(server) -> Features:  # type: ignore[no-untyped-def]
    return Features(f"{server.base_url}/ogc")


def test_landing_conformance_and_collections(api):
    assert any(link["rel"] == "service-desc" for link in api.links)
    conforms = api.conformance()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core" in conforms
    assert not any(c.endswith("/conf/oas30") for c in conforms)
    assert {"reports", "areas"} <= set(api.feature_collections())


def test_offset_pages_add_up_to_the_whole(api):
    whole = api.collection_items("reports", limit=1000)
    ids = [f["id"] for f in whole["features"]]
    paged = []
    for offset in range(0, len(ids), 25):
        paged += [
            f["id"] for f in api.collection_items("reports", limit=25, offset=offset)["features"]
        ]
    assert paged == ids and len(ids) == whole["numberMatched"]


def test_a_property_filter_and_a_cql2_filter_narrow_the_reports(api):
    everything = api.collection_items("reports", limit=1000)
    litter = [f for f in everything["features"] if f["properties"]["kind"] == "litter"]
    assert 0 < len(litter) < len(everything["features"])
    by_property = api.collection_items("reports", limit=1000, kind="litter")
    assert {f["id"] for f in by_property["features"]} == {f["id"] for f in litter}
    by_cql = api.collection_items("reports", limit=1000, filter="kind = 'litter'")
    assert {f["id"] for f in by_cql["features"]} == {f["id"] for f in litter}


def test_a_bbox_and_an_unknown_parameter(api):
    box = api.collection_items("reports", bbox=[-0.4, 5.4, 0.3, 6.0], limit=1000)
    for f in box["features"]:
        lon, lat = f["geometry"]["coordinates"]
        assert -0.4 <= lon <= 0.3 and 5.4 <= lat <= 6.0
    with pytest.raises(RuntimeError, match="400"):
        api.collection_items("reports", colour="blue")


def test_queryables_are_typed(api):
    queryables = api.collection_queryables("reports")
    props = queryables["properties"]
    assert props["kind"]["type"] == "string" and "litter" in props["kind"]["enum"]
    assert props["observed_at"]["format"] == "date-time"
    assert "received_at" not in props and "reporter_sex" not in props
