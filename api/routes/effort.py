"""Observer effort: "I looked here", with a point or a walked track, found something or not."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request, Response
from fastapi.concurrency import run_in_threadpool

from api.auth import PUBLIC, WriterDep
from api.body import read_json
from api.deps import AreasDep, EffortLimitsDep, EngineDep
from api.openapi import body
from api.responses import GeoJSONResponse
from mapping.reports import effort
from mapping.reports.write import Submission

router = APIRouter(prefix="/effort", tags=["effort"])


@router.post(
    "",
    response_class=GeoJSONResponse,
    status_code=201,
    summary="Record a visit (201), or replay one already stored (200)",
    openapi_extra={
        **body(effort.EffortFeature, "A GeoJSON Feature with a Point or a LineString track."),
        **PUBLIC,
    },
    responses={
        200: {"description": "The same visit again: the stored one"},
        409: {"description": "The client_id was used for another visit"},
    },
)
async def record_effort(
    request: Request,
    engine: EngineDep,
    limits: EffortLimitsDep,
    areas: AreasDep,
    submitter: WriterDep,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> Response:
    obj = await read_json(request)

    def record() -> Submission:
        return effort.record_visit(
            engine,
            obj,
            limits=limits,
            idempotency_key=idempotency_key,
            areas=areas.current(),
            submitter=submitter,
        )

    recorded = await run_in_threadpool(record)
    status = 201 if recorded.outcome == "created" else 200
    return GeoJSONResponse(effort.visit_doc(recorded.row), status_code=status)
