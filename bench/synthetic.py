"""Synthetic reports for the benchmarks: one generator of client Features, and stored rows made
only by the product's own row builder.

`features` makes report Features as a client would POST them (valid against
`mapping.schemas.ReportFeature`), of the kinds service, litter and hotspot, the same ones for the
same seed, at points drawn from `Places`: a lon/lat box or area outlines, optionally with towns
(people report where they live), facilities (services are reported at them) and a coast (litter
surveys are done on beaches). `to_rows` turns Features into rows through
`mapping.reports.rows.validate_feature` and `to_row`, and sets area codes with `place_in_areas`.

`stored_rows` is the fast way to many rows (a million for bench/aggregate.py). It builds a few
thousand template rows as above, then copies them: each copy keeps everything its template's row
says (kind, category, attributes, measures, times, flags...) and gets new `id` and `client_id`, a
new point drawn for the template's kind, and only the columns that follow from the point
recomputed with the product's own functions: `geom` (`dialect.point_ewkt`), `h3`
(`hexgrid.cells_at`), the area codes and the `outside_areas` flag (`place_in_areas`). Measures
and other columns are never derived here. `content_hash` stays the template's: it is compared
only when a client replays its own `client_id`, which no copy does. `statuses`, when given, stand
for moderation's decisions, which are no part of the row builder.
"""

from __future__ import annotations

import contextlib
import csv
import json
import random
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from mapping import hexgrid
from mapping.areas.index import AreaIndex
from mapping.disclosure.publish import public_place
from mapping.errors import InvalidInput
from mapping.reports.rows import Limits, client_id_for, place_in_areas, to_row, validate_feature
from mapping.storage import dialect
from mapping.taxonomy import HOTSPOT_THEMES, LITTER_ITEMS, LITTER_SURVEYS, SERVICE_CATEGORIES

Box = tuple[float, float, float, float]  # lon/lat: west, south, east, north

KINDS = ("service", "litter", "hotspot")
KIND_WEIGHTS = (5, 2, 3)
TEMPLATES = 3000
CHUNK = 50_000
OBSERVED_FROM = datetime(2024, 1, 1, tzinfo=UTC)
OBSERVED_SPAN_S = 2 * 365 * 24 * 3600


@dataclass(frozen=True)
class Places:
    """Where reports fall, in WGS84 lon/lat degrees.

    Points lie in `bbox`, and in `outline` when one is given. Without towns, facilities or a
    coast every point is uniform; with them services cluster at facilities and towns, litter on
    the coast (else in towns), hotspots in towns, and a share of each lies anywhere.
    """

    bbox: Box
    outline: BaseGeometry | None = None
    towns: np.ndarray | None = None  # (n, 3): lon, lat, weight; bigger towns sprawl further
    facilities: np.ndarray | None = None  # (n, 2): lon, lat
    coast: np.ndarray | None = None  # (n, 2): lon, lat
    coast_spread: tuple[float, float] = (0.003, 0.003)  # degrees: along, inland (north)


def within(area: Box | BaseGeometry | Sequence[BaseGeometry]) -> Places:
    """Uniform places over a lon/lat box or over area outlines."""
    if isinstance(area, tuple):
        return Places(bbox=area)
    outline = area if isinstance(area, BaseGeometry) else shapely.union_all(list(area))
    return Places(bbox=tuple(outline.bounds), outline=outline)  # type: ignore[arg-type]


GHANA: Box = (-3.2, 4.7, 1.2, 11.1)


def ghana() -> Places:
    """Ghana's box with its main towns and a few beaches, needing no files."""
    towns = [
        (-0.187, 5.604, 8),  # Accra
        (-1.624, 6.688, 5),  # Kumasi
        (-0.839, 9.404, 3),  # Tamale
        (-1.755, 4.899, 2),  # Sekondi-Takoradi
        (-1.246, 5.106, 2),  # Cape Coast
        (0.017, 5.669, 2),  # Tema
        (-2.329, 7.339, 1),  # Sunyani
        (0.471, 6.601, 1),  # Ho
        (-0.259, 6.094, 1),  # Koforidua
        (-0.851, 10.786, 1),  # Bolgatanga
        (-2.501, 10.060, 1),  # Wa
    ]
    beaches = [(-0.187, 5.540), (-1.246, 5.100), (-1.755, 4.890), (0.017, 5.640)]
    beaches += [(0.990, 5.910), (-2.200, 4.880), (-0.600, 5.330)]
    return Places(GHANA, None, np.array(towns, float), None, np.array(beaches), (0.05, 0.01))


def ghana_shared(data_dir: Path, outline: BaseGeometry) -> Places:
    """Ghana from the shared files: Natural Earth's towns (weighted by population), the health
    facility list and the coastline, every point kept inside `outline` (the regions)."""
    shapely.prepare(outline)
    places = json.loads((data_dir / "ne_10m_populated_places_west_africa.geojson").read_text())
    towns = np.array(
        [
            (*f["geometry"]["coordinates"][:2], float(f["properties"].get("POP_MAX") or 1) ** 0.8)
            for f in places["features"]
            if f["properties"].get("ADM0_A3") == "GHA"
        ]
    )
    facilities = []
    with (data_dir / "ghana_health_facilities.csv").open(newline="") as fh:
        for row in csv.DictReader(fh):
            with contextlib.suppress(ValueError):  # some rows have no coordinates
                facilities.append((float(row["Longitude"]), float(row["Latitude"])))
    fac = np.array(facilities)
    fac = fac[shapely.contains_xy(outline, fac[:, 0], fac[:, 1])]
    coast_file = json.loads((data_dir / "ne_10m_coastline_ghana.geojson").read_text())
    coast = shapely.get_coordinates(
        shapely.union_all([shapely.geometry.shape(f["geometry"]) for f in coast_file["features"]])
    )
    return Places(tuple(outline.bounds), outline, towns, fac, coast)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# Points
# ---------------------------------------------------------------------------------------------


def points(places: Places, kinds: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """(n, 2) lon/lat for reports of `kinds` (indexes into KINDS), six decimals as from GPS."""
    u = rng.random(len(kinds))
    service, litter, hotspot = kinds == 0, kinds == 1, kinds == 2
    none = np.zeros(len(kinds), bool)
    has_fac = places.facilities is not None
    at_facility = service & (u < 0.5) if has_fac else none
    on_coast = litter if places.coast is not None else none
    in_town = none
    if places.towns is not None:
        town_service = service & ~at_facility & (u < (0.9 if has_fac else 0.7))
        in_town = town_service | (hotspot & (u < 0.7)) | (litter & ~on_coast)
    out = np.empty((len(kinds), 2))
    for where, draw in (
        (at_facility, _near_facilities),
        (in_town, _near_towns),
        (on_coast, _on_coast),
        (~(at_facility | in_town | on_coast), _uniform),
    ):
        out[where] = _inside(places, int(where.sum()), lambda n, d=draw: d(places, n, rng))
    return np.round(out, 6)


def _near_facilities(places: Places, n: int, rng: np.random.Generator) -> np.ndarray:
    fac = places.facilities
    assert fac is not None
    return fac[rng.integers(len(fac), size=n)] + rng.normal(0, 0.004, (n, 2))


def _near_towns(places: Places, n: int, rng: np.random.Generator) -> np.ndarray:
    towns = places.towns
    assert towns is not None
    pick = rng.choice(len(towns), size=n, p=towns[:, 2] / towns[:, 2].sum())
    sigma = 0.02 + 0.06 * np.sqrt(towns[pick, 2] / towns[:, 2].max())
    return towns[pick, :2] + rng.normal(0, 1, (n, 2)) * sigma[:, None]


def _on_coast(places: Places, n: int, rng: np.random.Generator) -> np.ndarray:
    coast = places.coast
    assert coast is not None
    along, inland = places.coast_spread
    spread = np.column_stack([rng.normal(0, along, n), np.abs(rng.normal(0, inland, n))])
    return coast[rng.integers(len(coast), size=n)] + spread


def _uniform(places: Places, n: int, rng: np.random.Generator) -> np.ndarray:
    x0, y0, x1, y1 = places.bbox
    return np.column_stack([rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)])


def _inside(places: Places, n: int, draw: Any) -> np.ndarray:
    """`n` points of `draw` kept in the box and the outline: a coastal town's sprawl must not
    put reports in the sea, where they would be `outside_areas`."""
    kept: list[np.ndarray] = []
    have = 0
    x0, y0, x1, y1 = places.bbox
    while have < n:
        xy = draw(2 * (n - have) + 8)
        ok = (xy[:, 0] >= x0) & (xy[:, 0] <= x1) & (xy[:, 1] >= y0) & (xy[:, 1] <= y1)
        if places.outline is not None:
            ok &= shapely.contains_xy(places.outline, xy[:, 0], xy[:, 1])
        kept.append(xy[ok])
        have += int(ok.sum())
    return np.concatenate(kept)[:n] if kept else np.empty((0, 2))


# ---------------------------------------------------------------------------------------------
# Features
# ---------------------------------------------------------------------------------------------

CAMPAIGNS = ("accra-clinics-2025", "beach-watch-gh", "water-points-north", "flood-watch-2025")
DESCRIPTIONS = (
    "Long queue in the morning; staff were helpful once we were seen.",
    "The borehole works but the pump handle is loose.",
    "Drains blocked with plastic after the rains, water stands for days.",
    "Toilet block closed since last month, people use the bush behind the market.",
    "Mostly sachet water bags and bottle caps along the high-tide line.",
    "Streetlight out near the junction, unsafe after dark.",
)
SERVICE_NAMES = ("Polyclinic", "CHPS compound", "Basic School", "Borehole", "Central Market")
ASPECTS = ("access", "affordability", "quality", "equal_treatment", "courtesy", "timeliness")
SEXES = ("female", "male", "other", "undisclosed")
AGE_GROUPS = ("0-14", "15-24", "25-44", "45-64", "65+")
SENSITIVE_THEMES = ("discrimination", "safety")
CATEGORIES = {
    "service": [c.code for c in SERVICE_CATEGORIES],
    "litter": [c.code for c in LITTER_SURVEYS],
    "hotspot": [c.code for c in HOTSPOT_THEMES],
}
LITTER_CODES = [item.code for item in LITTER_ITEMS]


def features(
    count: int, *, seed: int, places: Places, kind_weights: Sequence[float] = KIND_WEIGHTS
) -> list[dict[str, Any]]:
    """`count` valid report Features (GeoJSON dicts, lon first), the same for the same seed."""
    rng = random.Random(seed)
    kinds = np.array(rng.choices(range(len(KINDS)), weights=kind_weights, k=count), dtype=int)
    coordinates = points(places, kinds, np.random.default_rng(seed)).tolist()
    return [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": xy},
            "properties": _properties(rng, KINDS[k]),
        }
        for k, xy in zip(kinds.tolist(), coordinates, strict=True)
    ]


def _properties(rng: random.Random, kind: str) -> dict[str, Any]:
    category = rng.choice(CATEGORIES[kind])
    observed = OBSERVED_FROM + timedelta(seconds=rng.randrange(OBSERVED_SPAN_S))
    props: dict[str, Any] = {
        "kind": kind,
        "category": category,
        "observed_at": observed.isoformat(),
        # From the seeded generator (not uuid4), so that a run can be repeated exactly.
        "client_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "attributes": _attributes(rng, kind, category),
    }
    if rng.random() < 0.85:
        # Mostly a few metres, with a tail past the low-accuracy flag (500 m).
        props["accuracy_m"] = round(min(max(rng.lognormvariate(2.5, 1.2), 1), 10_000), 1)
    if rng.random() < 0.3:
        props["campaign"] = rng.choice(CAMPAIGNS)
    if rng.random() < 0.5:
        props["description"] = rng.choice(DESCRIPTIONS)
    if rng.random() < (0.3 if category in SENSITIVE_THEMES else 0.03):
        props["sensitive"] = True
    if rng.random() < 0.7:
        props["reporter"] = {
            "sex": rng.choice(SEXES),
            "age_group": rng.choice(AGE_GROUPS),
            "disability": rng.random() < 0.1,
        }
    return props


def _attributes(rng: random.Random, kind: str, category: str) -> dict[str, Any]:
    if kind == "service":
        attributes: dict[str, Any] = {
            "name": f"{rng.choice(SERVICE_NAMES)} {rng.randint(1, 400)}",
            "status": rng.choices(["operational", "partly", "closed"], weights=[7, 2, 1])[0],
        }
        if rng.random() < 0.9:
            attributes["satisfaction"] = rng.randint(1, 4)
        if aspects := rng.sample(ASPECTS, rng.randint(0, 4)):
            attributes["aspects"] = {a: rng.randint(1, 4) for a in aspects}
        return attributes
    if kind == "litter":
        codes = rng.sample(LITTER_CODES, rng.randint(3, 15))
        return {
            # OSPAR monitoring surveys a 100 m stretch; clean-ups and sightings vary.
            "survey_length_m": 100 if category == "monitoring" else round(rng.uniform(5, 1000), 1),
            "items": {code: int(rng.expovariate(1 / 25)) for code in codes},
        }
    attributes = {"severity": rng.randint(1, 5)}
    if rng.random() < 0.8:
        attributes["people_affected"] = int(rng.expovariate(1 / 300))
    return attributes


# ---------------------------------------------------------------------------------------------
# Rows, through the product's builder
# ---------------------------------------------------------------------------------------------


def to_rows(
    feats: Sequence[dict[str, Any]],
    *,
    index: AreaIndex | None = None,
    received_at: datetime | None = None,
    submitter: str | None = None,
) -> list[dict[str, Any]]:
    """The rows ingest would store for `feats`: validate_feature, to_row, place_in_areas."""
    limits, now = Limits(), received_at or datetime.now(UTC)
    rows = []
    for number, feature in enumerate(feats):
        try:
            report = validate_feature(feature, limits=limits, now=now)
        except InvalidInput as exc:  # the generator is wrong, not the service
            raise SystemExit(f"synthetic feature {number} is invalid: {exc.errors}") from None
        cid = client_id_for(report, None)
        rows.append(
            to_row(report, client_id=cid, received_at=now, limits=limits, submitter=submitter)
        )
    points = [f["geometry"]["coordinates"] for f in feats]
    place_in_areas(rows, points, index, public_resolution=limits.public_resolution)
    return rows


def copies(
    templates: Sequence[dict[str, Any]],
    count: int,
    *,
    seed: int,
    places: Places,
    index: AreaIndex | None = None,
    chunk: int = CHUNK,
    statuses: dict[str, float] | None = None,
) -> Iterator[list[dict[str, Any]]]:
    """`count` copies of template rows in chunks, each at a new point (see the module's doc)."""
    rng = np.random.default_rng(seed)
    resolution = Limits().public_resolution
    kind_of = np.array([KINDS.index(t["kind"]) for t in templates])
    names, shares = zip(*(statuses or {"pending": 1.0}).items(), strict=True)
    for start in range(0, count, chunk):
        n = min(chunk, count - start)
        pick = rng.integers(len(templates), size=n)
        xy = points(places, kind_of[pick], rng).tolist()
        lons, lats = [p[0] for p in xy], [p[1] for p in xy]
        cells = hexgrid.cells_at(lons, lats)
        ids, client_ids = rng.bytes(16 * n), rng.bytes(16 * n)
        record_keys = rng.integers(0, 256, size=n)
        status = rng.choice(len(names), size=n, p=shares).tolist() if statuses else None
        rows = []
        for i, t in enumerate(pick.tolist()):
            row = dict(templates[t])
            row["id"] = uuid.UUID(bytes=ids[16 * i : 16 * i + 16], version=4)
            row["client_id"] = uuid.UUID(bytes=client_ids[16 * i : 16 * i + 16], version=4)
            row["geom"] = row["public_geom"] = dialect.point_ewkt(lons[i], lats[i])
            row["h3"] = row["public_h3"] = cells[i]
            row["record_key"] = int(record_keys[i])
            if row["sensitive"]:
                public = public_place(
                    lons[i], lats[i], row["observed_at"], sensitive=True, resolution=resolution
                )
                row["public_geom"] = dialect.point_ewkt(public.lon, public.lat)
                row["public_h3"] = public.h3
                row["public_observed_at"] = public.observed_at
            row["quality"] = [q for q in row["quality"] if q != "outside_areas"]
            if status is not None:
                row["status"] = names[status[i]]
            rows.append(row)
        place_in_areas(rows, xy, index, public_resolution=resolution)
        yield rows


def stored_rows(
    count: int,
    *,
    seed: int,
    places: Places,
    index: AreaIndex | None = None,
    templates: int = TEMPLATES,
    chunk: int = CHUNK,
    statuses: dict[str, float] | None = None,
    kind_weights: Sequence[float] = KIND_WEIGHTS,
) -> Iterator[list[dict[str, Any]]]:
    """`count` rows in chunks: built one by one up to `templates`, copied beyond."""
    feats = features(min(count, templates), seed=seed, places=places, kind_weights=kind_weights)
    made = to_rows(feats, index=index)
    if count > len(made):
        yield from copies(
            made, count, seed=seed, places=places, index=index, chunk=chunk, statuses=statuses
        )
        return
    if statuses:
        _moderate(made, statuses, seed)
    for start in range(0, len(made), chunk):
        yield made[start : start + chunk]


def _moderate(rows: list[dict[str, Any]], statuses: dict[str, float], seed: int) -> None:
    rng = np.random.default_rng(seed)
    names = list(statuses)
    drawn = rng.choice(len(names), size=len(rows), p=list(statuses.values())).tolist()
    for row, s in zip(rows, drawn, strict=True):
        row["status"] = names[s]
