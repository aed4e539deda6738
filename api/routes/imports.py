"""Bulk import of past surveys: `POST /api/v1/reports/import`, a file and its column mapping."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import orjson
from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from api.auth import WriterDep, requires, role_doc
from api.deps import AreasDep, EngineDep, LimitsDep, SettingsDep
from api.responses import FastJSONResponse
from mapping.errors import InvalidInput, UnsupportedMedia
from mapping.imports.importer import ImportReport, import_file
from mapping.imports.presets import PRESET_SOURCES, mapping_from
from mapping.imports.readers import detect_format
from mapping.imports.sources import source_from
from mapping.storage.sources import Source

router = APIRouter(prefix="/reports", tags=["reports"])

FORMATS = ["csv", "geojson", "gpkg", "kml", "kmz", "zip"]
# Where the file comes from; a preset gives defaults (eea-litterwatch: EEA, CC-BY-4.0 and its
# credit), these change them. Every report stored names the source, and downloads credit it.
SOURCE_FIELDS: dict[str, Any] = {
    "source": {"type": "string", "description": "Source id, e.g. `my-survey-2024`"},
    "source_title": {"type": "string", "description": "Source title"},
    "license": {
        "type": "string",
        "description": "SPDX licence id, e.g. CC-BY-4.0; `not stated` where the source states none",
    },
    "credit": {"type": "string", "description": "The credit the source's terms require"},
    "source_url": {"type": "string", "description": "Where the source is published"},
}
IMPORT_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file", "mapping"],
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": "CSV, GeoJSON, GeoPackage, KML, KMZ or zip; the "
                            "format is read from the file name unless `format` says it",
                        },
                        "mapping": {
                            "type": "string",
                            "description": 'The column mapping as JSON, e.g. {"preset": '
                            '"eea-litterwatch"} or {"kind": "service", "category": '
                            '"health_facility", "lon_column": "Longitude", "lat_column": '
                            '"Latitude", "attributes": {"name": "FacilityName"}}',
                        },
                        "format": {"type": "string", "enum": FORMATS},
                        "layer": {"type": "string", "description": "GeoPackage layer"},
                        **SOURCE_FIELDS,
                    },
                }
            }
        },
    }
}


def _field(form: Any, name: str) -> str | None:
    value = form.get(name)
    return value if isinstance(value, str) and value.strip() else None


def _invalid(name: str, msg: str) -> InvalidInput:
    return InvalidInput(f"Form field {name!r}: {msg}.", [{"loc": ["body", name], "msg": msg}])


def _source(form: Any, spec: Any) -> Source | None:
    """The source the form names, over its preset's."""
    preset = spec.get("preset") if isinstance(spec, dict) else None
    return source_from(
        PRESET_SOURCES.get(preset) if isinstance(preset, str) else None,
        id=_field(form, "source"),
        title=_field(form, "source_title"),
        license=_field(form, "license"),
        license_given=form.get("license") is not None,
        credit=_field(form, "credit"),
        url=_field(form, "source_url"),
    )


@router.post(
    "/import",
    summary="Import past surveys from a file with a column mapping; every row accounted for",
    openapi_extra={**IMPORT_BODY, **role_doc("plan")},
    responses={200: {"description": "rows, created, duplicates, refused, and results per row"}},
    dependencies=[requires("plan")],
)
async def import_reports(
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    limits: LimitsDep,
    areas: AreasDep,
    submitter: WriterDep,
) -> Response:
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "multipart/form-data":
        raise UnsupportedMedia("Send the file and its mapping as multipart/form-data.")
    async with request.form(max_files=1, max_fields=16) as form:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise _invalid("file", "send the file to import as the `file` part")
        raw_mapping = _field(form, "mapping")
        if raw_mapping is None:
            raise _invalid("mapping", 'send the column mapping as JSON, e.g. {"preset": ...}')
        try:
            spec = orjson.loads(raw_mapping)
        except orjson.JSONDecodeError:
            raise _invalid("mapping", "is not valid JSON") from None
        mapping = mapping_from(spec)
        source = _source(form, spec)
        fmt = _field(form, "format")
        if fmt is not None and fmt not in FORMATS:
            raise _invalid("format", f"use one of {', '.join(FORMATS)}")
        layer = _field(form, "layer")
        suffix = Path(upload.filename or "upload").suffix.lower()[:10]
        handle, scratch = tempfile.mkstemp(prefix="civicmap-upload-", suffix=suffix)
        try:
            with os.fdopen(handle, "wb") as out:
                await run_in_threadpool(shutil.copyfileobj, upload.file, out)

            def run() -> ImportReport:
                return import_file(
                    engine,
                    Path(scratch),
                    mapping,
                    limits=limits,
                    max_bytes=settings.max_import_bytes,
                    areas=areas.current(),
                    submitter=submitter,
                    fmt=fmt or detect_format(upload.filename or ""),
                    layer=layer,
                    source=source,
                )

            report = await run_in_threadpool(run)
        finally:
            with contextlib.suppress(OSError):
                os.unlink(scratch)
    return FastJSONResponse(report.as_dict())
