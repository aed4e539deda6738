"""Webhooks: subscribers told of every new or changed public report that matches their filter.

A report event only writes delivery rows (an outbox) in the report's own transaction, so that
a delivery exists exactly when the report does and submission never waits on a subscriber;
mapping.alerts.delivery sends them later. Each body is JSON signed with HMAC-SHA256 over its exact
bytes with the webhook's secret, in `X-CivicMap-Signature: sha256=<hex>`.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
import socket
import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy.engine import Connection

from mapping.disclosure.publish import rfc3339
from mapping.errors import InvalidInput, error_items
from mapping.schemas import SLUG_PATTERN, Text
from mapping.storage import webhooks as store
from mapping.storage.reports import PUBLIC_STATUSES
from mapping.storage.tables import AREA_LEVELS
from mapping.taxonomy import Kind

Event = Literal["report.created", "report.updated", "report.withdrawn"]
SIGNATURE_HEADER = "X-CivicMap-Signature"


class WebhookFilter(BaseModel):
    """Which reports a webhook hears of: every member given must match; none given, all."""

    model_config = ConfigDict(extra="forbid")

    kind: Kind | None = None
    category: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    area: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    campaign: Annotated[str, Field(pattern=SLUG_PATTERN)] | None = None


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: Annotated[str, Field(max_length=2000)]
    secret: Annotated[str, Field(min_length=16, max_length=200)] | None = None
    filter: WebhookFilter = Field(default_factory=WebhookFilter)
    description: Annotated[Text, Field(max_length=200)] | None = None

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parts = urlsplit(value)
        try:
            parts.port  # noqa: B018 - raises for a port that is not a number in 0..65535
        except ValueError:
            raise ValueError("the port is not a number in 0..65535") from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("give an absolute http:// or https:// URL")
        return value


@dataclass(frozen=True, slots=True)
class Target:
    """A webhook URL's host, resolved once and checked: the addresses a delivery may connect
    to (each a socket family and address), or why it may not connect at all."""

    host: str
    port: int
    addresses: tuple[tuple[socket.AddressFamily, tuple[Any, ...]], ...] = ()
    refused: str | None = None


def check_target(url: str, allowed_hosts: Collection[str] = ()) -> Target:
    """Resolve `url`'s host once and check every address it gave.

    A webhook makes this server send requests where a client says: to the machine itself, its
    private network or a cloud's metadata address, that would be a way in. So the host must
    resolve to public addresses only, unless the operator names it in `allowed_hosts`. A
    delivery connects to these very addresses (mapping.alerts.delivery): a name that answers
    otherwise when asked again (DNS rebinding) cannot send it elsewhere.
    """
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return Target(host, port, refused=f"{host} cannot be resolved to an address")
    addresses = tuple((family, sockaddr) for family, _, _, _, sockaddr in found)
    if host in allowed_hosts:
        return Target(host, port, addresses)
    for _, sockaddr in addresses:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%")[0])
        if not address.is_global or address.is_multicast:
            reason = (
                f"{host} resolves to {address}, which is not a public address (loopback, "
                "private, link-local, multicast or reserved); an operator may allow the host"
            )
            return Target(host, port, refused=reason)
    return Target(host, port, addresses)


def refused_target(url: str, allowed_hosts: Collection[str] = ()) -> str | None:
    """Why `url` may not receive webhooks, or None when it may (check_target). A host the
    operator allows is taken without resolving it: it may not resolve until it is used."""
    if (urlsplit(url).hostname or "").lower() in allowed_hosts:
        return None
    return check_target(url).refused


def create_webhook(
    conn: Connection,
    obj: Any,
    *,
    created_by: str,
    now: datetime,
    allowed_hosts: Collection[str] = (),
) -> tuple[dict[str, Any], str]:
    """Validate and store a webhook; its public form and its secret (made here when none was
    given, and shown to the caller this once)."""
    try:
        new = WebhookCreate.model_validate(obj)
    except ValidationError as exc:
        raise InvalidInput("The webhook is not valid.", error_items(exc)) from None
    if reason := refused_target(new.url, allowed_hosts):
        raise InvalidInput(
            f"The webhook URL is refused: {reason}.", [{"loc": ["url"], "msg": reason}]
        )
    secret = new.secret or secrets.token_urlsafe(32)
    row = {
        "id": uuid.uuid4(),
        "url": new.url,
        "secret": secret,
        "filter": new.filter.model_dump(exclude_none=True),
        "description": new.description,
        "created_by": created_by,
        "created_at": now,
    }
    store.insert_webhook(conn, **row)
    return webhook_doc(row), secret


def webhook_doc(row: Mapping[Any, Any]) -> dict[str, Any]:
    """A webhook as listed: never its secret."""
    return {
        "id": str(row["id"]),
        "url": row["url"],
        "filter": row["filter"],
        "description": row["description"],
        "created_by": row["created_by"],
        "created_at": rfc3339(row["created_at"]),
    }


def matches(webhook_filter: Mapping[Any, Any], report: Mapping[Any, Any]) -> bool:
    """Whether a report passes a webhook's filter, by its public areas: a row about to be
    stored carries them as `public_area_N`, a row read with the public placement as `area_N`.
    (A subscriber must not learn which side of a border a sensitive report's point is.)"""
    for member in ("kind", "category", "campaign"):
        wanted = webhook_filter.get(member)
        if wanted is not None and report.get(member) != wanted:
            return False
    area = webhook_filter.get("area")
    prefix = "public_area_" if "public_area_0" in report else "area_"
    return area is None or any(report.get(f"{prefix}{level}") == area for level in AREA_LEVELS)


def enqueue_reports(
    conn: Connection,
    rows: Sequence[Mapping[Any, Any]],
    *,
    now: datetime,
    event: Event = "report.created",
) -> int:
    """Write a delivery for each public report in `rows` and each webhook it matches; how
    many. Costs one small read when there are no webhooks."""
    public = [r for r in rows if r["status"] in PUBLIC_STATUSES]
    if not public:
        return 0
    hooks = store.list_webhooks(conn)
    deliveries = [
        _delivery(hook["id"], report["id"], event, now)
        for report in public
        for hook in hooks
        if matches(hook["filter"], report)
    ]
    store.insert_deliveries(conn, deliveries)
    return len(deliveries)


def enqueue_change(
    conn: Connection, before: Mapping[Any, Any], after: Mapping[Any, Any], *, now: datetime
) -> int:
    """Deliveries for a moderation change: `report.updated` while the report is public, and
    `report.withdrawn` (its id only) when the change took it out of public view."""
    if after["status"] in PUBLIC_STATUSES:
        return enqueue_reports(conn, [after], now=now, event="report.updated")
    if before["status"] not in PUBLIC_STATUSES:
        return 0
    hooks = store.list_webhooks(conn)
    deliveries = [
        _delivery(hook["id"], after["id"], "report.withdrawn", now)
        for hook in hooks
        if matches(hook["filter"], after)
    ]
    store.insert_deliveries(conn, deliveries)
    return len(deliveries)


def _delivery(
    webhook_id: uuid.UUID, report_id: uuid.UUID, event: str, now: datetime
) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "webhook_id": webhook_id,
        "report_id": report_id,
        "event": event,
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


def signature(secret: str, body: bytes) -> str:
    """The `X-CivicMap-Signature` value of `body`: `sha256=` and the hex HMAC-SHA256."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def delivery_doc(row: Mapping[Any, Any]) -> dict[str, Any]:
    """A delivery as the log lists it."""
    return {
        "id": str(row["id"]),
        "report": str(row["report_id"]),
        "event": row["event"],
        "status": row["status"],
        "attempts": row["attempts"],
        "created_at": rfc3339(row["created_at"]),
        "next_at": rfc3339(row["next_at"]) if row["status"] in ("due", "leased") else None,
        "finished_at": rfc3339(row["finished_at"]) if row["finished_at"] else None,
        "last_status_code": row["last_status_code"],
        "last_error": row["last_error"],
        "log": row["log"],
    }
