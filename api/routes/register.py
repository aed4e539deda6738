"""The official register checked by citizens: each facility's state, the services missing
from it, and planners' reviews of the matches (mapping.analysis.coverage.register)."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from api.auth import PUBLIC, requires, role_doc
from api.body import read_json
from api.deps import EngineDep, SettingsDep
from api.openapi import body
from api.params import Filters, FiltersDep, service_category
from api.responses import FastJSONResponse, feature_collection
from mapping.analysis.coverage.register import (
    STATES,
    check_register,
    facility_features,
    missing_features,
)
from mapping.analysis.studyarea import analysed_codes
from mapping.disclosure import provenance
from mapping.errors import InvalidInput, InvalidQuery, NotFound, error_items
from mapping.keys import Principal
from mapping.schemas import Text
from mapping.storage import register as register_store
from mapping.storage.reports import EXACT, get_report

router = APIRouter(prefix="/facilities", tags=["analysis"])

State = Literal["confirmed", "reported_closed", "reported_partly", "not_seen"]


def _applied(filters: Filters) -> dict[str, str]:
    """The filters that chose the evidence: its kind is always `service`, whatever was asked."""
    return {k: v for k, v in filters.applied.items() if k != "kind"}


@router.get("", summary="Register facilities and what citizens say of them", openapi_extra=PUBLIC)
def read_facilities(
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    filters: FiltersDep,
    state: Annotated[State | None, Query(description="only facilities in this state")] = None,
) -> Response:
    """Every facility of the register of `category` (default health_facility) in `area`, with
    its state by the citizen reports matched to it: confirmed, reported_closed,
    reported_partly or not_seen (with `last_seen`), and whether coverage counts it open."""
    category = service_category(filters.query.category, default="health_facility")
    with engine.connect() as conn:
        if filters.query.area is not None:
            analysed_codes(conn, area=filters.query.area)  # 404 for an unknown area
        checked = check_register(conn, filters.query, category=category, area=filters.query.area)
        # The register's lists, and the citizen reports that are its evidence.
        evidence = replace(filters.query, kind="service", category=category)
        sources = provenance.combined(
            provenance.report_sources(conn, evidence, license=settings.data_license),
            provenance.facility_sources(conn, category=category),
        )
    features = facility_features(checked)
    if state is not None:
        features = [f for f in features if f["properties"]["state"] == state]  # type: ignore[index]
    counts = {s: int((checked.facilities["state"] == s).sum()) for s in STATES}
    return feature_collection(
        request,
        features,
        settings=settings,
        method=checked.method,
        filters={**_applied(filters), "category": category, **({"state": state} if state else {})},
        extra={
            "summary": {
                "facilities": len(checked.facilities),
                **counts,
                "missing_from_register": len(checked.missing()),
            }
        },
        sources=sources,
    )


@router.get(
    "/missing",
    summary="Citizen-reported services that the register lacks",
    openapi_extra=PUBLIC,
)
def read_missing(
    request: Request, engine: EngineDep, settings: SettingsDep, filters: FiltersDep
) -> Response:
    """Citizen service reports of `category` in `area` that match no register facility."""
    category = service_category(filters.query.category, default="health_facility")
    with engine.connect() as conn:
        if filters.query.area is not None:
            analysed_codes(conn, area=filters.query.area)  # 404 for an unknown area
        checked = check_register(conn, filters.query, category=category, area=filters.query.area)
        sources = provenance.report_sources(conn, filters.query, license=settings.data_license)
    return feature_collection(
        request,
        missing_features(checked),
        settings=settings,
        method=checked.method,
        filters={**_applied(filters), "category": category},
        sources=sources,
    )


class Review(BaseModel):
    """A planner's decision on a citizen report as evidence of a register facility."""

    model_config = ConfigDict(extra="forbid")

    facility: Annotated[Text, Field(min_length=3, max_length=265, pattern=r"^[^:]+:.+$")]
    report: uuid.UUID
    decision: Literal["accept", "reject"]
    note: Annotated[Text, Field(max_length=2000)] | None = None


@router.post(
    "/reviews",
    status_code=201,
    summary="Accept or reject a report as evidence of a facility; audited",
    openapi_extra={
        **body(Review, "The facility (source:code), report and decision."),
        **role_doc("plan"),
    },
)
async def review_match(
    request: Request,
    engine: EngineDep,
    principal: Annotated[Principal, requires("plan")],
) -> Response:
    """`accept` makes the report evidence of the facility whatever the score says (a merge,
    when the report was listed as missing); `reject` rules the pair out. Each decision is kept
    with who made it and when; the latest on a pair holds."""
    try:
        review = Review.model_validate(await read_json(request))
    except ValidationError as exc:
        raise InvalidInput("The review is not valid.", error_items(exc)) from None
    row = await run_in_threadpool(_record, engine, review, principal)
    return FastJSONResponse(_listed(row), status_code=201)


def _record(engine: Any, review: Review, principal: Principal) -> dict[str, Any]:
    source, code = review.facility.split(":", 1)
    with engine.begin() as conn:
        category = register_store.facility_category(conn, source, code)
        if category is None:
            raise NotFound(f"There is no register facility {review.facility}.")
        report = get_report(conn, review.report, placement=EXACT)
        # Hidden, rejected and duplicate reports are no evidence, and say nothing here.
        if (
            report is None
            or report["kind"] != "service"
            or report["status"] not in register_store.EVIDENCE_STATUSES
        ):
            raise NotFound(f"There is no service report with id {review.report}.")
        if report["category"] != category:
            raise InvalidInput(
                f"The report is of category {report['category']}, the facility of {category}: "
                "a report can only be evidence of a facility of its own category.",
                [{"loc": ["body", "report"], "msg": "another category"}],
            )
        return register_store.record_decision(
            conn,
            report_id=review.report,
            facility=(source, code),
            decision=review.decision,
            actor_id=principal.key_id,
            actor_name=principal.name,
            note=review.note,
        )


@router.get(
    "/reviews",
    summary="Every review decision, oldest first",
    openapi_extra=role_doc("plan"),
)
def read_reviews(
    engine: EngineDep,
    principal: Annotated[Principal, requires("plan")],
    facility: Annotated[str | None, Query(max_length=265, description="source:code")] = None,
) -> Response:
    key = tuple(facility.split(":", 1)) if facility and ":" in facility else None
    if facility and (key is None or "\x00" in facility):
        raise InvalidQuery(
            "Query parameter 'facility': give it as source:code.",
            [{"loc": ["query", "facility"], "msg": "source:code"}],
        )
    with engine.connect() as conn:
        rows = register_store.review_trail(conn, facility=key)  # type: ignore[arg-type]
    return FastJSONResponse({"reviews": [_listed(dict(r)) for r in rows]})


def _utc(at: datetime) -> datetime:
    """SQLite gives stored times back without their zone; they were stored in UTC."""
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _listed(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "facility": f"{row['facility_source']}:{row['facility_code']}",
        "report": str(row["report_id"]),
        "decision": row["decision"],
        "at": _utc(row["at"]).isoformat(),
        "by": row["actor_name"],
        "note": row["note"],
    }
