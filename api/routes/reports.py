"""Reports: submit one or a batch, list, read, moderate, and the reporter's status view."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request, Response
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.engine import RowMapping

from api import downloads, multipart, params
from api.auth import PUBLIC, PrincipalDep, ViewDep, WriterDep, requires, role_doc
from api.body import read_json
from api.deps import AreasDep, EngineDep, LimitsDep, SettingsDep
from api.openapi import body
from api.responses import FastJSONResponse, GeoJSONResponse, feature_collection
from mapping.disclosure import provenance
from mapping.disclosure.publish import View, report_feature, rfc3339
from mapping.errors import NotFound
from mapping.export.reports import ReportPages
from mapping.keys import Principal
from mapping.reports import ingest, moderation
from mapping.reports.write import Submission
from mapping.schemas import ReportCollection, ReportFeature
from mapping.storage import report_pages
from mapping.storage import reports as store
from mapping.storage import trust as trust_store

router = APIRouter(prefix="/reports", tags=["reports"])

LIST_METHOD = (
    "Citizen reports as submitted, oldest first; sensitive reports shown at the centre of "
    "their H3 cell at the public resolution; hidden and rejected reports left out."
)


@router.post(
    "",
    response_class=GeoJSONResponse,
    status_code=201,
    summary="Submit one report (201), or replay one already stored (200)",
    description="JSON, or multipart/form-data with a `feature` part and up to 3 `photo` parts.",
    openapi_extra={
        **multipart.with_form(body(ReportFeature, "A GeoJSON Feature with a Point geometry.")),
        **PUBLIC,
    },
    responses={
        200: {"description": "The same submission again: the stored report"},
        409: {"description": "The client_id was used for other content"},
    },
)
async def create_report(
    request: Request,
    engine: EngineDep,
    limits: LimitsDep,
    view: ViewDep,
    areas: AreasDep,
    submitter: WriterDep,
    settings: SettingsDep,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> Response:
    obj, photos = await multipart.read_submission(request, settings)

    def submit() -> Submission:
        return ingest.submit_report(
            engine,
            obj,
            limits=limits,
            idempotency_key=idempotency_key,
            areas=areas.current(),
            submitter=submitter,
            photos=photos,
        )

    submission = await run_in_threadpool(submit)
    feature = report_feature(submission.row, view)
    # The sender knows its own client id; the public listing does not show it.
    feature["properties"]["client_id"] = str(submission.row["client_id"])
    location = str(request.url_for("read_report", report_id=feature["id"]))
    if submission.outcome == "duplicate":
        return GeoJSONResponse(feature, status_code=200, headers={"Location": location})
    feature["receipt"] = submission.receipt
    return GeoJSONResponse(feature, status_code=201, headers={"Location": location})


@router.post(
    "/batch",
    summary="Submit up to the batch limit of reports; valid ones are stored, others explained",
    openapi_extra={
        **body(ReportCollection, "A GeoJSON FeatureCollection of report Features."),
        **role_doc("submit_batch"),
    },
    dependencies=[requires("submit_batch")],
)
async def create_reports_batch(
    request: Request, engine: EngineDep, limits: LimitsDep, areas: AreasDep, submitter: WriterDep
) -> Any:
    obj = await read_json(request)

    def submit() -> ingest.BatchResult:
        return ingest.submit_batch(
            engine, obj, limits=limits, areas=areas.current(), submitter=submitter
        )

    result = await run_in_threadpool(submit)
    return FastJSONResponse(
        {
            "created": result.created,
            "duplicates": result.duplicates,
            "rejected": result.rejected,
            "results": result.results,
        }
    )


@router.get(
    "",
    response_class=GeoJSONResponse,
    summary="Reports as a GeoJSON FeatureCollection, paged by `next` links",
    description="With `format` (csv, gpkg, kml, geojson) the answer is a download of every "
    "report the filters select from `cursor` on, not one page; `limit` then caps it, and its "
    "`next` link (also in a `Link` header) is the one the page of that `limit` would give.",
    openapi_extra=PUBLIC,
)
def list_reports(
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    view: ViewDep,
    filters: params.FiltersDep,
    limit: int | None = None,
    cursor: str | None = None,
) -> Response:
    size = params.check_limit(
        limit, default=settings.page_limit_default, maximum=settings.page_limit_max
    )
    query = replace(
        filters.query,
        limit=size,
        after=params.decode_cursor(cursor),
    )
    applied: dict[str, Any] = dict(filters.applied)
    features: Iterable[dict[str, Any]]
    if downloads.requested_format(request) is not None:
        with engine.connect() as conn:
            through, more = report_pages.download_bound(conn, query, limit and size)
        features = ReportPages(engine, query, view, through, settings.page_limit_default)
        resume = through if more else None
        applied.update({k: v for k, v in (("limit", limit), ("cursor", cursor)) if v})
    else:
        with engine.connect() as conn:
            rows, resume = store.list_reports(conn, query)
        features = [report_feature(row, view) for row in rows]
    with engine.connect() as conn:
        sources = provenance.report_sources(conn, query, license=settings.data_license)
    next_url = None
    if resume is not None:
        next_url = str(request.url.include_query_params(cursor=params.encode_cursor(resume)))
    return feature_collection(
        request,
        features,
        settings=settings,
        filters=applied,
        method=LIST_METHOD,
        next_url=next_url,
        sources=sources,
    )


def _visible(engine: EngineDep, report_id: str, principal: Principal, view: View) -> RowMapping:
    """The report as `view` sees it, if `principal` may; otherwise the same 404 as for no
    report at all."""
    missing = NotFound(f"There is no public report with id {report_id!r}.")
    try:
        key = uuid.UUID(report_id)
    except ValueError:
        raise missing from None
    with engine.connect() as conn:
        row = store.get_report(conn, key, placement=view.placement)
    if row is None:
        raise missing
    if row["status"] not in store.PUBLIC_STATUSES and not principal.may("see_hidden"):
        raise missing
    return row


@router.get(
    "/{report_id}",
    response_class=GeoJSONResponse,
    summary="One report as a GeoJSON Feature",
    openapi_extra=PUBLIC,
)
def read_report(
    report_id: str, engine: EngineDep, principal: PrincipalDep, view: ViewDep
) -> Response:
    return GeoJSONResponse(report_feature(_visible(engine, report_id, principal, view), view))


@router.patch(
    "/{report_id}",
    response_class=GeoJSONResponse,
    summary="Moderate a report: status, note, duplicate_of; every change is audited",
    openapi_extra={
        **body(moderation.ModerationChange, "The change, with a note saying why."),
        **role_doc("moderate"),
    },
)
async def moderate_report(
    report_id: str,
    request: Request,
    engine: EngineDep,
    view: ViewDep,
    principal: Annotated[Principal, requires("moderate")],
) -> Response:
    row = _visible(engine, report_id, principal, view)
    change = moderation.parse_change(await read_json(request))
    updated = await run_in_threadpool(
        moderation.moderate, engine, row["id"], change, actor=principal, placement=view.placement
    )
    return GeoJSONResponse(report_feature(updated, view))


@router.get(
    "/{report_id}/audit",
    summary="The moderation history of a report",
    openapi_extra=role_doc("moderate"),
)
def read_audit(
    report_id: str,
    engine: EngineDep,
    view: ViewDep,
    principal: Annotated[Principal, requires("moderate")],
) -> Any:
    row = _visible(engine, report_id, principal, view)
    with engine.connect() as conn:
        entries = trust_store.audit_of(conn, row["id"])
    return FastJSONResponse(
        {
            "report": str(row["id"]),
            "entries": [
                {
                    "at": rfc3339(e["at"]),
                    "by": e["actor_name"],
                    "key": str(e["actor_id"]) if e["actor_id"] else None,
                    "changes": e["changes"],
                    "note": e["note"],
                }
                for e in entries
            ],
        }
    )
