"""Open311 GeoReport v2 at `/open311/v2`, in JSON and XML (`.json`, `.xml`).

Discovery, services, service definitions, service requests (GET with the specification's
filters and 90-day window, POST form-encoded with `api_key`), single requests and tokens.
Errors take the specification's shape, a list of `{code, description}` with one element per
problem, each naming the field and its rule (mapping.standards.open311_errors), in the format
asked for: this router's route class catches them before the API's problem handler would.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from sqlalchemy.engine import Connection, RowMapping
from starlette.exceptions import HTTPException

from api import params
from api.auth import PUBLIC, count_write, principal_for_key
from api.deps import AreasDep, EngineDep, LimitsDep, SettingsDep
from api.errors import BodyStalled, BodyTooLarge, headers_of, status_of, too_large_detail
from api.responses import FastJSONResponse
from mapping.disclosure.publish import View, report_feature
from mapping.errors import (
    CivicMapError,
    ErrorItem,
    InvalidInput,
    InvalidQuery,
    NotFound,
    Unauthorized,
    error_items,
)
from mapping.reports import ingest
from mapping.reports.write import Submission
from mapping.standards import open311
from mapping.standards.open311_errors import georeport_errors, point_to_definition
from mapping.standards.open311_form import request_feature, unknown_service
from mapping.standards.open311_xml import to_xml
from mapping.storage import report_pages
from mapping.storage import reports as store
from mapping.storage.reports import PUBLIC_STATUSES, ReportQuery

# Open311 clients are the public, whatever key they send.
_PUBLIC = View().placement

log = logging.getLogger("civicmap.open311")
Fmt = Annotated[Literal["json", "xml"], Path(description="json or xml")]
XML_MEDIA = "text/xml; charset=utf-8"
# GeoReport v2 names three client errors: 400 for a missing or invalid parameter, 403 for an
# invalid api_key, 404 for what is not there. The status from the one table (api.errors) is
# told in those words where the specification names the case, and passes unchanged otherwise
# (413 too large, 415, 409, 429).
GEOREPORT_STATUS = {422: 400, 401: 403}


def render(fmt: str, root: str, body: Any, status: int = 200, **kw: Any) -> Response:
    """`body` as JSON, or as XML under the element `root`."""
    if fmt == "xml":
        return Response(to_xml(root, body), status_code=status, media_type=XML_MEDIA, **kw)
    return FastJSONResponse(body, status_code=status, **kw)


def _error_format(request: Request) -> str:
    return "xml" if request.url.path.endswith(".xml") else "json"


def error(
    request: Request,
    status: int,
    description: str,
    items: Sequence[ErrorItem] = (),
    **kw: Any,
) -> Response:
    """The GeoReport error list: one element per problem in `items`, else `description`."""
    errors = georeport_errors(status, description, items)
    return render(_error_format(request), "errors", errors, status, **kw)


class Open311Route(APIRoute):
    """Answers errors the way GeoReport v2 does: `[{"code", "description"}]` (or XML)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except CivicMapError as exc:
                status = status_of(exc)
                status = GEOREPORT_STATUS.get(status, status)
                # An api_key is no Bearer token: a GeoReport client is told no WWW-Authenticate.
                headers = None if isinstance(exc, Unauthorized) else headers_of(exc)
                return error(request, status, exc.detail, exc.errors, headers=headers)
            except BodyStalled:
                raise  # answered 408 by the body middleware, for every route alike
            except BodyTooLarge as exc:  # found while the form streamed in
                return error(request, 413, too_large_detail(exc.limit))
            except RequestValidationError as exc:
                return error(request, 400, "Invalid request.", error_items(exc))
            except HTTPException as exc:
                return error(request, exc.status_code, str(exc.detail))
            except Exception:
                log.exception("unhandled error on %s %s", request.method, request.url.path)
                return error(request, 500, "The server failed to answer; it has been logged.")

        return guarded


ERROR_SCHEMA = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {"code": {"type": "integer"}, "description": {"type": "string"}},
    },
}
ERRORS: dict[int | str, dict[str, Any]] = {
    status: {
        "description": "Open311 errors",
        "content": {"application/json": {"schema": ERROR_SCHEMA}, "text/xml": {}},
    }
    for status in (400, 403, 404, 429, 500)
}


def ok(description: str, status: int = 200) -> dict[int | str, dict[str, Any]]:
    content: dict[str, Any] = {"application/json": {"schema": {}}, "text/xml": {}}
    answers: dict[int | str, dict[str, Any]] = {
        status: {"description": description, "content": content}
    }
    answers.update(ERRORS)
    return answers


router = APIRouter(prefix="/open311/v2", tags=["Open311 GeoReport v2"], route_class=Open311Route)


@router.get(
    "/discovery.{fmt}", summary="Service discovery", openapi_extra=PUBLIC, responses=ok("Discovery")
)
def discovery(fmt: Fmt, request: Request) -> Response:
    base = str(request.base_url).rstrip("/") + "/open311/v2"
    return render(fmt, "discovery", open311.discovery(base))


@router.get(
    "/services.{fmt}",
    summary="Service list: the taxonomy's categories",
    openapi_extra=PUBLIC,
    responses=ok("Services"),
)
def list_services(fmt: Fmt) -> Response:
    return render(fmt, "services", open311.services())


@router.get(
    "/services/{service_code}.{fmt}",
    summary="Service definition: the attributes of the service's kind",
    openapi_extra=PUBLIC,
    responses=ok("Service definition"),
)
def read_service(service_code: str, fmt: Fmt) -> Response:
    return render(fmt, "service_definition", open311.definition(service_code))


def _requests(conn: Connection, rows: list[RowMapping], view: View) -> list[dict[str, Any]]:
    changes = report_pages.last_changes(conn, [r["id"] for r in rows])
    return [open311.service_request(report_feature(r, view), changes.get(r["id"])) for r in rows]


def _time(name: str, value: str | None) -> datetime | None:
    return params.parse_time(name, value)


@router.get(
    "/requests.{fmt}",
    summary="Service requests: the newest 1000 of the last 90 days, or as filtered",
    openapi_extra=PUBLIC,
    responses=ok("Service requests"),
)
def list_requests(
    fmt: Fmt,
    engine: EngineDep,
    settings: SettingsDep,
    service_request_id: Annotated[str | None, Query(description="ids, comma-separated")] = None,
    service_code: Annotated[str | None, Query(description="codes, comma-separated")] = None,
    start_date: Annotated[str | None, Query(description="W3C date-time")] = None,
    end_date: Annotated[str | None, Query(description="W3C date-time")] = None,
    status: Annotated[str | None, Query(description="open, closed, comma-separated")] = None,
) -> Response:
    view = View(public_resolution=settings.public_h3_resolution)
    with engine.connect() as conn:
        if service_request_id:
            rows = _by_ids(conn, service_request_id)
        else:
            rows = _search(conn, service_code, start_date, end_date, status)
        body = _requests(conn, rows, view)
    return render(fmt, "service_requests", body)


def _by_ids(conn: Connection, ids: str) -> list[RowMapping]:
    """The public reports among `ids` (this parameter overrides every other)."""
    rows = []
    for text in ids.split(",")[: open311.MAX_REQUESTS]:
        try:
            row = store.get_report(conn, uuid.UUID(text.strip()), placement=_PUBLIC)
        except ValueError:
            continue
        if row is not None and row["status"] in PUBLIC_STATUSES:
            rows.append(row)
    return rows


def _search(
    conn: Connection,
    codes: str | None,
    start: str | None,
    end: str | None,
    status: str | None,
) -> list[RowMapping]:
    since, until = open311.window(
        _time("start_date", start), _time("end_date", end), now=datetime.now(UTC)
    )
    base = ReportQuery(
        statuses=open311.statuses_for(status),
        since=since,
        until=until,
        limit=open311.MAX_REQUESTS,
        placement=_PUBLIC,
    )
    wanted = [c.strip() for c in codes.split(",") if c.strip()] if codes else []
    if not wanted:
        return report_pages.newest(conn, base)
    services = _services(wanted)
    rows: list[RowMapping] = []
    for kind, category in services:
        rows += report_pages.newest(conn, _with(base, kind, category))
    rows.sort(key=lambda r: (r["observed_at"], r["seq"]), reverse=True)
    return rows[: open311.MAX_REQUESTS]


def _services(codes: list[str]) -> list[tuple[str, str]]:
    """(kind, category) of each code; InvalidQuery names every unknown one."""
    found, unknown = [], []
    for code in codes:
        try:
            found.append(open311.parse_service_code(code))
        except NotFound:
            unknown.append(unknown_service(code))
    if unknown:
        raise InvalidQuery("Unknown service_code.", unknown)
    return found


def _with(q: ReportQuery, kind: str, category: str) -> ReportQuery:
    return replace(q, kind=kind, category=category)


FORM_FIELDS = {
    "api_key": "an API key; without one the request is anonymous (rate limited)",
    "service_code": "a code of services.json",
    "lat": "latitude, WGS84 decimal degrees",
    "long": "longitude, WGS84 decimal degrees",
    "description": "what was seen",
    "attribute[CODE]": "a value for each attribute of the service definition",
}
POST_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "required": ["service_code", "lat", "long"],
                    "properties": {
                        name: {"type": "string", "description": text}
                        for name, text in FORM_FIELDS.items()
                        if "[" not in name
                    },
                    "additionalProperties": {"type": "string"},
                }
            }
        },
    }
}


@router.post(
    "/requests.{fmt}",
    status_code=201,
    summary="Create a service request (form-encoded); it becomes a report like any other",
    openapi_extra={**POST_BODY, **PUBLIC},
    responses=ok("The request was stored", 201),
)
async def create_request(
    fmt: Fmt,
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    limits: LimitsDep,
    areas: AreasDep,
) -> Response:
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        raise InvalidInput("Send the request form-encoded (application/x-www-form-urlencoded).")
    async with request.form(max_files=0, max_fields=500) as form:
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
    principal = principal_for_key(request, fields.get("api_key"))
    feature = request_feature(fields, now=datetime.now(UTC))
    submitter = count_write(request, engine, settings, principal)

    def submit() -> Submission:
        return ingest.submit_report(
            engine, feature, limits=limits, areas=areas.current(), submitter=submitter
        )

    try:
        submission = await run_in_threadpool(submit)
    except InvalidInput as exc:
        point_to_definition(exc, fields["service_code"])
        raise
    report_id = str(submission.row["id"])
    notice = "Stored; it will be moderated."
    if submission.receipt:
        status_url = str(request.base_url).rstrip("/") + f"/reports/{report_id}"
        notice += f" Follow it at {status_url}?receipt={submission.receipt}"
    body = [
        {
            "service_request_id": report_id,
            "token": str(submission.row["client_id"]),
            "service_notice": notice,
            "account_id": None,
        }
    ]
    return render(fmt, "service_requests", body, 201)


@router.get(
    "/requests/{request_id}.{fmt}",
    summary="One service request",
    openapi_extra=PUBLIC,
    responses=ok("The service request"),
)
def read_request(request_id: str, fmt: Fmt, engine: EngineDep, settings: SettingsDep) -> Response:
    view = View(public_resolution=settings.public_h3_resolution)
    with engine.connect() as conn:
        rows = _by_ids(conn, request_id)
        if not rows:
            raise NotFound(f"There is no public service request {request_id!r}.")
        body = _requests(conn, rows[:1], view)
    return render(fmt, "service_requests", body)


@router.get(
    "/tokens/{token}.{fmt}",
    summary="The service request id behind a token",
    openapi_extra=PUBLIC,
    responses=ok("The request id"),
)
def read_token(token: str, fmt: Fmt, engine: EngineDep) -> Response:
    missing = NotFound(f"There is no public service request for token {token!r}.")
    try:
        client_id = uuid.UUID(token)
    except ValueError:
        raise missing from None
    with engine.connect() as conn:
        row = store.get_by_client_id(conn, client_id, _PUBLIC)
    if row is None or row["status"] not in PUBLIC_STATUSES:
        raise missing
    return render(fmt, "service_requests", [{"service_request_id": str(row["id"]), "token": token}])
