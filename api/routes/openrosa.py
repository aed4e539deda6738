"""OpenRosa 1.0 for ODK Collect and Enketo: the form list, form download and submission.

A client's server URL is `http://HOST/openrosa`. Every answer carries `X-OpenRosa-Version:
1.0`; submission answers also `X-OpenRosa-Accept-Content-Length`, the largest body taken, so
that a client splits larger submissions (same instanceID, more media each time). Problems come
back as an OpenRosaResponse with the status the rest of the API gives them, as OpenRosa clients
show its message to the person sending. Keys go in `Authorization: Bearer KEY`; without one,
anyone may read the forms, and submit as anonymous reports are submitted (rate limited).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException

from api import digest
from api.auth import PUBLIC, PrincipalDep, count_write
from api.deps import (
    AreasDep,
    EngineDep,
    LimitsDep,
    PhotoLimitsDep,
    PhotoStoreDep,
    SettingsDep,
)
from api.errors import headers_of, status_of
from mapping.errors import CivicMapError, InvalidInput, TooLarge, Unauthorized
from mapping.reports.forms import catalogue, openrosa
from mapping.reports.forms.responses import Filing, Media, submit_response
from mapping.storage import campaigns as campaign_store
from mapping.storage import forms as store

router = APIRouter(prefix="/openrosa", tags=["openrosa"])

XML = "text/xml; charset=utf-8"
HEADERS = {"X-OpenRosa-Version": openrosa.VERSION}
SUBMISSION_PART = "xml_submission_file"
MAX_MEDIA = 10
# The statuses whose problems an OpenRosa operation answers as an OpenRosaResponse (a refused
# key or a spent quota is the API's usual problem JSON, its `default`).
XML_PROBLEMS: dict[int | str, dict[str, Any]] = {
    status: {
        "description": "An OpenRosaResponse whose message says what to fix",
        "content": {"text/xml": {"schema": {"type": "string"}}},
    }
    for status in (400, 404, 409, 413, 415, 422)
}


def openrosa_writer(
    request: Request, engine: EngineDep, settings: SettingsDep, principal: PrincipalDep
) -> str:
    """The write quota of reports; where a key is needed, the 401 also offers Digest, which
    ODK Collect answers by asking for a username (a key's prefix) and password (the key)."""
    try:
        return count_write(request, engine, settings, principal)
    except Unauthorized as exc:
        if isinstance(exc, digest.Challenge):
            raise
        raise digest.challenge(request, exc.detail) from None


WriterDep = Annotated[str, Depends(openrosa_writer)]


def _xml(body: bytes, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        body, status_code=status, media_type=XML, headers={**HEADERS, **(headers or {})}
    )


@router.get(
    "/formList",
    summary="OpenRosa form list (xformsList): the current version of the forms of campaigns "
    "running now",
    response_class=Response,
    openapi_extra=PUBLIC,
    responses={200: {"content": {"text/xml": {"schema": {"type": "string"}}}}},
)
def form_list(
    request: Request,
    engine: EngineDep,
    form_id: Annotated[str | None, Query(alias="formID", max_length=64)] = None,
    verbose: Annotated[bool, Query()] = False,
) -> Response:
    with engine.connect() as conn:
        running = {
            c["slug"] for c in campaign_store.list_campaigns(conn, active_at=datetime.now(UTC))
        }
        rows = [row for row in store.current_forms(conn) if row["campaign"] in running]
    if form_id is not None:
        rows = [row for row in rows if row["form_id"] == form_id]
    base = str(request.base_url).rstrip("/")
    url = base + "/openrosa/forms/{form_id}/versions/{version}/form.xml"
    return _xml(openrosa.form_list(rows, download_url=url))


@router.get(
    "/forms/{form_id}/versions/{version}/form.xml",
    summary="OpenRosa form download: one form version's XForm",
    response_class=Response,
    openapi_extra=PUBLIC,
    responses={200: {"content": {"text/xml": {"schema": {"type": "string"}}}}, **XML_PROBLEMS},
)
def form_download(form_id: str, version: str, engine: EngineDep) -> Response:
    try:
        with engine.connect() as conn:
            form = catalogue.find_form(conn, form_id, version)
    except CivicMapError as exc:
        return _problem(exc)
    return _xml(form["xform"].encode())


@router.head(
    "/submission", summary="OpenRosa pre-submission check", status_code=204, openapi_extra=PUBLIC
)
def submission_check(request: Request, settings: SettingsDep, principal: PrincipalDep) -> Response:
    if principal.key_id is None and settings.anonymous_writes_per_minute == 0:
        raise digest.challenge(request, "Anonymous submission is off here; sign with a key.")
    return Response(status_code=204, headers=_submission_headers(settings.max_upload_body_bytes))


@router.post(
    "/submission",
    summary="OpenRosa submission: xml_submission_file and its media",
    status_code=201,
    response_class=Response,
    responses={201: {"content": {"text/xml": {"schema": {"type": "string"}}}}, **XML_PROBLEMS},
    openapi_extra={
        "requestBody": {
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": [SUBMISSION_PART],
                        "properties": {SUBMISSION_PART: {"type": "string", "format": "binary"}},
                    }
                }
            }
        },
        **PUBLIC,
    },
)
async def submission(
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    submitter: WriterDep,
    photo_store: PhotoStoreDep,
    photo_limits: PhotoLimitsDep,
    limits: LimitsDep,
    areas: AreasDep,
) -> Response:
    headers = _submission_headers(settings.max_upload_body_bytes)
    try:
        xml, files = await _read_parts(request, settings.max_body_bytes, settings.max_photo_bytes)
        instance = openrosa.parse_instance(xml)
        with engine.connect() as conn:
            form = catalogue.find_form(conn, instance.form_id, instance.version)
        answers = openrosa.answers_of(catalogue.spec_of(form), instance)

        def submit() -> Any:
            return submit_response(
                engine,
                form,
                answers,
                source="xform",
                instance_id=instance.instance_id,
                submitter=submitter,
                public_resolution=settings.public_h3_resolution,
                media=Media(files, photo_store, photo_limits),
                filing=Filing(limits, areas.current()),
            )

        saved = await run_in_threadpool(submit)
    except CivicMapError as exc:
        return _problem(exc, headers)
    message = (
        "Thank you: the response is stored."
        if saved.outcome == "created"
        else "This response was stored before; nothing was added."
    )
    return _xml(openrosa.response(message, nature="submit_success"), 201, headers)


def _submission_headers(limit: int) -> dict[str, str]:
    return {**HEADERS, "X-OpenRosa-Accept-Content-Length": str(limit)}


async def _read_parts(
    request: Request, max_xml: int, max_file: int
) -> tuple[bytes, dict[str, bytes]]:
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "multipart/form-data":
        raise InvalidInput(
            "Send the submission as multipart/form-data.",
            [{"loc": ["body"], "msg": "not multipart/form-data"}],
        )
    try:
        form = await request.form(
            max_files=MAX_MEDIA + 1, max_fields=MAX_MEDIA + 1, max_part_size=max_xml
        )
    except HTTPException as exc:  # starlette's words for a malformed or oversized form
        raise InvalidInput(
            f"The multipart body could not be read: {exc.detail}",
            [{"loc": ["body"], "msg": str(exc.detail)}],
        ) from None
    try:
        return await _xml_part(form, max_xml), await _media(form, max_file)
    finally:
        await form.close()


async def _xml_part(form: FormData, limit: int) -> bytes:
    parts = form.getlist(SUBMISSION_PART)
    if len(parts) != 1:
        raise InvalidInput(
            f"Send exactly one {SUBMISSION_PART} part.",
            [{"loc": [SUBMISSION_PART], "msg": f"{len(parts)} parts"}],
        )
    part = parts[0]
    data = part.encode() if isinstance(part, str) else await part.read(limit + 1)
    if len(data) > limit:
        raise TooLarge(
            f"{SUBMISSION_PART} is larger than {limit} bytes.",
            [{"loc": [SUBMISSION_PART], "msg": "too large"}],
        )
    return data


async def _media(form: FormData, limit: int) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for name, part in form.multi_items():
        if name == SUBMISSION_PART or not isinstance(part, UploadFile):
            continue
        data = await part.read(limit + 1)
        key = part.filename or name
        if len(data) > limit:
            raise TooLarge(
                f"Media file {key!r} is larger than {limit} bytes.",
                [{"loc": ["media", key], "msg": "too large"}],
            )
        files[key] = data
    return files


def _problem(exc: CivicMapError, headers: dict[str, str] | None = None) -> Response:
    """A problem as an OpenRosaResponse: the detail, then each error on a line of its own."""
    lines = [exc.detail] + [
        f"{'/'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors[:20]
    ]
    extra = {**(headers or {}), **(headers_of(exc) or {})}
    return _xml(openrosa.response("\n".join(lines), nature="error"), status_of(exc), extra)
