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
        app.openapi_schema = spec
        return spec

    app.openapi = openapi  # type: ignore[method-assign]
