"""Reading a JSON body by hand, with problems that say what to fix."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import Request

from api.openapi import JSON_TYPES
from mapping.errors import InvalidInput, UnsupportedMedia


async def read_json(request: Request) -> Any:
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media not in JSON_TYPES:
        raise UnsupportedMedia(
            f"Send the body as {' or '.join(JSON_TYPES)}, not {media or 'no content type'}."
        )
    raw = await request.body()
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidInput(
            f"The body is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}.",
            [{"loc": ["body"], "msg": "invalid JSON"}],
        ) from None
