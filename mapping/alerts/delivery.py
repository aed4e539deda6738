"""Sending webhook deliveries: claim the due ones, POST them signed, record what happened.

The outbox survives restarts because it is a table. Any number of workers may run (a thread
in each API process, or none and a separate job): each claims rows with a lease in one atomic
UPDATE, so a delivery is attempted by one worker at a time, and one whose worker died is taken
up again when its lease runs out. Delivery is at least once; receivers dedupe by the
`X-CivicMap-Delivery` id. Failed attempts wait `base * 2**(attempts-1)` seconds (capped)
before the next, until the attempts run out.

Each attempt resolves the receiver's host once, checks every address (webhooks.check_target)
and connects to a checked address, never looking the name up again; the Host header, and for
https the SNI and the certificate check, are still the URL's host.
"""

from __future__ import annotations

import http.client
import logging
import socket
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any
from urllib.parse import urlsplit

import orjson
from sqlalchemy.engine import Engine

from mapping.alerts.webhooks import SIGNATURE_HEADER, Target, check_target, signature
from mapping.disclosure.publish import View, report_feature, rfc3339
from mapping.storage import reports as report_store
from mapping.storage import webhooks as store
from mapping.storage.reports import PUBLIC_STATUSES

log = logging.getLogger("civicmap.webhooks")

# What a sender answers: the HTTP status; it raises OSError when no answer came. A worker given
# one (a test's) calls it with the URL once the URL's host passed its check.
Sender = Callable[[str, bytes, Mapping[str, str], float], int]
LOG_ENTRIES = 20


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one attempt came to: `delivered`, `retry` (failed, may be tried again), `failed`,
    `skipped` (nothing to send any more) or `released` (not tried: the worker is stopping)."""

    status: str
    code: int | None = None
    error: str | None = None
    elapsed_ms: int = 0


@dataclass(frozen=True, slots=True)
class DeliveryPolicy:
    """Retry and timing rules (from Settings)."""

    backoff_base_s: float = 30.0
    backoff_max_s: float = 3600.0
    max_attempts: int = 10
    timeout_s: float = 10.0
    public_resolution: int = 7
    batch: int = 20
    concurrency: int = 4
    # Hosts that may receive webhooks though they resolve to non-public addresses.
    allowed_hosts: frozenset[str] = frozenset()

    @property
    def lease_s(self) -> float:
        # Longer than a round of attempts can take, so a live worker keeps its claim.
        return (self.batch // self.concurrency + 1) * self.timeout_s + 30

    def delay_after(self, attempts: int) -> float:
        return float(min(self.backoff_base_s * 2 ** max(attempts - 1, 0), self.backoff_max_s))


def _connect(target: Target, timeout: float | None) -> socket.socket:
    """A TCP connection to the first of `target`'s checked addresses that takes one; no name is
    looked up here."""
    failure: OSError = OSError(f"{target.host} has no address to connect to")
    for family, sockaddr in target.addresses:
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.settimeout(timeout)
            sock.connect(sockaddr)
        except OSError as exc:
            sock.close()
            failure = exc
            continue
        return sock
    raise failure


class _PinnedConnection(http.client.HTTPConnection):
    """HTTP(S) to `target.host` over a connection to one of its checked addresses: the Host
    header is the host's, and TLS sends it as SNI and verifies the certificate against it."""

    def __init__(self, target: Target, timeout: float, tls: ssl.SSLContext | None) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self.target, self.tls = target, tls
        # The Host header leaves out the scheme's own port.
        self.default_port = 80 if tls is None else 443

    def connect(self) -> None:
        sock = _connect(self.target, self.timeout)
        if self.tls is not None:
            sock = self.tls.wrap_socket(sock, server_hostname=self.host)
        self.sock = sock


def http_post(
    url: str, body: bytes, headers: Mapping[str, str], timeout: float, *, target: Target
) -> int:
    """POST `body` to `url` through one of `target`'s checked addresses; the status code (any,
    2xx or not: a redirect is an answer, not followed, lest the body go elsewhere). OSError when
    none came."""
    parts = urlsplit(url)
    tls = ssl.create_default_context() if parts.scheme == "https" else None
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    conn = _PinnedConnection(target, timeout, tls)
    try:
        conn.request("POST", path, body=body, headers=dict(headers))
        return int(conn.getresponse().status)
    except http.client.HTTPException as exc:  # an answer that is not HTTP
        raise OSError(f"{type(exc).__name__}: {exc}") from exc
    finally:
        conn.close()


def now_utc() -> datetime:
    return datetime.now(UTC)


class DeliveryWorker:
    """Sends due deliveries: `run_due()` once, or `start()` a thread that polls."""

    def __init__(
        self,
        engine: Engine,
        policy: DeliveryPolicy,
        *,
        send: Sender | None = None,
        clock: Callable[[], datetime] = now_utc,
    ) -> None:
        self.engine, self.policy, self.send, self.clock = engine, policy, send, clock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_due(self, now: datetime | None = None) -> int:
        """Claim the deliveries due at `now` (default: the clock), attempt them (a few at a
        time, so one slow receiver does not hold up the rest) and record every outcome in one
        transaction; how many were claimed. Times count from `now`, so a test's clock drives
        the backoff as the real one does."""
        now = now or self.clock()
        lease = now + timedelta(seconds=self.policy.lease_s)
        with self.engine.begin() as conn:
            claimed = store.claim_due(conn, now=now, lease_until=lease, limit=self.policy.batch)
        if not claimed:
            return 0
        with ThreadPoolExecutor(self.policy.concurrency) as pool:
            outcomes = list(pool.map(self._attempt, claimed))
        with self.engine.begin() as conn:
            for delivery, outcome in zip(claimed, outcomes, strict=True):
                if outcome is not None:
                    store.finish_attempt(
                        conn, delivery["seq"], **self._values(delivery, outcome, now)
                    )
        return len(claimed)

    def _attempt(self, delivery: Mapping[Any, Any]) -> Outcome | None:
        """Send one claimed delivery; its outcome (None: its webhook was deleted meanwhile)."""
        if self._stop.is_set():
            return Outcome("released")  # stopping: hand it back untried
        with self.engine.connect() as conn:
            hook = store.get_webhook(conn, delivery["webhook_id"])
            report = report_store.get_report(
                conn, delivery["report_id"], placement=View().placement
            )
        if hook is None:
            return None
        if delivery["attempts"] > self.policy.max_attempts:
            # Claimed again after its worker died mid-attempt, with no attempts left.
            return Outcome("failed", error="no attempts left")
        body = self._body(delivery, report)
        if body is None:
            return Outcome("skipped", error="the report is no longer public")
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "CivicMap-Webhooks/1",
            "X-CivicMap-Event": delivery["event"],
            "X-CivicMap-Delivery": str(delivery["id"]),
            "X-CivicMap-Attempt": str(delivery["attempts"]),
            SIGNATURE_HEADER: signature(hook["secret"], body),
        }
        target = check_target(hook["url"], self.policy.allowed_hosts)
        if target.refused:
            return Outcome("retry", error=f"refused: {target.refused}"[:500])
        send = self.send or partial(http_post, target=target)
        started = time.monotonic()
        try:
            code: int | None = send(hook["url"], body, headers, self.policy.timeout_s)
            error = None if code is not None and 200 <= code < 300 else f"answered HTTP {code}"
        except (OSError, ValueError) as exc:
            code, error = None, f"{type(exc).__name__}: {exc}"[:500]
        elapsed_ms = round((time.monotonic() - started) * 1000)
        return Outcome("delivered" if error is None else "retry", code, error, elapsed_ms)

    def _body(self, delivery: Mapping[Any, Any], report: Mapping[Any, Any] | None) -> bytes | None:
        """The JSON to send, with the report as the public sees it now; None when a report
        event's report is no longer public (it was hidden or rejected meanwhile)."""
        envelope: dict[str, Any] = {
            "id": str(delivery["id"]),
            "event": delivery["event"],
            "created_at": rfc3339(delivery["created_at"]),
        }
        if delivery["event"] == "report.withdrawn":
            envelope["report"] = {"id": str(delivery["report_id"])}
        elif report is None or report["status"] not in PUBLIC_STATUSES:
            return None
        else:
            view = View(public_resolution=self.policy.public_resolution)
            envelope["report"] = report_feature(report, view)
        return orjson.dumps(envelope)

    def _values(
        self, delivery: Mapping[Any, Any], outcome: Outcome, now: datetime
    ) -> dict[str, Any]:
        """The delivery's row after `outcome`: delivered, finally failed or skipped, due again
        after its backoff, or handed back untried."""
        if outcome.status == "released":
            return {"status": "due", "lease_until": None, "attempts": delivery["attempts"] - 1}
        entry = {
            "at": rfc3339(now),
            "status_code": outcome.code,
            "error": outcome.error,
            "ms": outcome.elapsed_ms,
        }
        values: dict[str, Any] = {
            "log": [*delivery["log"], entry][-LOG_ENTRIES:],
            "last_status_code": outcome.code,
            "last_error": outcome.error,
            "lease_until": None,
        }
        if outcome.status == "retry" and delivery["attempts"] < self.policy.max_attempts:
            delay = self.policy.delay_after(delivery["attempts"])
            values.update(status="due", next_at=now + timedelta(seconds=delay))
        else:
            final = "failed" if outcome.status == "retry" else outcome.status
            values.update(status=final, finished_at=now)
        return values

    def start(self, interval_s: float) -> None:
        """Poll for due deliveries every `interval_s` seconds in a daemon thread."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._loop, args=(interval_s,), name="civicmap-webhooks", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop polling; attempts not yet begun are handed back, those under way may take up
        to the send timeout."""
        if self._thread is None:
            return  # not polling: `run_due` called by hand keeps working
        self._stop.set()
        self._thread.join(self.policy.timeout_s + 5)
        self._thread = None

    def _loop(self, interval_s: float) -> None:
        while not self._stop.wait(interval_s):
            try:
                while self.run_due() and not self._stop.is_set():
                    pass  # a full batch: there may be more due right away
            except Exception:  # keep polling: the next round may succeed (e.g. after a migration)
                log.exception("webhook delivery round failed")
