"""Where anonymous submission is off, ODK Collect signs OpenRosa requests with HTTP Digest,
the key's prefix as username and the key as password; httpx's own Digest client (one we did
not write) answers the server's challenge."""

from __future__ import annotations

import uuid

import httpx
import pytest

from mapping.keys import create_key
from mapping.storage import versions
from tests.conftest import settings_for
from tests.forms import upload_prices_form
from tests.openrosa import COLLECT, recorded_submission


@pytest.fixture(scope="module")
def settings(database_url, tmp_path_factory):  # type: ignore[no-untyped-def]
    return settings_for(database_url, tmp_path_factory, anonymous_writes_per_minute=0)


@pytest.fixture(scope="module")
def volunteer(engine) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    with engine.begin() as conn:
        _, key = create_key(conn, name="field team 3", role="volunteer")
    return key[:11], key


@pytest.fixture(scope="module", autouse=True)
def form(client, keys):  # type: ignore[no-untyped-def]
    upload_prices_form(client, keys["planner"])


def test_an_unsigned_submission_is_challenged_for_digest(client):
    check = client.head("/openrosa/submission", headers=COLLECT)
    assert check.status_code == 401
    assert check.headers["www-authenticate"].startswith('Digest realm="civicmap", qop="auth"')
    answer = client.post("/openrosa/submission", content=b"", headers=COLLECT)
    assert answer.status_code == 401 and "Digest" in answer.headers["www-authenticate"]


def test_a_key_signs_with_digest_and_its_submission_is_stored(client, volunteer):
    username, key = volunteer
    check = client.head(
        "/openrosa/submission", headers=COLLECT, auth=httpx.DigestAuth(username, key)
    )
    assert check.status_code == 204
    body, headers = recorded_submission(f"uuid:{uuid.uuid4()}")
    sent = client.post(
        "/openrosa/submission", content=body, headers=headers, auth=httpx.DigestAuth(username, key)
    )
    assert sent.status_code == 201, sent.text


def test_a_wrong_key_or_a_digest_elsewhere_is_refused(client, volunteer):
    username, key = volunteer
    body, headers = recorded_submission(f"uuid:{uuid.uuid4()}")
    wrong = client.post(
        "/openrosa/submission",
        content=body,
        headers=headers,
        auth=httpx.DigestAuth(username, key + "x"),
    )
    assert wrong.status_code == 401
    # Digest is believed on the OpenRosa endpoints only; elsewhere a key is a Bearer token.
    elsewhere = client.post(
        "/api/v1/reports/batch",
        json={"type": "FeatureCollection", "features": []},
        auth=httpx.DigestAuth(username, key),
    )
    assert elsewhere.status_code == 401
    assert elsewhere.headers["www-authenticate"] == 'Bearer realm="civicmap"'


@pytest.mark.parametrize(
    "header", ["Digest a", "Digest username=", "Digest ,,,", 'Digest username="x", qop']
)
def test_a_malformed_digest_header_is_challenged_again(client, header):
    check = client.head("/openrosa/submission", headers={**COLLECT, "Authorization": header})
    assert check.status_code == 401
    assert check.headers["www-authenticate"].startswith('Digest realm="civicmap"')


@pytest.mark.parametrize(
    ("nonce", "response"),
    [("\xb2\xb3.00", "00"), ("1.\xe9", "00"), (None, "\xe9" * 32)],
)
def test_digest_fields_beyond_ascii_are_challenged_again(client, volunteer, nonce, response):
    """Header bytes are read as Latin-1: superscript digits, accents."""
    username, _ = volunteer
    if nonce is None:
        challenge = client.head("/openrosa/submission", headers=COLLECT)
        nonce = challenge.headers["www-authenticate"].split('nonce="')[1].split('"')[0]
    header = (
        f'Digest username="{username}", realm="civicmap", nonce="{nonce}", '
        f'uri="/openrosa/submission", response="{response}", qop=auth, nc=00000001, cnonce="ab"'
    )
    check = client.head(
        "/openrosa/submission", headers={**COLLECT, "Authorization": header.encode("latin-1")}
    )
    assert check.status_code == 401
    assert check.headers["www-authenticate"].startswith('Digest realm="civicmap"')


def test_a_signed_answer_replayed_is_refused(client, volunteer):
    # Digest does not sign the body: whoever saw one signed header could otherwise send any
    # submission with it as long as its nonce lasts.
    username, key = volunteer
    body, headers = recorded_submission(f"uuid:{uuid.uuid4()}")
    sent = client.post(
        "/openrosa/submission", content=body, headers=headers, auth=httpx.DigestAuth(username, key)
    )
    assert sent.status_code == 201, sent.text
    signed = sent.request.headers["authorization"]
    other, _ = recorded_submission(f"uuid:{uuid.uuid4()}", good="maize")
    replayed = client.post(
        "/openrosa/submission", content=other, headers={**headers, "Authorization": signed}
    )
    assert replayed.status_code == 401
    assert "stale=true" in replayed.headers["www-authenticate"]
    again = client.post(
        "/openrosa/submission", content=other, headers=headers, auth=httpx.DigestAuth(username, key)
    )
    assert again.status_code == 201, again.text


def test_a_signed_check_leaves_the_data_version_and_so_every_cached_answer(
    client, engine, volunteer
):
    username, key = volunteer
    with engine.connect() as conn:
        before = versions.current(conn)
    check = client.head(
        "/openrosa/submission", headers=COLLECT, auth=httpx.DigestAuth(username, key)
    )
    assert check.status_code == 204
    with engine.connect() as conn:
        assert versions.current(conn) == before


def test_a_digest_username_with_a_nul_is_challenged_again(client):
    challenge = client.head("/openrosa/submission", headers=COLLECT)
    nonce = challenge.headers["www-authenticate"].split('nonce="')[1].split('"')[0]
    header = (
        f'Digest username="cm_\x00abc", realm="civicmap", nonce="{nonce}", '
        'uri="/openrosa/submission", response="00", qop=auth, nc=00000001, cnonce="ab"'
    )
    check = client.head("/openrosa/submission", headers={**COLLECT, "Authorization": header})
    assert check.status_code == 401
