"""Forms: planners upload XLSForms to campaigns; anyone reads them and answers them; responses
are listed and downloaded with one typed column per question."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import ValidationError
from starlette.exceptions import HTTPException

from api import downloads, params
from api.auth import PUBLIC, ViewDep, WriterDep, requires, role_doc
from api.body import read_json
from api.deps import AreasDep, EngineDep, LimitsDep, PhotoStoreDep, SettingsDep
from api.openapi import body
from api.responses import FastJSONResponse, GeoJSONResponse, feature_collection
from mapping.errors import InvalidInput, InvalidQuery, NotFound, UnsupportedMedia, error_items
from mapping.keys import Principal
from mapping.reports.forms import catalogue, table
from mapping.reports.forms.responses import (
    Filing,
    ResponseCreate,
    instance_id_for,
    media_keys,
    read_answers,
    submit_response,
)
from mapping.storage import forms as store

router = APIRouter(tags=["forms"])

XML_MEDIA = "application/xml"
LIST_METHOD = (
    "Responses to every version of the form, oldest first; answers marked personal left out; "
    "geopoint answers at the centre of their H3 cell at the public resolution and times as "
    "days, unless the key may see exact locations."
)
UPLOAD_FORM = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": "The XLSForm, an .xlsx workbook",
                        },
                        "kind": {
                            "type": "string",
                            "enum": list(catalogue.FORM_KINDS),
                            "description": "What its answers describe; default survey",
                        },
                    },
                }
            }
        },
    }
}


@router.post(
    "/campaigns/{slug}/forms",
    status_code=201,
    summary="Upload an XLSForm to a campaign (201), or find the same version again (200)",
    openapi_extra={**UPLOAD_FORM, **role_doc("plan")},
    responses={
        409: {"description": "The version is stored with other content"},
        422: {"description": "The workbook breaks a rule: sheet, row and column named"},
    },
)
async def upload_form(
    slug: str,
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    principal: Annotated[Principal, requires("plan")],
) -> Response:
    data, kind = await _read_upload(request, settings.max_body_bytes)

    def store_it() -> catalogue.Upload:
        with engine.begin() as conn:
            return catalogue.upload_form(
                conn, data, campaign=slug, kind=kind, actor=principal.name, now=datetime.now(UTC)
            )

    upload = await run_in_threadpool(store_it)
    doc = catalogue.form_doc(upload.form, base_url=_base(request))
    location = str(request.url_for("read_form", form_id=doc["form_id"]))
    status = 201 if upload.outcome == "created" else 200
    return FastJSONResponse(doc, status_code=status, headers={"Location": location})


async def _read_upload(request: Request, limit: int) -> tuple[bytes, str]:
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "multipart/form-data":
        raise UnsupportedMedia("Send the XLSForm as multipart/form-data with a `file` part.")
    try:
        form = await request.form(max_files=1, max_fields=2, max_part_size=limit)
    except HTTPException as exc:  # starlette's words for a malformed or oversized form
        raise InvalidInput(
            f"The multipart body could not be read: {exc.detail}",
            [{"loc": ["body"], "msg": str(exc.detail)}],
        ) from None
    try:
        part, kind = form.get("file"), form.get("kind", "survey")
        if part is None or isinstance(part, str):
            raise InvalidInput(
                "Send the XLSForm as a file part named `file`.",
                [{"loc": ["body", "file"], "msg": "missing file part"}],
            )
        if not isinstance(kind, str):
            raise InvalidInput(
                "`kind` is a text field.", [{"loc": ["body", "kind"], "msg": "text"}]
            )
        return await part.read(limit + 1), kind.strip()
    finally:
        await form.close()


@router.get("/forms", summary="The current version of every form", openapi_extra=PUBLIC)
def list_forms(
    request: Request,
    engine: EngineDep,
    campaign: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    if campaign is not None and "\x00" in campaign:
        raise InvalidQuery(
            "Query parameter 'campaign' must not contain the NUL character.",
            [{"loc": ["query", "campaign"], "msg": "must not contain the NUL character"}],
        )
    with engine.connect() as conn:
        rows = store.current_forms(conn, campaign=campaign)
    docs = [catalogue.form_doc(row, base_url=_base(request)) for row in rows]
    return FastJSONResponse({"forms": docs, "count": len(docs)})


@router.get(
    "/forms/{form_id}",
    summary="A form: its current version and the versions before",
    openapi_extra=PUBLIC,
)
def read_form(form_id: str, request: Request, engine: EngineDep) -> Response:
    with engine.connect() as conn:
        form = catalogue.find_form(conn, form_id)
        versions = store.versions(conn, form_id)
    doc = catalogue.form_doc(form, base_url=_base(request))
    doc["versions"] = [
        {"version": v["version"], "created_at": v["created_at"].isoformat()} for v in versions
    ]
    return FastJSONResponse(doc)


@router.get(
    "/forms/{form_id}/versions/{version}/xform",
    summary="A form version as the XForm pyxform made of it",
    response_class=Response,
    responses={200: {"content": {XML_MEDIA: {}}}},
    openapi_extra=PUBLIC,
)
def read_xform(form_id: str, version: str, engine: EngineDep) -> Response:
    with engine.connect() as conn:
        form = catalogue.find_form(conn, form_id, version)
    return Response(form["xform"], media_type=XML_MEDIA)


@router.post(
    "/forms/{form_id}/responses",
    status_code=201,
    summary="Answer a form (201), or send the same response again (200)",
    openapi_extra={**body(ResponseCreate, "The answers, by question name."), **PUBLIC},
    responses={
        409: {"description": "The client_id was used for other answers"},
        422: {"description": "An answer breaks its question's rule; each is named"},
    },
)
async def create_response(
    form_id: str,
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    view: ViewDep,
    submitter: WriterDep,
    limits: LimitsDep,
    areas: AreasDep,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> Response:
    obj = await read_json(request)
    try:
        sent = ResponseCreate.model_validate(obj)
    except ValidationError as exc:
        raise InvalidInput(
            "The response does not have the expected members.", error_items(exc)
        ) from None
    with engine.connect() as conn:
        form = catalogue.find_form(conn, form_id, sent.version)

    def submit() -> Any:
        return submit_response(
            engine,
            form,
            sent.answers,
            source="json",
            instance_id=instance_id_for(sent.client_id, idempotency_key),
            submitter=submitter,
            public_resolution=settings.public_h3_resolution,
            filing=Filing(limits, areas.current()),
        )

    saved = await run_in_threadpool(submit)
    with engine.connect() as conn:
        answers = store.answers_of(conn, [saved.response["seq"]])
    spec = catalogue.spec_of(form)
    typed = read_answers(answers.get(saved.response["seq"], []), spec)
    feature = table.response_feature(saved.response, typed, spec, view)
    feature["properties"]["instance_id"] = saved.response["instance_id"]
    status = 201 if saved.outcome == "created" else 200
    return GeoJSONResponse(feature, status_code=status)


@router.get(
    "/forms/{form_id}/responses",
    response_class=GeoJSONResponse,
    summary="Responses to a form, one column per question in downloads (format=csv, gpkg...)",
    openapi_extra=PUBLIC,
)
def list_responses(
    form_id: str,
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    view: ViewDep,
    limit: int | None = None,
    cursor: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    size = params.check_limit(
        limit, default=settings.page_limit_default, maximum=settings.page_limit_max
    )
    after = _cursor(cursor)
    with engine.connect() as conn:
        catalogue.find_form(conn, form_id)
        versions = store.versions(conn, form_id)
    specs = {v["seq"]: catalogue.spec_of(v) for v in versions}
    if downloads.requested_format(request) is not None:
        # A download holds every response from the cursor on (up to `limit` when given).
        pages = table.ResponsePages(engine, form_id, specs, view, after=after, limit=limit)
        features: Any = pages
        next_url = None
    else:
        pages = table.ResponsePages(engine, form_id, specs, view, after=after, limit=size)
        features = list(pages)
        next_url = None
        if len(features) == size and pages.last_seq is not None:
            next_url = str(request.url.include_query_params(cursor=str(pages.last_seq)))
    return feature_collection(
        request,
        features,
        settings=settings,
        filters={"form_id": form_id},
        method=LIST_METHOD,
        next_url=next_url,
        column_types=table.union_types(specs, view),
    )


def _cursor(cursor: str | None) -> int:
    if cursor is None:
        return 0
    # A next link's cursor is a stored sequence number: ASCII digits below 2**63.
    if not (cursor.isascii() and cursor.isdigit() and len(cursor) <= 18):
        raise InvalidQuery(
            "Query parameter 'cursor': use the one a `next` link gives.",
            [{"loc": ["query", "cursor"], "msg": "not a cursor"}],
        )
    return int(cursor)


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/") + "/api/v1"


@router.get(
    "/forms/{form_id}/responses/{response_id}/photos/{question}",
    summary="The photo an image answer names, cleaned of metadata (exact-location roles)",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}}}},
    openapi_extra=role_doc("exact_locations"),
)
def read_response_photo(
    form_id: str,
    response_id: uuid.UUID,
    question: str,
    engine: EngineDep,
    photos: PhotoStoreDep,
    _: Annotated[Principal, requires("exact_locations")],
) -> Response:
    with engine.connect() as conn:
        row = store.response_by_id(conn, response_id)
        form = store.form_by_seq(conn, row["form_seq"]) if row is not None else None
        answers = store.answers_of(conn, [row["seq"]]) if row is not None else {}
    if row is None or form is None or row["form_id"] != form_id:
        raise NotFound(f"There is no response {response_id} to form {form_id!r}.")
    spec = catalogue.spec_of(form)
    typed = read_answers(answers.get(row["seq"], []), spec)
    name = typed.get(question)
    key = media_keys(row["id"], spec, typed).get(name) if isinstance(name, str) else None
    data = photos.get(key) if key is not None else None
    if data is None:
        raise NotFound(f"Answer {question!r} of this response names no photo kept here.")
    return Response(data, media_type="image/jpeg", headers={"Cache-Control": "private, no-store"})
