"""Query parameters of the OGC API - Features endpoint: which ones each operation takes,
the bbox with its CRS, and the paging links.

OGC Core (`/req/core/query-param-unknown`) wants a parameter an operation does not know
answered with a 400 rather than ignored: a client that sends `kind=litter` or `crs=...` to a
server that ignores it takes the full, unfiltered answer for the one it asked for.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any

from fastapi import Query, Request

from api import params
from mapping.errors import InvalidQuery
from mapping.standards import ogc_crs

# What every operation takes: the encoding.
COMMON_PARAMS = frozenset({"f"})
# What /collections/{id}/items takes, whatever the collection (api.routes.ogc.allowed_params
# adds what a collection takes of its own).
ITEMS_PARAMS = COMMON_PARAMS | {"bbox", "bbox-crs", "crs", "datetime", "limit", "offset", "cursor"}
# What /collections/{id}/items/{fid} takes.
ITEM_PARAMS = COMMON_PARAMS | {"crs"}

CrsParam = Annotated[
    str | None,
    Query(
        description="the CRS of the answer's coordinates, as a URI from the collection's `crs` "
        "list (default CRS84, lon/lat); EPSG:4326 comes lat/lon",
    ),
]
BboxCrsParam = Annotated[
    str | None,
    Query(
        alias="bbox-crs",
        description="the CRS of `bbox`, as a URI from the collection's `crs` list (default "
        "CRS84); in EPSG:4326 the bbox is minLat,minLon,maxLat,maxLon",
    ),
]


def reject_unknown(request: Request, allowed: Iterable[str]) -> None:
    """InvalidQuery (400) naming every query parameter of `request` not in `allowed`."""
    known = set(allowed)
    unknown = sorted({name for name in request.query_params if name not in known})
    if not unknown:
        return
    names = ", ".join(repr(n) for n in unknown)
    takes = ", ".join(sorted(known))
    raise InvalidQuery(
        f"Unknown query parameter {names}: this operation takes {takes}.",
        [{"loc": ["query", n], "msg": f"unknown parameter; use any of {takes}"} for n in unknown],
    )


def boxes(bbox: str | None, bbox_crs: str | None, offered: list[str]) -> list[params.Box]:
    """The WGS84 boxes a `bbox` in `bbox-crs` (4 or 6 numbers, in that CRS's axis order)
    selects; a `bbox-crs` must be one of `offered` even without a bbox."""
    crs = ogc_crs.choose(bbox_crs, offered, "bbox-crs")
    if bbox is None:
        return []
    corners = params.bbox_numbers(bbox)
    return params.lonlat_boxes(ogc_crs.box_to_crs84(corners, crs))


def content_crs(crs: str) -> dict[str, str]:
    """The header that says which CRS the coordinates of an answer are in (Part 2)."""
    return {"Content-Crs": f"<{crs}>"}


def paging_links(
    request: Request,
    *,
    next_cursor: str | None,
    next_offset: int | None,
    offset: int,
    limit: int,
    link: Any,
    media: str,
) -> list[dict[str, Any]]:
    """`next` (by cursor or offset) and, for a page reached by offset, `prev`."""
    kept = request.url.remove_query_params(["cursor", "offset"])
    links = []
    if next_cursor is not None:
        links.append(
            link(str(kept.include_query_params(cursor=next_cursor)), "next", media, "next page")
        )
    elif next_offset is not None:
        links.append(
            link(str(kept.include_query_params(offset=next_offset)), "next", media, "next page")
        )
    if offset > 0:
        previous = kept.include_query_params(offset=max(offset - limit, 0))
        links.append(link(str(previous), "prev", media, "previous page"))
    return links
