"""A delivery connects to the address its check passed, whatever the name answers next (DNS
rebinding), and still speaks to the URL's host: its Host header, and for https its SNI and the
certificate's name. Receivers listen on 127.0.0.1; a fake resolver says where names point."""

from __future__ import annotations

import hashlib
import hmac
import shutil
import socket
import ssl
import subprocess
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from mapping.alerts.delivery import DeliveryPolicy, DeliveryWorker
from mapping.alerts.webhooks import SIGNATURE_HEADER, create_webhook
from mapping.storage import webhooks as store

SECRET = "a-secret-of-the-receiver-0123456789"
PUBLIC = "93.184.215.14"  # a public address; nothing here ever reaches it (see `connections`)


class Receiver:
    """An HTTP(S) server on `address` that notes every connection it accepts and every POST."""

    def __init__(self, address: str, port: int = 0, tls: ssl.SSLContext | None = None) -> None:
        self.connections: list[str] = []
        self.requests: list[tuple[str, dict[str, str], bytes]] = []
        self.sni: list[str | None] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                headers = {k.lower(): v for k, v in self.headers.items()}
                receiver.requests.append((self.path, headers, body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            def verify_request(self, request: Any, client_address: Any) -> bool:
                receiver.connections.append(client_address[0])
                return True

        self.server = Server((address, port), Handler)
        self.port = self.server.server_address[1]
        if tls is not None:
            tls.sni_callback = lambda _sock, name, _ctx: receiver.sni.append(name)  # type: ignore[assignment,misc]
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receivers() -> Iterator[list[Receiver]]:
    made: list[Receiver] = []
    yield made
    for receiver in made:
        receiver.close()


@pytest.fixture
def hooks(engine: Engine) -> Iterator[list[uuid.UUID]]:
    """Webhooks made by a test, deleted with their deliveries after it, so that the next
    test's worker finds only its own due."""
    made: list[uuid.UUID] = []
    yield made
    with engine.begin() as conn:
        for hook in made:
            store.delete_webhook(conn, hook)


def queue_delivery(engine: Engine, hooks: list[uuid.UUID], url: str) -> uuid.UUID:
    """A webhook for `url` (made as allowed: its host is checked again at delivery) with one
    due delivery, a `report.withdrawn`, whose body needs no stored report."""
    now = datetime.now(UTC)
    host = url.split("//")[1].split(":")[0]
    with engine.begin() as conn:
        doc, _ = create_webhook(
            conn, {"url": url, "secret": SECRET}, created_by="test", now=now, allowed_hosts={host}
        )
        hook = uuid.UUID(doc["id"])
        hooks.append(hook)
        store.insert_deliveries(
            conn,
            [
                {
                    "id": uuid.uuid4(),
                    "webhook_id": hook,
                    "report_id": uuid.uuid4(),
                    "event": "report.withdrawn",
                    "status": "due",
                    "attempts": 0,
                    "next_at": now,
                    "lease_until": None,
                    "created_at": now,
                    "finished_at": None,
                    "last_status_code": None,
                    "last_error": None,
                    "log": [],
                }
            ],
        )
    return hook


def delivery_of(engine: Engine, hook: uuid.UUID) -> Any:
    with engine.connect() as conn:
        [row] = store.list_deliveries(conn, hook, limit=2)
    return row


class Resolver:
    """`socket.getaddrinfo` for `host`: `answers` in turn (the last one again after them);
    other names resolve as usual."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, host: str, *answers: str) -> None:
        self.calls = 0
        real = socket.getaddrinfo

        def getaddrinfo(name: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
            if name != host:
                return real(name, port, *args, **kwargs)
            answer = answers[min(self.calls, len(answers) - 1)]
            self.calls += 1
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answer, int(port)))]

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.fixture
def connections(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The addresses this process connects to from now on; one to PUBLIC is refused at once,
    as though that host did not listen, so that no test traffic leaves the machine."""
    seen: list[str] = []
    real = socket.socket.connect

    def connect(sock: socket.socket, address: Any) -> None:
        seen.append(address[0])
        if address[0] == PUBLIC:
            raise ConnectionRefusedError(111, "Connection refused (stand-in for a public host)")
        real(sock, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    return seen


def worker(engine: Engine, *allowed: str) -> DeliveryWorker:
    policy = DeliveryPolicy(timeout_s=5.0, allowed_hosts=frozenset(allowed))
    return DeliveryWorker(engine, policy)


def test_a_name_that_answers_loopback_the_second_time_gets_no_delivery_there(
    engine, hooks, receivers, connections, monkeypatch
):
    """DNS rebinding: public when checked, 127.0.0.1 when asked again. The one connection goes
    to the public address that was checked; the receiver on 127.0.0.1 hears nothing."""
    local = Receiver("127.0.0.1")
    receivers.append(local)
    hook = queue_delivery(engine, hooks, f"http://rebind.test:{local.port}/hook")
    resolver = Resolver(monkeypatch, "rebind.test", PUBLIC, "127.0.0.1")
    assert worker(engine).run_due() == 1
    assert local.connections == [] and local.requests == []
    assert connections == [PUBLIC]
    assert resolver.calls == 1
    row = delivery_of(engine, hook)
    assert (row["status"], row["last_status_code"]) == ("due", None)
    assert "ConnectionRefusedError" in row["last_error"]


def test_the_receiver_sees_the_url_host_at_the_checked_address(
    engine, hooks, receivers, monkeypatch
):
    """An allowed name pointed at this machine: the POST reaches the address it first resolved
    to (not the one it answers next), with the URL's host, port, path and query."""
    local = Receiver("127.0.0.1")
    decoy = Receiver("127.0.0.2", port=local.port)
    receivers.extend([local, decoy])
    url = f"http://hooks.test:{local.port}/hook?via=pinned"
    hook = queue_delivery(engine, hooks, url)
    Resolver(monkeypatch, "hooks.test", "127.0.0.1", "127.0.0.2")
    assert worker(engine, "hooks.test").run_due() == 1
    assert decoy.connections == []
    [(path, headers, body)] = local.requests
    assert path == "/hook?via=pinned"
    assert headers["host"] == f"hooks.test:{local.port}"
    expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert headers[SIGNATURE_HEADER.lower()] == expected
    assert delivery_of(engine, hook)["status"] == "delivered"


def _certificate(tmp_path: Path, name: str) -> Path:
    """A self-signed certificate (and its key, in the same file) for DNS name `name`."""
    pem = tmp_path / f"{name}.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-subj", f"/CN={name}", "-addext", f"subjectAltName=DNS:{name}"),
            *("-keyout", str(pem), "-out", str(pem)),
        ],
        check=True,
        capture_output=True,
    )
    return pem


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
@pytest.mark.parametrize("certified", ["hooks.test", "other.test"])
def test_https_sends_the_url_host_as_sni_and_checks_the_certificate_against_it(
    engine, hooks, receivers, monkeypatch, tmp_path, certified
):
    """Connected to 127.0.0.1, TLS still names hooks.test: a certificate for it is accepted, one
    for another name is refused before anything is sent."""
    pem = _certificate(tmp_path, certified)
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(pem)
    local = Receiver("127.0.0.1", tls=server)
    receivers.append(local)
    monkeypatch.setenv("SSL_CERT_FILE", str(pem))  # the client trusts this one certificate
    hook = queue_delivery(engine, hooks, f"https://hooks.test:{local.port}/hook")
    Resolver(monkeypatch, "hooks.test", "127.0.0.1")
    assert worker(engine, "hooks.test").run_due() == 1
    assert local.sni == ["hooks.test"]
    row = delivery_of(engine, hook)
    if certified == "hooks.test":
        [(_, headers, _)] = local.requests
        assert headers["host"] == f"hooks.test:{local.port}"
        assert row["status"] == "delivered"
    else:
        assert local.requests == []
        assert row["status"] == "due" and "CERTIFICATE_VERIFY_FAILED" in row["last_error"]
