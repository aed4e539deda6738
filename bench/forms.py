"""Questionnaire benchmark: what an XLSForm costs at upload, per response, and per answer.

    .venv/bin/python bench/forms.py [--count N] [--repeat R]
                                    [--backend spatialite|postgis|both] [--postgres-url URL]

On a fresh database per backend, with the real app in-process (TestClient): the demo's market
price survey (mapping.imports.demo_survey) is uploaded (pyxform's conversion and our checks),
N of its synthetic responses are sent through OpenRosa as ODK Collect sends them (the instance
parsed, every rule evaluated by elementpath, the answers stored typed), then the per-question
aggregates per hexagon and the GeoPackage download are timed, each the median of R.
A measurement, not a test: it exits 0 whatever the figures.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element, SubElement, tostring

# Run as a script from anywhere: the packages live one folder up.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from api.app import create_app
from bench import common
from mapping.imports import demo_survey
from mapping.keys import create_key
from mapping.storage.migrate import upgrade

BOUNDARY = "benchBoundary"
COLLECT = {"X-OpenRosa-Version": "1.0"}


def instance(instance_id: str, answers: dict[str, Any]) -> bytes:
    """The response as ODK Collect writes its instance (a geopoint as `lat lon alt acc`)."""
    root = Element("data", id=demo_survey.FORM_ID, version="1")
    for name, value in answers.items():
        if name == "market_place":
            text = f"{value[1]} {value[0]} 0 5"
        else:
            text = " ".join(value) if isinstance(value, list) else str(value)
        SubElement(root, name).text = text
    SubElement(SubElement(root, "meta"), "instanceID").text = instance_id
    return tostring(root)


def submission(xml: bytes) -> tuple[bytes, dict[str, str]]:
    body = (
        (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="xml_submission_file"; '
            f'filename="s.xml"\r\nContent-Type: text/xml\r\n\r\n'
        ).encode()
        + xml
        + f"\r\n--{BOUNDARY}--\r\n".encode()
    )
    return body, {**COLLECT, "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}


def run(url: str, count: int, repeat: int) -> None:
    settings = common.settings(url, anonymous_writes_per_minute=10**9)
    with common.engine_at(url) as engine:
        upgrade(engine)
        with engine.begin() as conn:
            _, key = create_key(conn, name="bench", role="planner")
    planner = {"Authorization": f"Bearer {key}"}
    with common.test_client()(create_app(settings)) as client:
        client.post(
            "/api/v1/campaigns",
            headers=planner,
            json={
                "slug": demo_survey.CAMPAIGN,
                "title": "bench",
                "description": "bench",
                "kind": "service",
                "start": "2020-01-01T00:00:00Z",
                "end": "2099-01-01T00:00:00Z",
            },
        )
        started = time.perf_counter()
        made = client.post(
            f"/api/v1/campaigns/{demo_survey.CAMPAIGN}/forms",
            headers=planner,
            files={"file": ("f.xlsx", demo_survey.workbook())},
        )
        upload_s = time.perf_counter() - started
        assert made.status_code == 201, made.text
        responses = demo_survey.synthetic_responses(
            count=count, seed=3, until=datetime.now(UTC).date()
        )
        times = []
        for instance_id, answers in responses:
            body, headers = submission(instance(instance_id, answers))
            started = time.perf_counter()
            sent = client.post("/openrosa/submission", content=body, headers=headers)
            times.append(time.perf_counter() - started)
            assert sent.status_code == 201, sent.text
        base = f"/api/v1/forms/{demo_survey.FORM_ID}"
        aggregates_s, answer = common.median_time(
            lambda: client.get(f"{base}/aggregates", params={"resolution": 5}), repeat
        )
        assert answer.status_code == 200, answer.text
        gpkg_s, answer = common.median_time(
            lambda: client.get(f"{base}/responses", params={"format": "gpkg"}), repeat
        )
        assert answer.status_code == 200
    print(f"  upload and conversion of the form: {upload_s * 1000:.0f} ms")
    print(
        f"  OpenRosa submission: median {statistics.median(times) * 1000:.1f} ms, "
        f"95th percentile {statistics.quantiles(times, n=20)[-1] * 1000:.1f} ms ({count})"
    )
    print(f"  aggregates per hexagon over {count}: {aggregates_s * 1000:.0f} ms")
    print(f"  GeoPackage of {count}: {gpkg_s * 1000:.0f} ms, {len(answer.content)} bytes")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=1000, help="responses sent")
    parser.add_argument("--repeat", type=int, default=3)
    common.add_backend_options(parser, default="spatialite")
    args = parser.parse_args()
    for backend in common.chosen_backends(args):
        print(f"{backend} (load average {common.load_average()}):")
        with common.scratch_store(backend, args.postgres_url) as url:
            run(url, args.count, args.repeat)


if __name__ == "__main__":
    main()
