"""Alerts by webhook (admin): subscribe a URL with a filter and a secret; read the delivery log."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from api.auth import requires, role_doc
from api.body import read_json
from api.deps import EngineDep, PoliciesDep
from api.openapi import body
from api.responses import FastJSONResponse
from mapping.alerts import webhooks
from mapping.errors import NotFound
from mapping.keys import Principal
from mapping.storage import webhooks as store

router = APIRouter(prefix="/webhooks", tags=["alerts"])
ADMIN = role_doc("administer")
Admin = Annotated[Principal, requires("administer")]


def _id(webhook_id: str) -> uuid.UUID:
    try:
        return uuid.UUID(webhook_id)
    except ValueError:
        raise NotFound(f"There is no webhook {webhook_id!r}.") from None


@router.post(
    "",
    status_code=201,
    summary="Subscribe a URL to new and changed public reports (the secret is shown once)",
    openapi_extra={
        **body(webhooks.WebhookCreate, "The URL, an optional filter and secret."),
        **ADMIN,
    },
)
async def create_webhook(
    request: Request, engine: EngineDep, policies: PoliciesDep, principal: Admin
) -> Response:
    obj = await read_json(request)
    with engine.begin() as conn:
        doc, secret = webhooks.create_webhook(
            conn,
            obj,
            created_by=principal.name,
            now=datetime.now(UTC),
            allowed_hosts=policies.delivery.allowed_hosts,
        )
    return FastJSONResponse({**doc, "secret": secret}, status_code=201)


@router.get("", summary="The webhooks (without their secrets)", openapi_extra=ADMIN)
def list_webhooks(engine: EngineDep, _: Admin) -> Response:
    with engine.connect() as conn:
        rows = store.list_webhooks(conn)
    return FastJSONResponse({"webhooks": [webhooks.webhook_doc(r) for r in rows]})


@router.delete(
    "/{webhook_id}",
    status_code=204,
    summary="Remove a webhook with its pending deliveries and its log",
    openapi_extra=ADMIN,
)
def delete_webhook(webhook_id: str, engine: EngineDep, _: Admin) -> Response:
    with engine.begin() as conn:
        if not store.delete_webhook(conn, _id(webhook_id)):
            raise NotFound(f"There is no webhook {webhook_id!r}.")
    return Response(status_code=204)


@router.get(
    "/{webhook_id}/deliveries",
    summary="A webhook's deliveries, newest first, with their outcome and attempts",
    openapi_extra=ADMIN,
)
def list_deliveries(
    webhook_id: str,
    engine: EngineDep,
    _: Admin,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Response:
    key = _id(webhook_id)
    with engine.connect() as conn:
        if store.get_webhook(conn, key) is None:
            raise NotFound(f"There is no webhook {webhook_id!r}.")
        rows = store.list_deliveries(conn, key, limit=limit)
    return FastJSONResponse(
        {"webhook": str(key), "deliveries": [webhooks.delivery_doc(r) for r in rows]}
    )
