"""Per-question aggregates of a form's responses, per H3 hexagon or per area."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from api.auth import PUBLIC, ViewDep
from api.deps import AreasDep, EngineDep, SettingsDep
from api.responses import feature_collection
from mapping.disclosure import cellkey
from mapping.errors import InvalidQuery
from mapping.reports.forms import aggregate, catalogue, table
from mapping.storage import forms as store

router = APIRouter(tags=["forms"])


def _method(threshold: int, public_resolution: int, exact: bool) -> str:
    where = (
        "each response at its point"
        if exact
        else f"each response at the centre of its H3 cell at resolution {public_resolution}"
    )
    return (
        f"Responses to every version of the form, {where}. Counts per choice and the n, mean "
        f"and median of numbers are exact for questions that are not personal (means and "
        f"medians null below n = {threshold}); personal questions give only counts: "
        + cellkey.method(threshold)
    )


@router.get(
    "/forms/{form_id}/aggregates",
    summary="Per-question aggregates per hexagon (`resolution`) or per area (`level`)",
    openapi_extra=PUBLIC,
)
async def form_aggregates(
    form_id: str,
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    view: ViewDep,
    areas: AreasDep,
    resolution: Annotated[int | None, Query(ge=0, le=15)] = None,
    level: Annotated[int | None, Query(ge=0, le=5)] = None,
) -> Response:
    if (resolution is None) == (level is None):
        raise InvalidQuery(
            "Give either `resolution` (hexagons) or `level` (areas).",
            [{"loc": ["query", "resolution"], "msg": "give resolution or level"}],
        )
    public = settings.public_h3_resolution
    if resolution is not None and resolution > public and not view.exact_locations:
        raise InvalidQuery(
            f"Responses are public at resolution {public} at finest; ask for {public} or less.",
            [{"loc": ["query", "resolution"], "msg": f"at most {public}"}],
        )
    with engine.connect() as conn:
        catalogue.find_form(conn, form_id)
        versions = store.versions(conn, form_id)
    specs = {v["seq"]: catalogue.spec_of(v) for v in versions}

    def compute() -> list[dict[str, Any]]:
        walked = list(table.walk(engine, form_id, specs))
        rows = [row for row, _ in walked]
        exact = view.exact_locations
        if resolution is not None:
            units: list[Any] = aggregate.hexagon_units(rows, resolution=resolution, exact=exact)
        else:
            units = aggregate.area_units(rows, areas.current(), level=level or 0, exact=exact)
        records = [
            (u, row["record_key"], typed) for u, (row, typed) in zip(units, walked, strict=True)
        ]
        cols = aggregate.columns(specs.values())
        figures = aggregate.tally(records, cols, threshold=settings.suppression_threshold)
        if resolution is not None:
            return [aggregate.hexagon_feature(u, f) for u, f in sorted(figures.items())]
        return [aggregate.area_feature(u, level or 0, f) for u, f in sorted(figures.items())]

    features = await run_in_threadpool(compute)
    return feature_collection(
        request,
        features,
        settings=settings,
        filters={"form_id": form_id, "resolution": resolution, "level": level},
        method=_method(settings.suppression_threshold, public, view.exact_locations),
    )
