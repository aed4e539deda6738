"""ODK Collect and Enketo as clients: the OpenRosa 1.0 form list, form download and submission,
driven by requests recorded in the shape the OpenRosa specification gives them (headers,
multipart parts and instance XML as ODK Collect sends them)."""

from __future__ import annotations

import hashlib
import uuid
from xml.etree import ElementTree

import pytest

from tests.forms import upload_prices_form, workbook
from tests.openrosa import BOUNDARY, COLLECT, recorded_submission
from tests.photos import assert_no_metadata, phone_jpeg

LIST_NS = "{http://openrosa.org/xforms/xformsList}"
RESPONSE_NS = "{http://openrosa.org/http/response}"


def post(client, body: bytes, headers: dict[str, str]):  # type: ignore[no-untyped-def]
    return client.post("/openrosa/submission", content=body, headers=headers)


def message(response) -> str:  # type: ignore[no-untyped-def]
    root = ElementTree.fromstring(response.content)
    assert root.tag == f"{RESPONSE_NS}OpenRosaResponse"
    return "".join(root.find(f"{RESPONSE_NS}message").itertext())  # type: ignore[union-attr]


def responses(client, keys) -> list[dict]:  # type: ignore[no-untyped-def,type-arg]
    answer = client.get("/api/v1/forms/market_prices/responses", headers=keys["planner"])
    return answer.json()["features"]  # type: ignore[no-any-return]


@pytest.fixture(scope="module", autouse=True)
def form(client, keys):  # type: ignore[no-untyped-def]
    upload_prices_form(client, keys["planner"])


def test_the_form_list_names_each_form_with_a_hash_of_what_it_downloads(client):
    listed = client.get("/openrosa/formList", headers=COLLECT)
    assert listed.status_code == 200
    assert listed.headers["x-openrosa-version"] == "1.0"
    assert listed.headers["content-type"].startswith("text/xml")
    forms = ElementTree.fromstring(listed.content).findall(f"{LIST_NS}xform")
    assert len(forms) == 1
    item = {child.tag.removeprefix(LIST_NS): child.text for child in forms[0]}
    assert (item["formID"], item["name"], item["version"]) == (
        "market_prices",
        "Market prices",
        "1",
    )
    download = client.get(item["downloadUrl"].removeprefix("http://testserver"), headers=COLLECT)
    assert download.status_code == 200 and download.headers["x-openrosa-version"] == "1.0"
    assert item["hash"] == "md5:" + hashlib.md5(download.content).hexdigest()
    root = ElementTree.fromstring(download.content)
    assert root.tag == "{http://www.w3.org/1999/xhtml}html"
    only = client.get("/openrosa/formList", params={"formID": "other"}, headers=COLLECT)
    assert ElementTree.fromstring(only.content).findall(f"{LIST_NS}xform") == []


def test_the_forms_of_a_campaign_that_has_ended_leave_the_list(client, keys):
    ended = client.post(
        "/api/v1/campaigns",
        json={
            "slug": "last-year",
            "title": "Prices 2025",
            "description": "Over.",
            "kind": "service",
            "start": "2025-01-01T00:00:00Z",
            "end": "2025-12-31T00:00:00Z",
        },
        headers=keys["planner"],
    )
    assert ended.status_code == 201, ended.text
    data = workbook(form_id="prices_2025")
    stored = client.post(
        "/api/v1/campaigns/last-year/forms",
        files={"file": ("f.xlsx", data)},
        headers=keys["planner"],
    )
    assert stored.status_code == 201
    listed = ElementTree.fromstring(client.get("/openrosa/formList", headers=COLLECT).content)
    ids = [x.findtext(f"{LIST_NS}formID") for x in listed.findall(f"{LIST_NS}xform")]
    assert ids == ["market_prices"]


def test_the_pre_submission_check_says_how_much_may_be_sent(client, settings):
    check = client.head("/openrosa/submission", headers=COLLECT)
    assert check.status_code == 204
    assert check.headers["x-openrosa-version"] == "1.0"
    assert int(check.headers["x-openrosa-accept-content-length"]) == settings.max_upload_body_bytes


def test_a_submission_with_a_photo_is_stored_once_and_its_photo_cleaned(client, keys, settings):
    instance_id = f"uuid:{uuid.uuid4()}"
    body, headers = recorded_submission(instance_id, photo=phone_jpeg())
    first = post(client, body, headers)
    assert first.status_code == 201, first.text
    assert first.headers["x-openrosa-version"] == "1.0"
    assert "stored" in message(first)
    before = len(responses(client, keys))
    again = post(client, body, headers)
    assert again.status_code == 201 and "nothing was added" in message(again)
    listed = responses(client, keys)
    assert len(listed) == before
    stored = next(f for f in listed if f["properties"]["answers"]["good"] == "rice")
    answers = stored["properties"]["answers"]
    assert answers["sellers"] == ["market_women", "shops"] and answers["quantity_kg"] == 20
    assert stored["geometry"]["coordinates"] == pytest.approx([-0.2057, 5.5502])
    photo_url = f"/api/v1/forms/market_prices/responses/{stored['id']}/photos/photo"
    assert client.get(photo_url).status_code == 401
    assert client.get(photo_url, headers=keys["volunteer"]).status_code == 403
    photo = client.get(photo_url, headers=keys["planner"])
    assert photo.status_code == 200 and photo.headers["content-type"] == "image/jpeg"
    assert_no_metadata(photo.content)
    missing = photo_url.replace("/photo", "/note")
    assert client.get(missing, headers=keys["planner"]).status_code == 404


def test_the_same_instance_id_with_other_answers_is_a_conflict(client, keys):
    instance_id = f"uuid:{uuid.uuid4()}"
    assert post(client, *recorded_submission(instance_id, good="maize")).status_code == 201
    before = len(responses(client, keys))
    changed = post(client, *recorded_submission(instance_id, good="maize", price="99"))
    assert changed.status_code == 409
    assert instance_id in message(changed)
    assert len(responses(client, keys)) == before


def test_an_answer_outside_its_constraint_is_refused_naming_the_question(client):
    refused = post(client, *recorded_submission(f"uuid:{uuid.uuid4()}", price="-1"))
    assert refused.status_code == 422
    assert "answers/price" in message(refused)
    # The instance names a photo that none of the parts brings.
    unattached = recorded_submission(f"uuid:{uuid.uuid4()}", photo=phone_jpeg(), attach=False)
    refused = post(client, *unattached)
    assert refused.status_code == 422 and "answers/photo" in message(refused)


def test_keys_authenticate_as_bearer_tokens(client, keys):
    body, headers = recorded_submission(f"uuid:{uuid.uuid4()}")
    assert post(client, body, {**headers, **keys["volunteer"]}).status_code == 201
    bad = post(client, body, {**headers, "Authorization": "Bearer cm_not-a-key"})
    assert bad.status_code == 401


@pytest.mark.parametrize(
    "xml",
    [
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
        b'<data id="market_prices"><good>&b;</good></data>',
        b"<data id='market_prices'><good>rice</good></data>",  # no instanceID
        b"<data><meta><instanceID>uuid:1</instanceID></meta></data>",  # no form id
        b"<data id='market_prices'",
        b"<?xml version='1.0' encoding='x-unknown'?><data id='market_prices'/>",
        b"<?xml version='1.0' encoding='shift_jis'?><data id='market_prices'/>",
    ],
)
def test_a_malformed_instance_is_a_4xx(client, xml):
    body = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="xml_submission_file"; '
        f'filename="s.xml"\r\nContent-Type: text/xml\r\n\r\n'
    ).encode() + xml
    body += f"\r\n--{BOUNDARY}--\r\n".encode()
    answer = post(client, body, recorded_submission("x")[1])
    assert answer.status_code == 422, answer.text
    assert message(answer)


def test_a_submission_to_an_unknown_version_is_not_found(client):
    body, headers = recorded_submission(f"uuid:{uuid.uuid4()}")
    answer = post(client, body.replace(b'version="1"', b'version="8"'), headers)
    assert answer.status_code == 404


def test_too_many_or_too_large_media_are_refused_with_4xx(client, settings):
    body, headers = recorded_submission(f"uuid:{uuid.uuid4()}")
    extra = b"".join(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="f{i}.jpg"; '
        f'filename="f{i}.jpg"\r\nContent-Type: image/jpeg\r\n\r\nx\r\n'.encode()
        for i in range(12)
    )
    crowded = body.replace(f"--{BOUNDARY}--".encode(), extra + f"--{BOUNDARY}--".encode())
    answer = post(client, crowded, headers)
    assert answer.status_code == 422 and "files" in message(answer).lower()
    huge = body.replace(b"<note/>", b"<note>" + b"x" * settings.max_upload_body_bytes + b"</note>")
    assert post(client, huge, headers).status_code == 413
