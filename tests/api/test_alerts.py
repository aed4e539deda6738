"""Alerts: an area's Atom feed, read by a real feed parser; webhooks signed, retried with
backoff from a persistent outbox, and logged."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import feedparser
import h3
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from mapping.alerts.delivery import DeliveryWorker
from mapping.settings import Settings
from mapping.storage import make_engine
from mapping.storage import webhooks as hook_store
from tests.conftest import make_report, settings_for

LABADI = (-0.1486, 5.5600)
TAMALE = (-0.8393, 9.4075)
SECRET = "a-secret-of-the-receiver-0123456789"


@pytest.fixture(scope="module")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """No background worker here: the tests drive `run_due` themselves, with a clock."""
    return settings_for(
        database_url,
        tmp_path_factory,
        webhook_worker_interval_s=0,
        webhook_backoff_base_s=2.0,
        webhook_timeout_s=5.0,
    )


pytestmark = pytest.mark.usefixtures("ghana_regions")


class Receiver:
    """A webhook receiver on 127.0.0.1 that answers 500 to its first `failures` requests."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.requests: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                # Header names are case-insensitive: keep them lower-case.
                headers = {k.lower(): v for k, v in self.headers.items()}
                receiver.requests.append((headers, body))
                failing = len(receiver.requests) <= receiver.failures
                self.send_response(500 if failing else 204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def verified(self) -> list[dict[str, Any]]:
        """The bodies whose signature checks out with the secret, parsed."""
        out = []
        for headers, body in self.requests:
            expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
            assert hmac.compare_digest(headers["x-civicmap-signature"], expected)
            out.append(json.loads(body))
        return out


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    made = Receiver(failures=2)
    yield made
    made.close()


def subscribe(client: TestClient, admin: dict[str, str], url: str, **filters: Any) -> str:
    body = {"url": url, "secret": SECRET, "filter": filters, "description": "test receiver"}
    response = client.post("/api/v1/webhooks", json=body, headers=admin)
    assert response.status_code == 201, response.text
    return response.json()["id"]  # type: ignore[no-any-return]


def worker(client: TestClient) -> DeliveryWorker:
    return client.app.state.delivery_worker  # type: ignore[no-any-return]


def deliveries(client: TestClient, admin: dict[str, str], hook: str) -> list[dict[str, Any]]:
    response = client.get(f"/api/v1/webhooks/{hook}/deliveries", headers=admin)
    assert response.status_code == 200, response.text
    return response.json()["deliveries"]  # type: ignore[no-any-return]


# The Atom feed


def test_the_area_feed_is_valid_atom_with_the_newest_public_reports(client, keys, settings):
    campaign = f"feed-{uuid.uuid4().hex[:8]}"
    tricky = 'Bottles & <cans> "here" \x01 \u00e9'
    plain = client.post(
        "/api/v1/reports",
        json=make_report("litter", lon=LABADI[0], lat=LABADI[1], campaign=campaign),
    ).json()
    nasty = client.post(
        "/api/v1/reports",
        json=make_report(
            "litter", lon=LABADI[0], lat=LABADI[1], campaign=campaign, description=tricky
        ),
    ).json()
    lon, lat = -0.2061, 5.5913
    sensitive = client.post(
        "/api/v1/reports",
        json=make_report("hotspot", lon=lon, lat=lat, campaign=campaign, sensitive=True),
    ).json()
    hidden = client.post(
        "/api/v1/reports", json=make_report(lon=LABADI[0], lat=LABADI[1], campaign=campaign)
    ).json()
    client.patch(
        f"/api/v1/reports/{hidden['id']}",
        json={"status": "hidden", "note": "private"},
        headers=keys["moderator"],
    )
    elsewhere = client.post(
        "/api/v1/reports", json=make_report(lon=TAMALE[0], lat=TAMALE[1], campaign=campaign)
    ).json()

    response = client.get("/api/v1/areas/GH-AA/feed.atom", params={"campaign": campaign})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/atom+xml")
    parsed = feedparser.parse(response.content)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    assert "Greater Accra" in parsed.feed.title
    ids = [e.id for e in parsed.entries]
    # Newest first; the hidden report and the one outside the area are left out.
    assert ids == [f"urn:uuid:{r['id']}" for r in (sensitive, nasty, plain)]
    assert f"urn:uuid:{hidden['id']}" not in ids and f"urn:uuid:{elsewhere['id']}" not in ids
    entry = {e.id: e for e in parsed.entries}
    assert 'Bottles & <cans> "here"' in entry[f"urn:uuid:{nasty['id']}"].summary
    # A sensitive report is in the feed only at its cell's centre, as in the public listing.
    point = entry[f"urn:uuid:{sensitive['id']}"].where["coordinates"]
    cell = h3.latlng_to_cell(lat, lon, settings.public_h3_resolution)
    assert point == pytest.approx(h3.cell_to_latlng(cell)[::-1])
    assert point != pytest.approx((lon, lat))
    only_litter = client.get(
        "/api/v1/areas/GH-AA/feed.atom", params={"campaign": campaign, "kind": "litter"}
    )
    assert len(feedparser.parse(only_litter.content).entries) == 2
    assert client.get("/api/v1/areas/XX-00/feed.atom").status_code == 404


# Webhooks


def test_webhooks_are_for_admins_and_never_show_their_secret(client, keys):
    body = {"url": "http://127.0.0.1:9/hook", "filter": {"kind": "litter"}}
    assert client.post("/api/v1/webhooks", json=body).status_code == 401
    for role in ("volunteer", "moderator", "planner"):
        assert client.post("/api/v1/webhooks", json=body, headers=keys[role]).status_code == 403
        assert client.get("/api/v1/webhooks", headers=keys[role]).status_code == 403
    made = client.post("/api/v1/webhooks", json=body, headers=keys["admin"])
    assert made.status_code == 201
    assert len(made.json()["secret"]) >= 32  # made for the caller, shown this once
    listed = client.get("/api/v1/webhooks", headers=keys["admin"]).json()["webhooks"]
    mine = next(w for w in listed if w["id"] == made.json()["id"])
    assert "secret" not in mine and mine["filter"] == {"kind": "litter"}
    for bad in (
        {"url": "ftp://example.org/x"},
        {"url": "http://127.0.0.1/x", "filter": {"kind": "weather"}},
        {"url": "http://127.0.0.1/x", "secret": "short"},
    ):
        refused = client.post("/api/v1/webhooks", json=bad, headers=keys["admin"])
        assert refused.status_code == 422, bad
    hook = made.json()["id"]
    assert client.delete(f"/api/v1/webhooks/{hook}", headers=keys["admin"]).status_code == 204
    assert client.delete(f"/api/v1/webhooks/{hook}", headers=keys["admin"]).status_code == 404
    gone = client.get(f"/api/v1/webhooks/{hook}/deliveries", headers=keys["admin"])
    assert gone.status_code == 404


def test_a_receiver_gets_the_signed_report_after_two_failures(client, keys, receiver, settings):
    admin = keys["admin"]
    campaign = f"hook-{uuid.uuid4().hex[:8]}"
    hook = subscribe(client, admin, receiver.url, area="GH-AA", campaign=campaign)
    report = client.post(
        "/api/v1/reports",
        json=make_report("litter", lon=LABADI[0], lat=LABADI[1], campaign=campaign),
    ).json()
    client.post(  # outside the filter's area: not delivered
        "/api/v1/reports",
        json=make_report("litter", lon=TAMALE[0], lat=TAMALE[1], campaign=campaign),
    )
    # Submission only wrote to the outbox: nothing was sent yet.
    assert receiver.requests == []
    [due] = deliveries(client, admin, hook)
    assert (due["status"], due["attempts"], due["event"]) == ("due", 0, "report.created")

    start = datetime.now(UTC)
    base = settings.webhook_backoff_base_s
    assert worker(client).run_due(start) == 1  # first attempt: 500
    [after_one] = deliveries(client, admin, hook)
    assert (after_one["status"], after_one["attempts"]) == ("due", 1)
    assert after_one["last_status_code"] == 500
    assert worker(client).run_due(start + timedelta(seconds=base / 2)) == 0  # backing off
    assert worker(client).run_due(start + timedelta(seconds=base + 1)) == 1  # second: 500
    [after_two] = deliveries(client, admin, hook)
    waited = datetime.fromisoformat(after_two["next_at"]) - datetime.fromisoformat(
        after_one["next_at"]
    )
    assert waited >= timedelta(seconds=base)  # the delay doubled
    assert worker(client).run_due(start + timedelta(seconds=base + 1 + 2 * base - 0.5)) == 0
    assert worker(client).run_due(start + timedelta(seconds=4 * base + 1)) == 1  # third: 204

    bodies = receiver.verified()
    assert len(bodies) == 3
    assert {b["id"] for b in bodies} == {due["id"]}  # one delivery, tried three times
    assert bodies[-1]["event"] == "report.created"
    assert bodies[-1]["report"]["id"] == report["id"]
    assert bodies[-1]["report"]["properties"]["campaign"] == campaign
    headers = receiver.requests[-1][0]
    assert headers["x-civicmap-delivery"] == due["id"] and headers["x-civicmap-attempt"] == "3"
    assert headers["x-civicmap-event"] == "report.created"
    [done] = deliveries(client, admin, hook)
    assert (done["status"], done["attempts"], done["last_status_code"]) == ("delivered", 3, 204)
    assert [e["status_code"] for e in done["log"]] == [500, 500, 204]
    assert done["finished_at"] is not None and done["next_at"] is None


def test_moderation_changes_are_delivered_and_a_withdrawal_carries_only_the_id(
    client, keys, settings
):
    admin, moderator = keys["admin"], keys["moderator"]
    campaign = f"mod-{uuid.uuid4().hex[:8]}"
    receiver = Receiver()

    def send_due() -> list[dict[str, Any]]:
        seen = len(receiver.requests)
        while worker(client).run_due(datetime.now(UTC) + timedelta(seconds=1)):
            pass
        return receiver.verified()[seen:]

    try:
        hook = subscribe(client, admin, receiver.url, campaign=campaign)
        report = client.post("/api/v1/reports", json=make_report(campaign=campaign)).json()
        url = f"/api/v1/reports/{report['id']}"
        [created] = send_due()
        assert created["event"] == "report.created"
        assert created["report"]["properties"]["status"] == "pending"
        client.patch(url, json={"note": "a note is not news"}, headers=moderator)
        assert send_due() == []
        client.patch(url, json={"status": "verified"}, headers=moderator)
        [updated] = send_due()
        assert updated["event"] == "report.updated"
        assert updated["report"]["properties"]["status"] == "verified"
        assert "status_note" not in updated["report"]["properties"]  # the public view
        client.patch(url, json={"status": "hidden", "note": "shows a face"}, headers=moderator)
        [withdrawn] = send_due()
        assert withdrawn["event"] == "report.withdrawn"
        assert withdrawn["report"] == {"id": report["id"]}

        # Hidden before its news went out: the report's content is not sent after all.
        late = client.post("/api/v1/reports", json=make_report(campaign=campaign)).json()
        client.patch(
            f"/api/v1/reports/{late['id']}", json={"status": "rejected"}, headers=moderator
        )
        assert [b["event"] for b in send_due()] == ["report.withdrawn"]
        logged = deliveries(client, admin, hook)
        assert [(d["event"], d["status"]) for d in logged[:2]] == [
            ("report.withdrawn", "delivered"),
            ("report.created", "skipped"),
        ]
    finally:
        receiver.close()


def test_the_outbox_survives_a_restart_and_a_worker_that_died(client, keys, settings):
    admin = keys["admin"]
    campaign = f"restart-{uuid.uuid4().hex[:8]}"
    receiver = Receiver()
    try:
        hook = subscribe(client, admin, receiver.url, campaign=campaign)
        client.post("/api/v1/reports", json=make_report(campaign=campaign))
        # A worker claims the delivery and dies before sending it.
        now = datetime.now(UTC)
        lease = now + timedelta(seconds=60)
        with client.app.state.engine.begin() as conn:
            [claimed] = hook_store.claim_due(conn, now=now, lease_until=lease, limit=10)
        # The process restarts: a new engine, a new worker, the same database.
        engine = make_engine(settings.database_url)
        try:
            fresh = DeliveryWorker(engine, settings.policies().delivery)
            assert fresh.run_due(now) == 0  # the lease still holds
            assert fresh.run_due(lease + timedelta(seconds=1)) == 1
        finally:
            engine.dispose()
        [done] = deliveries(client, admin, hook)
        assert done["id"] == str(claimed["id"]) and done["status"] == "delivered"
        assert len(receiver.verified()) == 1
    finally:
        receiver.close()


def test_two_workers_never_claim_the_same_delivery(client, keys, settings):
    admin = keys["admin"]
    campaign = f"race-{uuid.uuid4().hex[:8]}"
    subscribe(client, admin, "http://127.0.0.1:9/never", campaign=campaign)
    batch = {
        "type": "FeatureCollection",
        "features": [make_report(campaign=campaign) for _ in range(40)],
    }
    client.post("/api/v1/reports/batch", json=batch, headers=keys["volunteer"])
    now = datetime.now(UTC) + timedelta(seconds=1)
    claims: list[list[int]] = []
    barrier = threading.Barrier(4)

    def claim() -> None:
        engine = make_engine(settings.database_url)
        try:
            barrier.wait()
            with engine.begin() as conn:
                rows = hook_store.claim_due(
                    conn, now=now, lease_until=now + timedelta(minutes=5), limit=15
                )
            claims.append([r["seq"] for r in rows])
        finally:
            engine.dispose()

    threads = [threading.Thread(target=claim) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    claimed = [seq for batch_ in claims for seq in batch_]
    assert len(claimed) == len(set(claimed))
    assert len(claimed) == 40


def test_the_background_worker_delivers_without_help(database_url, keys, engine):
    """The app's own worker (lifespan thread), with a short poll and backoff."""
    settings = Settings(  # type: ignore[call-arg]
        database_url=database_url,
        anonymous_writes_per_minute=1_000_000,
        webhook_worker_interval_s=0.05,
        webhook_backoff_base_s=0.05,
        webhook_allowed_hosts=["127.0.0.1"],
        _env_file=None,
    )
    receiver = Receiver(failures=2)
    app = create_app(settings)
    try:
        with TestClient(app) as client:
            campaign = f"bg-{uuid.uuid4().hex[:8]}"
            subscribe(client, keys["admin"], receiver.url, campaign=campaign)
            client.post("/api/v1/reports", json=make_report(campaign=campaign))
            deadline = time.monotonic() + 20
            while len(receiver.requests) < 3 and time.monotonic() < deadline:
                time.sleep(0.05)
        assert len(receiver.verified()) == 3
    finally:
        receiver.close()
        app.state.engine.dispose()


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost:8000/hook",
        "http://10.0.0.5/hook",
        "http://169.254.169.254/latest/meta-data",  # a cloud's metadata address
        "http://[::1]/hook",
        "http://224.0.0.1/hook",
        "http://0.0.0.0/hook",
    ],
)
def test_a_webhook_to_a_non_public_address_is_refused(client, keys, url):
    made = client.post("/api/v1/webhooks", json={"url": url}, headers=keys["admin"])
    assert made.status_code == 422, made.text
    assert made.json()["errors"][0]["loc"] == ["url"]
    listed = client.get("/api/v1/webhooks", headers=keys["admin"]).json()["webhooks"]
    assert url not in [hook["url"] for hook in listed]


def test_a_delivery_is_refused_when_the_host_no_longer_resolves_to_an_allowed_place(
    client, engine, keys, settings
):
    """Rebinding: the host was allowed when the webhook was made, and is no longer when the
    delivery goes; nothing is sent."""
    sent: list[str] = []

    def send(url: str, body: bytes, headers: Any, timeout: float) -> int:
        sent.append(url)
        return 200

    campaign = f"rebind-{uuid.uuid4().hex[:8]}"
    subscribe(client, keys["admin"], "http://127.0.0.1:9/rebound", campaign=campaign)
    client.post("/api/v1/reports", json=make_report(campaign=campaign))
    strict = replace(settings.policies().delivery, allowed_hosts=frozenset())
    DeliveryWorker(engine, strict, send=send).run_due()
    assert not [url for url in sent if url.endswith("/rebound")]
    with engine.connect() as conn:
        errors = conn.exec_driver_sql("SELECT last_error FROM webhook_deliveries").scalars().all()
    assert any((error or "").startswith("refused: 127.0.0.1") for error in errors)
