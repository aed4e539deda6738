"""Reports: submit one or a batch, list with filters and paging, read one."""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request, Response
from fastapi.concurrency import run_in_threadpool

from api import params
from api.body import read_json
from api.deps import AreasDep, EngineDep, LimitsDep, SettingsDep, ViewDep
from api.openapi import body
from api.responses import FastJSONResponse, GeoJSONResponse, feature_collection
from mapping import ingest
from mapping.errors import NotFound
from mapping.publish import report_feature
from mapping.schemas import ReportCollection, ReportFeature
from mapping.storage import reports as store

router = APIRouter(prefix="/reports", tags=["reports"])

LIST_METHOD = (
    "Citizen reports as submitted, oldest first; sensitive reports shown at the centre of "
    "their H3 cell at the public resolution; hidden and rejected reports left out."
)


@router.post(
    "",
    status_code=201,
    summary="Submit one report (201), or replay one already stored (200)",
    openapi_extra=body(ReportFeature, "A GeoJSON Feature with a Point geometry."),
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
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> Response:
    obj = await read_json(request)

    def submit() -> ingest.Submission:
        return ingest.submit_report(
            engine, obj, limits=limits, idempotency_key=idempotency_key, areas=areas.current()
        )

    submission = await run_in_threadpool(submit)
    feature = report_feature(submission.row, view)
    location = str(request.url_for("read_report", report_id=feature["id"]))
    if submission.outcome == "duplicate":
        return GeoJSONResponse(feature, status_code=200, headers={"Location": location})
    feature["receipt"] = submission.receipt
    return GeoJSONResponse(feature, status_code=201, headers={"Location": location})


@router.post(
    "/batch",
    summary="Submit up to the batch limit of reports; valid ones are stored, others explained",
    openapi_extra=body(ReportCollection, "A GeoJSON FeatureCollection of report Features."),
)
async def create_reports_batch(
    request: Request, engine: EngineDep, limits: LimitsDep, areas: AreasDep
) -> Any:
    obj = await read_json(request)

    def submit() -> ingest.BatchResult:
        return ingest.submit_batch(engine, obj, limits=limits, areas=areas.current())

    result = await run_in_threadpool(submit)
    return FastJSONResponse(
        {
            "created": result.created,
            "duplicates": result.duplicates,
            "rejected": result.rejected,
            "results": result.results,
        }
    )


@router.get("", summary="Reports as a GeoJSON FeatureCollection, paged by `next` links")
def list_reports(
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    view: ViewDep,
    filters: params.FiltersDep,
    limit: int | None = None,
    cursor: str | None = None,
) -> Response:
    query = replace(
        filters.query,
        limit=params.check_limit(
            limit, default=settings.page_limit_default, maximum=settings.page_limit_max
        ),
        after=params.decode_cursor(cursor),
        generalise_to=view.public_resolution,
    )
    with engine.connect() as conn:
        rows, resume = store.list_reports(conn, query)
    next_url = None
    if resume is not None:
        next_url = str(request.url.include_query_params(cursor=params.encode_cursor(resume)))
    return feature_collection(
        request,
        [report_feature(row, view) for row in rows],
        settings=settings,
        filters=filters.applied,
        method=LIST_METHOD,
        next_url=next_url,
    )


@router.get("/{report_id}", summary="One report as a GeoJSON Feature")
def read_report(report_id: str, engine: EngineDep, view: ViewDep) -> Response:
    missing = NotFound(f"There is no public report with id {report_id!r}.")
    try:
        key = uuid.UUID(report_id)
    except ValueError:
        raise missing from None
    with engine.connect() as conn:
        row = store.get_report(conn, key)
    if row is None or row["status"] not in store.PUBLIC_STATUSES:
        raise missing
    return GeoJSONResponse(report_feature(row, view))
