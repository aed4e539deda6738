"""Every FeatureCollection as a download: `format=geojson|csv|gpkg|kml` (alias `f`).

`api.responses.feature_collection` hands a request that asks for a format to `download`, so any
endpoint that answers through it gets downloads without a line of its own; `document` finds
those endpoints when the OpenAPI document is built and describes the parameter and the media
types there. The writing itself is `mapping.export`'s; this module adds the HTTP: streaming, the
`Content-Disposition` filename, and the metadata as `X-CivicMap-*` headers (the other formats
carry it inside the file too). A CSV cannot, so it links (`Link: rel="describedby"`) to its
CSVW metadata, `format=csvw` of the same query, which carries it with the column types.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from fastapi import Request
from fastapi.responses import StreamingResponse
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.routing import BaseRoute

from mapping.errors import InvalidQuery
from mapping.export import FORMATS, Download, export_chunks

PARAMETERS = ("format", "f")
CSVW_MEDIA = "application/csvm+json"
# `json` is the ordinary answer (a page, for reports); every other value is a download.
CHOICES = ("json", *FORMATS)


def requested_format(request: Request) -> str | None:
    """The download format the request asks for, or None for the ordinary JSON answer.
    `format` wins over its alias `f` when both are given."""
    for name in PARAMETERS:
        value = request.query_params.get(name)
        if value is None:
            continue
        fmt = value.strip().lower()
        if fmt not in CHOICES:
            raise _bad(name, f"use one of {', '.join(CHOICES)}")
        return None if fmt == "json" else fmt
    return None


def _bad(name: str, msg: str) -> InvalidQuery:
    return InvalidQuery(f"Query parameter {name!r}: {msg}.", [{"loc": ["query", name], "msg": msg}])


def layer_name(request: Request) -> str:
    """The layer (and file) name of a download: its path without the API prefix."""
    path = request.url.path.removeprefix("/api/v1/").strip("/")
    return re.sub(r"[^A-Za-z0-9]+", "_", path) or "features"


def header_text(value: Any) -> str:
    """A header value: text as it is, anything else as JSON; ASCII only, as HTTP wants."""
    text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
    # h11 refuses a value with leading or trailing whitespace (a method text may end in one).
    ascii_text = text.encode("ascii", "backslashreplace").decode()
    return ascii_text.replace("\r", " ").replace("\n", " ").strip()


def metadata_headers(metadata: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, str]:
    """`X-CivicMap-Generated-At`, `-Filters`, `-Suppression-Threshold`, `-License`, `-Method`,
    and one for each other member (e.g. `X-CivicMap-Summary`)."""
    headers = {}
    for key, value in {**metadata, **extra}.items():
        name = "-".join(part.capitalize() for part in key.split("_"))
        headers[f"X-CivicMap-{name}"] = header_text(value)
    return headers


def download(
    request: Request,
    features: Iterable[Mapping[str, Any]],
    *,
    fmt: str,
    metadata: Mapping[str, Any],
    links: list[dict[str, Any]],
    extra: Mapping[str, Any] | None = None,
    column_types: Mapping[str, str] | None = None,
) -> StreamingResponse:
    """The collection as a streamed file in `fmt`, named by its path and time of making;
    `column_types` gives the types of columns that the data's own schema declares."""
    layer = layer_name(request)
    stamp = re.sub(r"[^0-9T]", "", str(metadata.get("generated_at", ""))[:19]) + "Z"
    target = FORMATS[fmt]
    filename = f"civicmap-{layer}-{stamp}.{target.extension}".replace("_", "-")
    headers = {
        "Content-Disposition": f'attachment; filename="{filename}"',
        **metadata_headers(metadata, extra or {}),
    }
    link_values = [f'<{link["href"]}>; rel="next"' for link in links if link.get("rel") == "next"]
    if fmt == "csv":
        link_values.append(f'<{csvw_url(request)}>; rel="describedby"; type="{CSVW_MEDIA}"')
    if fmt == "csvw":
        links = [*links, {"rel": "describes", "href": csv_url(request), "type": "text/csv"}]
    if link_values:
        headers["Link"] = ", ".join(link_values)
    body = export_chunks(
        fmt, Download(features, layer, metadata, links, extra or {}, column_types or {})
    )
    return StreamingResponse(body, media_type=target.media_type, headers=headers)


def _with_format(request: Request, fmt: str) -> str:
    """The request's URL asking for `fmt` (`format` wins over its alias `f`)."""
    return str(request.url.remove_query_params("f").include_query_params(format=fmt))


def csv_url(request: Request) -> str:
    """The CSV download of the same query."""
    return _with_format(request, "csv")


def csvw_url(request: Request) -> str:
    """The CSVW metadata document of the same query's CSV."""
    return _with_format(request, "csvw")


def collection_routes(routes: Iterable[BaseRoute]) -> Iterator[tuple[str, set[str]]]:
    """(path, methods) of every route that answers through `feature_collection` (which is where
    downloads are made), read from the names its endpoint's code uses, so that new endpoints
    need no marker. Included routers are walked as FastAPI itself walks them."""
    for route in iter_route_contexts(list(routes)):
        if not isinstance(route.original_route, APIRoute):
            continue
        code = getattr(route.endpoint, "__code__", None)
        if code is not None and "feature_collection" in code.co_names:
            yield str(route.path_format), set(route.methods or ())


BINARY = {"type": "string", "format": "binary"}
FORMAT_DESCRIPTION = (
    "Download the collection as a file: `geojson`, `csv`, `gpkg` (GeoPackage) or `kml`, with "
    "every attribute (nested ones as dotted columns) and a `Content-Disposition` filename; "
    "`csvw` is the CSV on the Web metadata of the `csv` download (columns, datatypes, units, "
    "method, filters, licence and sources), which the CSV links to as `describedby`; "
    "`json` (the default) is the ordinary answer."
)


def document(spec: dict[str, Any], routes: Iterable[BaseRoute]) -> None:
    """Describe `format`/`f` and the download media types on every collection endpoint."""
    for path, methods in collection_routes(routes):
        for method in methods:
            operation = spec["paths"].get(path, {}).get(method.lower())
            if operation is None:
                continue
            parameters = operation.setdefault("parameters", [])
            for name in PARAMETERS:
                parameters.append(
                    {
                        "name": name,
                        "in": "query",
                        "required": False,
                        "description": FORMAT_DESCRIPTION if name == "format" else "alias",
                        "schema": {"type": "string", "enum": list(CHOICES)},
                    }
                )
            ok = operation.setdefault("responses", {}).setdefault("200", {"description": "OK"})
            content = ok.setdefault("content", {})
            content.setdefault("application/geo+json", {"schema": {}})
            for target in FORMATS.values():
                media = target.media_type.split(";")[0]
                # CSVW metadata is JSON (a JSON-LD object); the others are files.
                schema = {"type": "object"} if media == CSVW_MEDIA else BINARY
                content.setdefault(media, {"schema": schema})
