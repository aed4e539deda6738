"""Liveness and readiness, for load balancers and process supervisors."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.exc import SQLAlchemyError

from api.auth import PUBLIC
from api.deps import EngineDep
from api.errors import problem
from mapping.storage.migrate import current_revision, head_revision

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process answers", openapi_extra=PUBLIC)
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz", summary="The database answers and its schema is current", openapi_extra=PUBLIC
)
async def readyz(engine: EngineDep):  # type: ignore[no-untyped-def]
    try:
        revision = await run_in_threadpool(current_revision, engine)
    except SQLAlchemyError:
        return problem(503, "The database cannot be reached.")
    if revision != head_revision():
        return problem(503, f"The schema is at {revision}; run `civicmap db upgrade`.")
    return {"status": "ready", "schema": revision}
