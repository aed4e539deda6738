"""Photos of reports and their thumbnails, as mapping.disclosure.publish allows."""

from __future__ import annotations

import hmac
import logging
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query, Response

from api.auth import ViewDep
from api.deps import EngineDep, PhotoStoreDep, SettingsDep
from mapping.disclosure.publish import View, photos_visible
from mapping.errors import NotFound
from mapping.reports.rows import hash_secret
from mapping.storage import photos as photo_store
from mapping.storage import reports as report_store

router = APIRouter(prefix="/reports", tags=["photos"])
log = logging.getLogger("civicmap.api")

ROLE = {
    "x-civicmap-role": "anyone, for a public report; moderator or admin for a sensitive, "
    "hidden or rejected report; and the holder of the report's receipt"
}
JPEG: dict[int | str, dict[str, Any]] = {
    200: {"description": "The photo, as JPEG", "content": {"image/jpeg": {}}}
}
N = Annotated[int, Path(ge=1, le=10, description="the photo's number, from 1")]
Receipt = Annotated[
    str | None, Query(max_length=200, description="the report's receipt: its sender may look")
]
IfNoneMatch = Annotated[str | None, Header(max_length=200)]


@router.get(
    "/{report_id}/photos/{n}",
    summary="A report's photo (JPEG, metadata stripped)",
    response_class=Response,
    responses=JPEG,
    openapi_extra=ROLE,
)
def read_photo(
    report_id: str,
    n: N,
    engine: EngineDep,
    view: ViewDep,
    store: PhotoStoreDep,
    settings: SettingsDep,
    receipt: Receipt = None,
    if_none_match: IfNoneMatch = None,
) -> Response:
    return _serve(engine, store, report_id, n, view, receipt, if_none_match, settings, thumb=False)


@router.get(
    "/{report_id}/photos/{n}/thumb",
    summary="A thumbnail of a report's photo (JPEG)",
    response_class=Response,
    responses=JPEG,
    openapi_extra=ROLE,
)
def read_thumb(
    report_id: str,
    n: N,
    engine: EngineDep,
    view: ViewDep,
    store: PhotoStoreDep,
    settings: SettingsDep,
    receipt: Receipt = None,
    if_none_match: IfNoneMatch = None,
) -> Response:
    return _serve(engine, store, report_id, n, view, receipt, if_none_match, settings, thumb=True)


def _serve(
    engine: EngineDep,
    store: PhotoStoreDep,
    report_id: str,
    n: int,
    view: View,
    receipt: str | None,
    if_none_match: str | None,
    settings: SettingsDep,
    *,
    thumb: bool,
) -> Response:
    # One 404 for no report, no photo, and a photo this caller may not see.
    missing = NotFound(f"There is no photo {n} of a public report with id {report_id!r}.")
    try:
        key = uuid.UUID(report_id)
    except ValueError:
        raise missing from None
    with engine.connect() as conn:
        row = report_store.get_report(conn, key, placement=View().placement)
        photo = photo_store.get_photo(conn, key, n) if row is not None else None
    if row is None or photo is None:
        raise missing
    public = photos_visible(row, View())
    if not (photos_visible(row, view) or _holds_receipt(row["receipt_hash"], receipt)):
        raise missing
    etag = f'"{photo["sha256"][:32]}{"-thumb" if thumb else ""}"'
    # Public photos may sit in shared caches for a while (a takedown waits that long); others
    # must not be kept anywhere.
    cache = f"public, max-age={settings.photo_cache_seconds}" if public else "private, no-store"
    headers = {
        "ETag": etag,
        "Cache-Control": cache,
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'",
    }
    if if_none_match and etag in [t.strip() for t in if_none_match.split(",")]:
        return Response(status_code=304, headers=headers)
    data = store.get(photo["thumb_key"] if thumb else photo["key"])
    if data is None:
        log.error("photo file %s of report %s is missing", photo["key"], report_id)
        raise missing
    return Response(data, media_type=photo["media_type"], headers=headers)


def _holds_receipt(stored: str | None, receipt: str | None) -> bool:
    # Constant time, as for the status view: timing tells nothing about a receipt.
    if not stored or not receipt:
        return False
    return hmac.compare_digest(stored, hash_secret(receipt))
