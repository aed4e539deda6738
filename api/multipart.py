"""Reading a report sent as multipart/form-data: one `feature` part (the JSON Feature) and up
to the photo limit of `photo` parts. Problems say which part to fix; nothing is stored here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from fastapi import Request
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException

from api.body import read_json
from api.deps import get_photo_store
from mapping.errors import ErrorItem, InvalidInput, TooLarge
from mapping.photos.upload import PhotoUpload
from mapping.settings import Settings

MEDIA_TYPE = "multipart/form-data"
PARTS = ("feature", "photo")

# How POST /api/v1/reports documents its multipart form in /openapi.json.
FORM_SCHEMA: dict[str, Any] = {
    "schema": {
        "type": "object",
        "required": ["feature"],
        "properties": {
            "feature": {
                "type": "string",
                "description": "The report: a GeoJSON Feature, as JSON text (or a JSON file part)",
            },
            "photo": {
                "type": "array",
                "items": {"type": "string", "format": "binary"},
                "description": "Up to 3 photos: JPEG, PNG or WebP, at most 8 MiB each",
            },
        },
    }
}


@dataclass(frozen=True, slots=True)
class ReportParts:
    feature: Any
    photos: list[bytes]


def is_multipart(request: Request) -> bool:
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return media == MEDIA_TYPE


async def read_report_parts(request: Request, settings: Settings) -> ReportParts:
    """The feature (parsed JSON) and the photo files (bytes, in order) of a multipart report."""
    try:
        form = await request.form(
            max_files=settings.max_photos_per_report + 1,  # the feature may come as a file too
            max_fields=len(PARTS) + settings.max_photos_per_report,
            max_part_size=settings.max_body_bytes,
        )
    except HTTPException as exc:
        raise InvalidInput(
            f"The multipart body could not be read: {exc.detail}",
            [{"loc": ["body"], "msg": str(exc.detail)}],
        ) from None
    try:
        _only_known_parts(form)
        feature = await _feature(form, settings.max_body_bytes)
        photos = await _photos(form, settings)
    finally:
        await form.close()
    return ReportParts(feature, photos)


def _only_known_parts(form: FormData) -> None:
    unknown = sorted(set(form.keys()) - set(PARTS))
    if unknown:
        raise InvalidInput(
            f"Unexpected parts {', '.join(unknown)}: send `feature` and up to 3 `photo` parts.",
            [{"loc": ["body", name], "msg": "unexpected part"} for name in unknown],
        )


async def _feature(form: FormData, limit: int) -> Any:
    parts = form.getlist("feature")
    if len(parts) != 1:
        raise InvalidInput(
            "Send exactly one `feature` part with the report as a GeoJSON Feature.",
            [{"loc": ["body", "feature"], "msg": f"{len(parts)} feature parts"}],
        )
    part = parts[0]
    raw = part.encode() if isinstance(part, str) else await part.read(limit + 1)
    if len(raw) > limit:
        raise TooLarge(
            f"The feature part is larger than {limit} bytes.",
            [{"loc": ["body", "feature"], "msg": f"larger than {limit} bytes"}],
        )
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidInput(
            f"The feature part is not valid JSON: {exc.msg} at line {exc.lineno}.",
            [{"loc": ["body", "feature"], "msg": "invalid JSON"}],
        ) from None


async def _photos(form: FormData, settings: Settings) -> list[bytes]:
    limit = settings.max_photo_bytes
    photos: list[bytes] = []
    errors: list[ErrorItem] = []
    for part in form.getlist("photo"):
        # An HTML form with an empty file input sends an empty part without a file name.
        if part == "" or (not isinstance(part, str) and not part.filename and not part.size):
            continue
        if isinstance(part, str):
            errors.append({"loc": ["photo", len(photos) + 1], "msg": "send the photo as a file"})
            continue
        data = await part.read(limit + 1)
        if len(data) > limit:
            raise TooLarge(
                f"Photo {len(photos) + 1} is larger than {limit} bytes.",
                [{"loc": ["photo", len(photos) + 1], "msg": f"larger than {limit} bytes"}],
            )
        photos.append(data)
    if errors:
        raise InvalidInput("A photo part is not a file.", errors)
    if len(photos) > settings.max_photos_per_report:
        most = settings.max_photos_per_report
        raise InvalidInput(
            f"{len(photos)} photos were sent; at most {most} are allowed.",
            [{"loc": ["photo"], "msg": f"more than {most} photos"}],
        )
    return photos


def with_form(documented: dict[str, Any]) -> dict[str, Any]:
    """`openapi_extra` of a JSON body (api.openapi.body) that also takes the multipart form."""
    content = {**documented["requestBody"]["content"], MEDIA_TYPE: FORM_SCHEMA}
    return {**documented, "requestBody": {**documented["requestBody"], "content": content}}


async def read_submission(request: Request, settings: Settings) -> tuple[Any, PhotoUpload | None]:
    """A report submission's Feature, and its photos when it came as multipart with any."""
    if not is_multipart(request):
        return await read_json(request), None
    parts = await read_report_parts(request, settings)
    if not parts.photos:
        return parts.feature, None
    upload = PhotoUpload(
        parts.photos, limits=request.app.state.policies.photos, store=get_photo_store(settings)
    )
    return parts.feature, upload
