"""Open311 errors name the field and the rule, one `{code, description}` per problem, in JSON and
XML alike; and `georeport`, a GeoReport v2 client we did not write, reads them (it has no call
to create requests, so those are posted as a form the way any client posts them)."""

from __future__ import annotations

import socket
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator

import pytest
import requests
import uvicorn
import xmltodict
from fastapi.testclient import TestClient
from georeport import GeoReport

from api.app import create_app
from mapping.settings import Settings

BASE = "/open311/v2"
FLOOD = {"service_code": "hotspot-flooding", "lat": "5.61", "long": "-0.21"}


def _errors(client: TestClient, fmt: str, form: dict[str, str]) -> list[str]:
    """The descriptions of the errors a POST gets, each checked to carry the 400 code."""
    answer = client.post(f"{BASE}/requests.{fmt}", data=form)
    assert answer.status_code == 400, answer.text
    if fmt == "json":
        found = [(e["code"], e["description"]) for e in answer.json()]
    else:
        root = ET.fromstring(answer.content)
        assert root.tag == "errors"
        found = [(int(e.findtext("code")), e.findtext("description")) for e in root]
    assert {code for code, _ in found} == {400}
    return [description for _, description in found]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_request_without_a_location_names_lat_and_long(client: TestClient, fmt: str) -> None:
    lat, long = _errors(client, fmt, {"service_code": "hotspot-flooding"})
    assert lat.startswith("lat: is required") and "-90 to 90" in lat
    assert long.startswith("long: is required") and "-180 to 180" in long
    by_address = _errors(client, fmt, {**FLOOD, "lat": "", "long": "", "address_string": "Osu"})
    assert all("address_string cannot be placed" in d for d in by_address)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_an_unknown_service_code_says_how_to_list_them(client: TestClient, fmt: str) -> None:
    [posted] = _errors(client, fmt, {**FLOOD, "service_code": "pothole"})
    assert posted == "service_code: 'pothole' is not a service here; " + (
        "/open311/v2/services.json lists them"
    )
    searched = client.get(f"{BASE}/requests.{fmt}", params={"service_code": "pothole,nope"})
    assert searched.status_code == 400
    assert searched.text.count("is not a service here") == 2  # one error per unknown code


def test_coordinates_out_of_range_state_the_range(client: TestClient) -> None:
    lat, long = _errors(client, "json", {**FLOOD, "lat": "95", "long": "-200"})
    assert lat == "lat: 95 is outside the range; give WGS84 decimal degrees from -90 to 90"
    assert long == "long: -200 is outside the range; give WGS84 decimal degrees from -180 to 180"
    [finite] = _errors(client, "json", {**FLOOD, "lat": "nan"})
    assert finite.startswith("lat: nan is outside the range")


def test_every_problem_is_its_own_error(client: TestClient) -> None:
    form = {"lat": "north", "long": "-0.21"}
    assert [d.split(":")[0] for d in _errors(client, "xml", form)] == ["service_code", "lat"]
    attributes = _errors(
        client,
        "json",
        {**FLOOD, "attribute[severity]": "9", "attribute[people_affected]": "-3"},
    )
    assert [d.split(":")[0] for d in attributes] == [
        "attribute[severity]",
        "attribute[people_affected]",
    ]
    assert "less than or equal to 5" in attributes[0]
    assert all("/open311/v2/services/hotspot-flooding.json" in d for d in attributes)
    [unknown] = _errors(client, "json", {**FLOOD, "attribute[severity]": "3", "attribute[x]": "1"})
    assert unknown.startswith("attribute[x]: is not an attribute of this service")
    [survey] = _errors(
        client,
        "json",
        {**FLOOD, "service_code": "litter-cleanup", "attribute[items.G1]": "4"},
    )
    assert survey.startswith("attribute[survey_length_m]: is required")


def test_query_errors_name_the_parameter(client: TestClient) -> None:
    status = client.get(f"{BASE}/requests.json", params={"status": "done"})
    assert status.json() == [
        {"code": 400, "description": "status: must be open, closed, or both comma-separated"}
    ]
    fmt = client.get(f"{BASE}/services.yaml").json()
    assert fmt[0]["description"].startswith("format (the path must end in .json or .xml)")


@pytest.fixture(scope="module")
def open311_url(settings: Settings, engine: object) -> Iterator[str]:
    """The app under uvicorn on a free port, for a client that speaks HTTP itself."""
    app = create_app(settings)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        threading.Event().wait(0.05)
    assert server.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{sock.getsockname()[1]}{BASE}"
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()
    app.state.engine.dispose()


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_the_georeport_client_reads_services_and_errors(open311_url: str, fmt: str) -> None:
    client = GeoReport(open311_url, output_format=fmt)
    codes = [s["service_code"] for s in client.get_service_list()]
    assert "hotspot-flooding" in codes
    definition = client.get_service_definition("hotspot-flooding")
    assert definition["service_code"] == "hotspot-flooding"
    with pytest.raises(requests.HTTPError) as refused:
        client.get_service_requests(service_code="pothole")
    answer = refused.value.response
    assert answer.status_code == 400
    if fmt == "json":
        [error] = answer.json()
    else:  # read as the client reads XML
        error = xmltodict.parse(answer.content)["errors"]["error"]
    assert error["description"].startswith("service_code: 'pothole' is not a service here")
    with pytest.raises(requests.HTTPError) as missing:
        client.get_service_definition("pothole")
    assert missing.value.response.status_code == 404
