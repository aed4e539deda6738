"""A form bound to a report kind: each response also files a report of that kind.

The form says which of its questions are the report's: a `select_one` named `category`
whose choices are categories of the kind (GET /api/v1/taxonomy), its first geopoint (which
must be required) as the report's position, and questions named after the kind's attributes
(`name`, `status`, `satisfaction` of a service; `severity`, `people_affected` of a hotspot;
`survey_length_m` and integer questions named by item codes, such as `G21`, of a litter
survey). Every other answer stays the response's own. The report goes through the one ingest
path with the same checks as any other, under a client id made from the response's instance
id, so a resubmission files nothing twice; it is observed when the response is received.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import Engine

from mapping.areas.index import AreaIndex
from mapping.errors import ErrorItem, InvalidInput
from mapping.reports import ingest
from mapping.reports.forms.answers import GeoPoint, Value
from mapping.reports.forms.spec import FormSpec
from mapping.reports.rows import Limits
from mapping.reports.write import Submission
from mapping.taxonomy import category_codes, litter_materials

NAMESPACE = uuid.UUID("5b0f1e0c-6a57-4f3e-9d0e-2f7c1b9a4e21")
ATTRIBUTES = {
    "service": ("name", "status", "satisfaction"),
    "hotspot": ("severity", "people_affected"),
    "litter": ("survey_length_m",),
}


def check_binding(spec: FormSpec, kind: str, rows: Mapping[str, int]) -> None:
    """InvalidInput, at the cells to fix, when `spec` cannot make reports of `kind`."""
    if kind not in ATTRIBUTES:
        return
    errors: list[ErrorItem] = []
    category = spec.question("category")
    if category is None or category.type != "select_one":
        errors.append(
            {
                "loc": ["survey"],
                "msg": f"a form of kind {kind} needs a select_one question named category",
            }
        )
    else:
        wrong = sorted(category.choice_names() - category_codes(kind))
        if wrong:
            errors.append(
                {
                    "loc": ["choices"],
                    "msg": f"{', '.join(wrong)}: not categories of "
                    f"{kind} (see GET /api/v1/taxonomy)",
                }
            )
    # A personal place (the respondent's home) is never a report's position.
    point = next((q for q in spec.answered if q.type == "geopoint" and not q.personal), None)
    if point is None:
        errors.append(
            {"loc": ["survey"], "msg": f"a form of kind {kind} needs a geopoint not personal"}
        )
    elif point.required != "true()":
        errors.append(
            {
                "loc": ["survey", rows.get(point.name, 0), "required"],
                "msg": "the position of a report must be required: write yes",
            }
        )
    if errors:
        first = errors[0]
        raise InvalidInput(f"This form cannot make {kind} reports: {first['msg']}.", errors)


def report_of(
    spec: FormSpec, answers: Mapping[str, Value], *, kind: str, campaign: str, received: datetime
) -> dict[str, Any]:
    """The report a response files, as a GeoJSON Feature for ingest."""
    point = next(
        v
        for q in spec.answered
        if not q.personal and isinstance(v := answers.get(q.name), GeoPoint)
    )
    # A report's attributes are public: an answer marked personal never becomes one.
    public = {q.name for q in spec.answered if not q.personal}
    attributes: dict[str, Any] = {
        n: answers[n] for n in ATTRIBUTES[kind] if n in answers and n in public
    }
    if kind == "litter":
        codes = litter_materials()
        attributes["items"] = {n: v for n, v in answers.items() if n in codes and n in public}
    properties: dict[str, Any] = {
        "kind": kind,
        "category": answers.get("category"),
        "observed_at": received.astimezone(UTC).isoformat(),
        "campaign": campaign,
        "attributes": attributes,
    }
    if point.accuracy:
        properties["accuracy_m"] = point.accuracy
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [point.lon, point.lat]},
        "properties": properties,
    }


def file_report(
    engine: Engine,
    form: Mapping[Any, Any],
    spec: FormSpec,
    answers: Mapping[str, Value],
    *,
    instance_id: str,
    limits: Limits,
    areas: AreaIndex | None,
    submitter: str | None,
    received: datetime,
) -> Submission:
    """File the response's report (or find it again); a broken rule names the answer."""
    feature = report_of(
        spec, answers, kind=form["kind"], campaign=form["campaign"], received=received
    )
    client_id = uuid.uuid5(NAMESPACE, instance_id)
    try:
        return ingest.submit_report(
            engine,
            feature,
            limits=limits,
            idempotency_key=str(client_id),
            areas=areas,
            submitter=submitter,
            now=received,
        )
    except InvalidInput as exc:
        errors: list[ErrorItem] = [
            {"loc": ["answers", str(e["loc"][-1])], "msg": f"as the report's: {e['msg']}"}
            for e in exc.errors
        ]
        raise InvalidInput(
            f"The report this response files is refused: {exc.detail}", errors
        ) from None
