"""Releases: frozen indicator tables, as stored, in JSON and SDMX-CSV."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request, Response

from api.auth import PUBLIC
from api.deps import EngineDep
from api.responses import FastJSONResponse
from mapping.releases.snapshot import list_releases, read_release

router = APIRouter(prefix="/releases", tags=["indicators"])

SDMX_CSV = "application/vnd.sdmx.data+csv; version=2.0.0; charset=utf-8"
ReleaseId = Annotated[
    str, Path(pattern=r"^\d{8}-\d{2,4}$", description="a release id, e.g. 20261203-01")
]


@router.get("", summary="The releases, newest first", openapi_extra=PUBLIC)
def read_releases(request: Request, engine: EngineDep) -> Response:
    with engine.connect() as conn:
        rows = list_releases(conn)
    base = str(request.url_for("read_one_release", release_id="0")).removesuffix("/0")
    out: list[dict[str, Any]] = [
        {
            **r,
            "links": [
                {"rel": "self", "href": f"{base}/{r['id']}", "type": "application/json"},
                {"rel": "alternate", "href": f"{base}/{r['id']}?format=sdmx-csv", "type": SDMX_CSV},
            ],
        }
        for r in rows
    ]
    return FastJSONResponse({"releases": out})


@router.get(
    "/{release_id}",
    summary="One release, byte for byte as it was made (JSON or SDMX-CSV)",
    openapi_extra=PUBLIC,
    name="read_one_release",
)
def read_one_release(
    request: Request,
    engine: EngineDep,
    release_id: ReleaseId,
    format: Annotated[Literal["json", "sdmx-csv"], Query()] = "json",
) -> Response:
    with engine.connect() as conn:
        stored = read_release(conn, release_id)
    etag = f'"{stored["digest"]}"'
    headers = {"ETag": etag, "Cache-Control": "public, max-age=300"}
    if stored["replaced_by"]:
        later = str(request.url_for("read_one_release", release_id=stored["replaced_by"]))
        headers["Link"] = f'<{later}>; rel="successor-version"'
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    if format == "sdmx-csv":
        headers["Content-Disposition"] = f'attachment; filename="civicmap-{release_id}.csv"'
        return Response(stored["sdmx_csv"], media_type=SDMX_CSV, headers=headers)
    return Response(stored["document"], media_type="application/json", headers=headers)
