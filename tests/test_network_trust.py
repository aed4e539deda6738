"""Network trust, tried on a real `civicmap serve`: the address that quotas count is the
client's own unless the operator names the proxy that forwards it."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import make_report
from tests.live import ServerFactory


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[ServerFactory]:
    factory = ServerFactory(f"sqlite:///{tmp_path / 'trust.sqlite'}", tmp_path)
    try:
        yield factory
    finally:
        factory.cleanup()


def _answers(servers: ServerFactory, **env: str) -> list[int]:
    """Two anonymous reports, each claiming another address, under a quota of one a minute."""
    servers.env = {"CIVICMAP_ANONYMOUS_WRITES_PER_MINUTE": "1", **env}
    server = servers.start()
    with server.client() as client:
        return [
            client.post(
                "/api/v1/reports", json=make_report(), headers={"X-Forwarded-For": address}
            ).status_code
            for address in ("203.0.113.1", "203.0.113.2")
        ]


def test_a_client_cannot_reset_its_quota_with_x_forwarded_for(servers):
    assert _answers(servers) == [201, 429]


def test_a_named_proxy_forwards_the_address_quotas_count(servers):
    assert _answers(servers, CIVICMAP_TRUSTED_PROXIES="127.0.0.1") == [201, 201]


def test_a_client_that_stops_sending_its_body_is_answered_408_and_cut_off(servers):
    servers.env = {"CIVICMAP_BODY_IDLE_TIMEOUT_S": "1"}
    server = servers.start()
    host, port = server.base_url.removeprefix("http://").split(":")
    for path, media in (
        ("/api/v1/reports", "application/json"),
        ("/open311/v2/requests.json", "application/x-www-form-urlencoded"),
    ):
        with socket.create_connection((host, int(port)), timeout=20) as sock:
            sock.sendall(
                f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: {media}\r\n"
                'Content-Length: 1000\r\n\r\n{"type": '.encode()
            )
            started = time.monotonic()
            answer = b""
            while chunk := sock.recv(65536):  # until the server closes the connection
                answer += chunk
            waited = time.monotonic() - started
        assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
        assert waited < 15
