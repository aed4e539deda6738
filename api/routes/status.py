"""The reporter's feedback: what became of a report, for whoever holds its receipt.

`GET /api/v1/reports/{id}/status?receipt=...` (API.md): the report's status and the moderator's
note, the checks it was flagged by, the indicators of its areas, and its photos. The receipt is
the only key: an unknown id and a wrong receipt get the same 404. Its holder sees their own
photos whatever became of the report (sensitive, hidden or rejected included), through links
that carry the receipt, since the photo routes accept it (api/routes/photos.py).
"""

from __future__ import annotations

import hmac
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from api.deps import EngineDep, SettingsDep
from api.responses import FastJSONResponse
from mapping.analysis import overview
from mapping.disclosure.publish import View, photo_links, rfc3339
from mapping.errors import NotFound
from mapping.reports.rows import hash_secret
from mapping.storage import areas as area_store
from mapping.storage import reports as store
from mapping.storage.tables import AREA_LEVELS

router = APIRouter(prefix="/reports", tags=["reports"])


def _matches(row: Any, receipt: str) -> bool:
    stored = row["receipt_hash"]
    # Constant time, so response timing tells nothing about how much of a receipt was right.
    return stored is not None and hmac.compare_digest(stored, hash_secret(receipt))


@router.get(
    "/{report_id}/status",
    summary="A report's status, its photos and its areas' indicators",
    openapi_extra={"x-civicmap-role": "the holder of the report's receipt"},
)
def read_report_status(
    report_id: str,
    engine: EngineDep,
    settings: SettingsDep,
    receipt: Annotated[str, Query(min_length=1, max_length=200, description="the receipt token")],
) -> Response:
    # One answer for an unknown id and a wrong receipt: no way to probe which ids exist.
    missing = NotFound("No report matches this id and receipt; check the link you were given.")
    try:
        key = uuid.UUID(report_id)
    except ValueError:
        raise missing from None
    threshold = settings.suppression_threshold
    with engine.connect() as conn:
        # The receipt is a bearer token: its holder sees the report as the public does.
        row = store.get_report(conn, key, placement=View().placement)
        if row is None or not _matches(row, receipt):
            raise missing
        codes = [row[f"area_{level}"] for level in AREA_LEVELS if row[f"area_{level}"]]
        found = [a for a in (area_store.get_area(conn, code) for code in codes) if a]
        areas = [overview.area_figures(conn, a, threshold=threshold) for a in found]
    body = {
        "id": str(row["id"]),
        "status": row["status"],
        "status_note": row["status_note"],
        "kind": row["kind"],
        "category": row["category"],
        "observed_at": rfc3339(row["observed_at"]),
        "received_at": rfc3339(row["received_at"]),
        "quality": row["quality"],
        "photos": photo_links(row, View(), receipt=receipt),
        "areas": areas,
        "suppression_threshold": threshold,
        "license": settings.data_license,
    }
    # The receipt travels in the URL: keep the answer out of shared caches.
    return FastJSONResponse(body, headers={"Cache-Control": "no-store"})
