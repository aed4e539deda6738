"""Request bodies that routes read themselves, still documented in `/openapi.json`.

The report routes parse their JSON by hand (a batch is checked feature by feature), so FastAPI
cannot see their models; `body(Model)` describes the body and `install` puts the models' schemas
under `components/schemas`, where the `$ref`s point.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

from api import downloads

_REF = "#/components/schemas/{model}"
_documented: list[type[BaseModel]] = []

JSON_TYPES = ("application/json", "application/geo+json")


def body(model: type[BaseModel], description: str) -> dict[str, Any]:
    """`openapi_extra` for a route whose JSON body is `model`."""
    if model not in _documented:
        _documented.append(model)
    schema = {"$ref": _REF.format(model=model.__name__)}
    return {
        "requestBody": {
            "required": True,
            "description": description,
            "content": {media: {"schema": schema} for media in JSON_TYPES},
        }
    }


def install(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        spec = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        schemas = spec.setdefault("components", {}).setdefault("schemas", {})
        for model in _documented:
            found = model.model_json_schema(ref_template=_REF)
            schemas.update(found.pop("$defs", {}))
            schemas[model.__name__] = found
        _document_problems(spec)
        downloads.document(spec, app.routes)
        app.openapi_schema = spec
        return spec

    app.openapi = openapi  # type: ignore[method-assign]


PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details",
    "required": ["type", "title", "status", "detail", "errors"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"loc": {"type": "array"}, "msg": {"type": "string"}},
            },
        },
    },
}


def _document_problems(spec: dict[str, Any]) -> None:
    """Every error is a problem document; say so once for every operation.

    FastAPI documents its own validation error shape, which this API never sends; each
    operation instead gets a `default` response of RFC 9457 problems. Operations anyone may call
    accept a key too (it widens what they see), so their Bearer security is optional.
    """
    schemas = spec["components"]["schemas"]
    schemas["Problem"] = PROBLEM_SCHEMA
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for operations in spec["paths"].values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            # An OpenRosa operation documents its own XML problems (api.routes.openrosa).
            if "422" in responses and "text/xml" not in responses["422"].get("content", {}):
                responses["422"] = {"description": "Invalid input", "content": problem}
            responses["default"] = {"description": "A problem (RFC 9457)", "content": problem}
            public = operation.get("x-civicmap-role", "").startswith("anyone")
            if public and operation.get("security"):
                operation["security"] = [{}, *operation["security"]]
