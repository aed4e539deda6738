from __future__ import annotations

import csv

from tests.data import EEA_LITTERWATCH_ITEM_CODES


def test_taxonomy_lists_the_three_kinds(client):
    body = client.get("/api/v1/taxonomy").json()
    services = {c["code"] for c in body["service"]}
    assert {"health_facility", "school", "water_point", "police", "civil_registration"} <= services
    assert {c["code"] for c in body["hotspot"]} >= {"flooding", "discrimination", "waste_dumping"}
    assert all(c["label"] for kind in ("service", "hotspot") for c in body[kind])


def test_litter_items_follow_the_marine_litterwatch_master_list(client):
    items = {i["code"]: i["material"] for i in client.get("/api/v1/taxonomy").json()["litter"]}
    with open(EEA_LITTERWATCH_ITEM_CODES, newline="") as f:
        master = {row["generalcode"]: row["category"] for row in csv.DictReader(f)}
    assert items.keys() == master.keys()
    assert items["G1"] == "plastic" and items["G21"] == "plastic"
    plastic = {code for code, material in master.items() if material == "Plastic"}
    assert plastic == {code for code, material in items.items() if material == "plastic"}


def test_health_and_readiness(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"
