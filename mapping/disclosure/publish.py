"""How stored reports are shown: one code path for every output, so privacy holds everywhere.

A sensitive report is public only as its H3 cell at the public resolution (its centre stands in
for the point); reporter details never leave the server except in aggregates. Moderators and
planners get a view with exact locations.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from mapping import hexgrid
from mapping.disclosure import provenance
from mapping.storage.reports import EXACT, PUBLIC, PUBLIC_STATUSES, Placement
from mapping.storage.sources import Source


@dataclass(frozen=True, slots=True)
class View:
    """Who is looking: the public by default. Reporter details are in no view: they leave the
    server only inside aggregates."""

    public_resolution: int = 7
    exact_locations: bool = False
    moderation: bool = False

    @property
    def placement(self) -> Placement:
        """The columns every query made for this view places reports by: the only place the
        choice is made."""
        return EXACT if self.exact_locations else PUBLIC


@dataclass(frozen=True, slots=True)
class PublicPlace:
    """Where and when the public may know a report to be."""

    lon: float
    lat: float
    h3: int
    observed_at: datetime


def public_place(
    lon: float,
    lat: float,
    observed_at: datetime,
    *,
    sensitive: bool,
    resolution: int,
    cell: int | None = None,
) -> PublicPlace:
    """The public position, resolution-15 cell and observation time of a report, fixed at
    ingest: the exact ones, except for a sensitive report, which is public only as the centre
    of its cell at `resolution` (GBIF's generalisation to a grid, not jitter, so that no number
    of answers averages towards the point) and on the day it was observed. `cell` is the
    point's resolution-15 cell, when the caller has it already."""
    if cell is None:
        cell = hexgrid.cell_at(lon, lat)
    if not sensitive:
        return PublicPlace(lon, lat, cell, utc(observed_at))
    centre_lon, centre_lat = hexgrid.centre(hexgrid.parent(cell, resolution))
    day = utc(observed_at).replace(hour=0, minute=0, second=0, microsecond=0)
    return PublicPlace(centre_lon, centre_lat, hexgrid.cell_at(centre_lon, centre_lat), day)


# Quality flags that describe the exact point: the public does not see them on a sensitive
# report, whose exact point it does not see either.
EXACT_POINT_FLAGS = frozenset({"low_accuracy"})


def utc(value: datetime) -> datetime:
    """Times come back naive from SQLite; they were stored in UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def rfc3339(value: datetime) -> str:
    return utc(value).isoformat().replace("+00:00", "Z")


def report_feature(row: Mapping[Any, Any], view: View) -> dict[str, Any]:
    """A stored report row, read with `view.placement`, as a GeoJSON Feature `view` may see.

    A public row's position, cell, areas and time are its public ones already (storage read
    them with the public placement). The position of a sensitive report is generalised here
    once more all the same, which changes nothing for a public row (its centre's cell is its
    cell) and keeps an exact row read by mistake from showing its point.
    """
    cell, lon, lat = row["h3"], row["lon"], row["lat"]
    properties: dict[str, Any] = {
        "kind": row["kind"],
        "category": row["category"],
        "observed_at": rfc3339(row["observed_at"]),
        "received_at": rfc3339(row["received_at"]),
        "status": row["status"],
        "campaign": row["campaign"],
        "description": row["description"],
        "sensitive": row["sensitive"],
        "accuracy_m": row["accuracy_m"],
        "attributes": row["attributes"],
        "h3": hexgrid.to_str(cell),
        "areas": {str(level): code for level, code in _areas(row)},
        "quality": row["quality"],
        "duplicate_of": str(row["duplicate_of"]) if row["duplicate_of"] else None,
        "photos": photo_links(row, view),
    }
    if row["sensitive"] and not view.exact_locations:
        public_cell = hexgrid.parent(cell, view.public_resolution)
        lon, lat = hexgrid.centre(public_cell)
        properties["h3"] = hexgrid.to_str(public_cell)
        # Sending time follows observing time closely (volunteers send from the spot), so
        # it is published as its day, as the observation time is.
        received = utc(row["received_at"])
        properties["received_at"] = rfc3339(
            received.replace(hour=0, minute=0, second=0, microsecond=0)
        )
        properties["accuracy_m"] = None
        properties["quality"] = [f for f in row["quality"] if f not in EXACT_POINT_FLAGS]
        properties["location_generalised_to"] = f"h3 resolution {view.public_resolution}"
        properties["duplicate_of"] = None
    if view.moderation:
        properties["client_id"] = str(row["client_id"])
        properties["status_note"] = row["status_note"]
    return {
        "type": "Feature",
        "id": str(row["id"]),
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": properties,
    }


def photos_visible(row: Mapping[Any, Any], view: View) -> bool:
    """Whether `view` may see the report's photos: moderators always; others only those of a
    public report that is not sensitive (a photo can show where it was taken)."""
    if view.moderation:
        return True
    return not row["sensitive"] and row["status"] in PUBLIC_STATUSES


def photo_links(
    row: Mapping[Any, Any], view: View, *, receipt: str | None = None
) -> list[dict[str, str]]:
    """The URLs of the report's photos and their thumbnails (numbered from 1), as `view` may
    see them: none where it may not.

    With `receipt`, which the caller has checked against the report, the links are for the
    report's sender: every photo, whatever the report's status, each link carrying the receipt
    (URL-encoded) so that the photo routes let its holder look.
    """
    count = row.get("photo_count") or 0
    if not count or not (receipt or photos_visible(row, view)):
        return []
    base = f"/api/v1/reports/{row['id']}/photos"
    query = "?" + urlencode({"receipt": receipt}) if receipt else ""
    return [
        {"url": f"{base}/{n}{query}", "thumb": f"{base}/{n}/thumb{query}"}
        for n in range(1, count + 1)
    ]


def _areas(row: Mapping[Any, Any]) -> list[tuple[int, str]]:
    return [
        (int(key.removeprefix("area_")), code)
        for key, code in row.items()
        if key.startswith("area_") and code is not None
    ]


def collection_metadata(
    *,
    filters: Mapping[str, Any],
    suppression_threshold: int,
    license: str,
    method: str,
    sources: Sequence[Source] | None = None,
) -> dict[str, Any]:
    """The `metadata` member of every FeatureCollection: how the answer was made. With the
    `sources` that contributed, `license` (the installation's) becomes the answer's licence
    (mapping.disclosure.provenance.answer_license) and `sources` lists them."""
    metadata: dict[str, Any] = {
        "generated_at": rfc3339(datetime.now(UTC)),
        "filters": {k: v for k, v in filters.items() if v is not None},
        "suppression_threshold": suppression_threshold,
        "license": license,
        "method": method,
    }
    if sources is not None:
        metadata["license"] = provenance.answer_license(sources, installation_license=license)
        metadata["sources"] = provenance.as_members(sources)
    return metadata


def area_feature(area: Mapping[Any, Any]) -> dict[str, Any]:
    """A stored area as a GeoJSON Feature with its outline simplified for display."""
    return {
        "type": "Feature",
        "id": area["code"],
        "geometry": json.loads(area["display"]),
        "properties": {
            "code": area["code"],
            "name": area["name"],
            "level": area["level"],
            "parent": area["parent"],
            "updated_at": rfc3339(area["updated_at"]),
        },
    }
