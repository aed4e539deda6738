"""Demo data, clearly labelled: synthetic reports of all three kinds inside real areas.

Everything made here carries the campaign `demo` (stored as a demo campaign) and a description
that says it is synthetic. Client ids derive from the seed, so running the demo again adds
nothing. Besides reports, the demo records observer visits (walks along the coast, stops in
towns), so the map can show where people looked and found nothing.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import shapely
import shapely.ops
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from mapping.taxonomy import HOTSPOT_THEMES, LITTER_ITEMS, SERVICE_CATEGORIES

DEMO_CAMPAIGN = "demo"
DEMO_TITLE = "Demo data: synthetic reports, not real observations"
DEMO_NAMESPACE = uuid.UUID("0d3e5c52-57c5-4b2b-9a53-5f8f2e3c7a10")
LABEL = "Demo data (synthetic): "

# Where the demo's hotspot reports concentrate, so hotspot analysis has something to find.
HOTSPOT_CENTRES = (
    ("flooding", -0.2135, 5.5560, 0.03),  # Odaw basin, Accra
    ("waste_dumping", -1.6230, 6.6950, 0.03),  # Kumasi
    ("water", -0.8430, 9.4000, 0.05),  # Tamale
)


@dataclass(frozen=True, slots=True)
class Town:
    name: str
    lon: float
    lat: float
    population: float


def read_towns(path: Path, country: str = "GHA") -> list[Town]:
    """Natural Earth populated places of `country`, to cluster reports where people live."""
    data = json.loads(path.read_text())
    return [
        Town(
            p["NAME"],
            f["geometry"]["coordinates"][0],
            f["geometry"]["coordinates"][1],
            float(p.get("POP_MAX") or 1),
        )
        for f in data["features"]
        if (p := f["properties"]).get("ADM0_A3") == country
    ]


def read_coast(path: Path) -> BaseGeometry:
    data = json.loads(path.read_text())
    return shapely.union_all([shape(f["geometry"]) for f in data["features"]])


class _Sampler:
    def __init__(self, land: BaseGeometry, rng: np.random.Generator) -> None:
        self.land, self.rng = land, rng
        shapely.prepare(land)

    def near(self, lon: float, lat: float, sigma: float) -> tuple[float, float]:
        """A point on land about `sigma` degrees from (lon, lat)."""
        for _ in range(200):
            x, y = lon + self.rng.normal(0, sigma), lat + self.rng.normal(0, sigma)
            if self.land.contains(shapely.Point(x, y)):
                return round(x, 6), round(y, 6)
        return self.anywhere()

    def in_a_town(self, towns: Sequence[Town], weights: np.ndarray) -> tuple[float, float]:
        """A point near one of `towns`, chosen by `weights`; anywhere when there are none."""
        if not len(towns):
            return self.anywhere()
        town = towns[self.rng.choice(len(towns), p=weights / weights.sum())]
        return self.near(town.lon, town.lat, 0.08)

    def anywhere(self) -> tuple[float, float]:
        minx, miny, maxx, maxy = self.land.bounds
        while True:
            x, y = self.rng.uniform(minx, maxx), self.rng.uniform(miny, maxy)
            if self.land.contains(shapely.Point(x, y)):
                return round(x, 6), round(y, 6)

    def on_coast(self, coast: BaseGeometry) -> tuple[float, float]:
        for _ in range(200):
            p = coast.interpolate(self.rng.uniform(0, coast.length))
            x, y = p.x + self.rng.normal(0, 0.002), p.y + abs(self.rng.normal(0, 0.002))
            if self.land.contains(shapely.Point(x, y)):
                return round(x, 6), round(y, 6)
        return self.anywhere()


def synthetic_reports(
    areas: Sequence[BaseGeometry],
    *,
    count: int,
    seed: int = 7,
    towns: Sequence[Town] = (),
    coast: BaseGeometry | None = None,
    now: datetime | None = None,
) -> list[dict[str, Any]]:
    """`count` report Features inside `areas`: services clustered in towns, litter surveys on
    the coast, hotspots around a few centres and scattered elsewhere."""
    rng = np.random.default_rng(seed)
    now = now or datetime.now(UTC)
    sampler = _Sampler(shapely.union_all(list(areas)), rng)
    weights = np.sqrt([t.population for t in towns]) if towns else np.ones(0)
    services = [c.code for c in SERVICE_CATEGORIES if c.code != "other"]
    plastic = [i.code for i in LITTER_ITEMS if i.material == "plastic"][:30]
    other_items = [i.code for i in LITTER_ITEMS if i.material != "plastic"][:20]
    features = []
    for i in range(count):
        kind = rng.choice(["service", "litter", "hotspot"], p=[0.55, 0.15, 0.30])
        if kind == "service":
            lon, lat = sampler.in_a_town(towns, weights)
            category = str(rng.choice(services))
            satisfaction = int(rng.choice([1, 2, 3, 4], p=[0.12, 0.23, 0.45, 0.20]))
            attributes: dict[str, Any] = {
                "name": f"{category.replace('_', ' ').title()} {i}",
                "status": str(rng.choice(["operational", "partly", "closed"], p=[0.8, 0.15, 0.05])),
                "satisfaction": satisfaction,
                "aspects": {
                    "courtesy": int(rng.integers(1, 5)),
                    "timeliness": int(rng.integers(1, 5)),
                },
            }
        elif kind == "litter":
            lon, lat = sampler.on_coast(coast) if coast is not None else sampler.anywhere()
            category = "monitoring"
            codes = (
                rng.choice(plastic, 6, replace=False).tolist()
                + rng.choice(other_items, 2, replace=False).tolist()
            )
            attributes = {
                "survey_length_m": 100,
                "items": {c: int(rng.integers(1, 60)) for c in codes},
            }
        else:
            if rng.random() < 0.6:
                category, x, y, sigma = HOTSPOT_CENTRES[rng.integers(len(HOTSPOT_CENTRES))]
                lon, lat = sampler.near(x, y, sigma)
                severity = int(rng.integers(3, 6))
            else:
                category = str(rng.choice([t.code for t in HOTSPOT_THEMES]))
                lon, lat = sampler.anywhere()
                severity = int(rng.integers(1, 4))
            attributes = {"severity": severity, "people_affected": int(rng.integers(0, 500))}
        observed = now - timedelta(days=float(rng.uniform(1, 365)))
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [lon, lat]},
                "properties": {
                    "kind": str(kind),
                    "category": category,
                    "observed_at": observed.isoformat(timespec="seconds"),
                    "client_id": str(uuid.uuid5(DEMO_NAMESPACE, f"{seed}:{i}")),
                    "campaign": DEMO_CAMPAIGN,
                    "description": f"{LABEL}{kind} report {i}",
                    "accuracy_m": float(round(rng.uniform(3, 60), 1)),
                    "reporter": _reporter(rng),
                    "attributes": attributes,
                },
            }
        )
    return features


def synthetic_visits(
    areas: Sequence[BaseGeometry],
    *,
    count: int,
    seed: int = 7,
    towns: Sequence[Town] = (),
    coast: BaseGeometry | None = None,
    now: datetime | None = None,
) -> list[dict[str, Any]]:
    """`count` effort Features inside `areas`: litter walks of 0.5 to 3 km along the coast
    (most of the coast walked finds nothing the litter reports record), and stops by people
    rating services or checking hotspots, in towns or anywhere."""
    rng = np.random.default_rng([seed, 1])
    now = now or datetime.now(UTC)
    sampler = _Sampler(shapely.union_all(list(areas)), rng)
    weights = np.sqrt([t.population for t in towns]) if towns else np.ones(0)
    lines = list(getattr(coast, "geoms", [coast])) if coast is not None else []
    lengths = np.array([line.length for line in lines])
    visits = []
    for i in range(count):
        started = now - timedelta(days=float(rng.uniform(1, 365)))
        if lines and rng.random() < 0.6:
            kind = "litter"
            line = lines[rng.choice(len(lines), p=lengths / lengths.sum())]
            walk = float(rng.uniform(0.005, 0.027))  # 0.5 to 3 km, in degrees near the equator
            start = float(rng.uniform(0, max(line.length - walk, 0)))
            track = shapely.ops.substring(line, start, start + walk)
            coords = [[round(x, 6), round(y, 6)] for x, y in track.coords]
            geometry: dict[str, Any] = (
                {"type": "LineString", "coordinates": coords}
                if len(coords) > 1
                else {"type": "Point", "coordinates": coords[0]}
            )
            minutes = 20 + 25 * walk / 0.009  # about 25 minutes a kilometre
        else:
            kind = str(rng.choice(["service", "hotspot"]))
            lon, lat = sampler.in_a_town(towns, weights)
            geometry = {"type": "Point", "coordinates": [lon, lat]}
            minutes = float(rng.uniform(5, 60))
        visits.append(
            {
                "type": "Feature",
                "geometry": geometry,
                "properties": {
                    "kind": kind,
                    "campaign": DEMO_CAMPAIGN,
                    "started_at": started.isoformat(timespec="seconds"),
                    "ended_at": (started + timedelta(minutes=minutes)).isoformat(
                        timespec="seconds"
                    ),
                    "client_id": str(uuid.uuid5(DEMO_NAMESPACE, f"{seed}:visit:{i}")),
                },
            }
        )
    return visits


def _reporter(rng: np.random.Generator) -> dict[str, Any]:
    return {
        "sex": str(
            rng.choice(["female", "male", "other", "undisclosed"], p=[0.5, 0.45, 0.02, 0.03])
        ),
        "age_group": str(
            rng.choice(["15-24", "25-44", "45-64", "65+"], p=[0.25, 0.45, 0.22, 0.08])
        ),
        "disability": bool(rng.random() < 0.1),
    }


def synthetic_register_checks(
    register: Sequence[tuple[str, float, float]],
    *,
    count: int,
    seed: int = 7,
    now: datetime | None = None,
) -> list[dict[str, Any]]:
    """`count` synthetic citizen reports on real register facilities (name, lon, lat): each a
    visit within 300 m of one, naming it as a visitor might (sometimes misspelt, sometimes
    not at all), and saying whether it works. About one in ten says it is closed or partly
    working, so the register check has something to show."""
    rng = np.random.default_rng([seed, 2])
    now = now or datetime.now(UTC)
    picked = rng.choice(len(register), size=min(count, len(register)), replace=False)
    features = []
    for i, j in enumerate(picked.tolist()):
        name, lon, lat = register[j]
        bearing, metres = rng.uniform(0, 2 * np.pi), rng.uniform(5, 300)
        dlat = metres * np.cos(bearing) / 111_320
        dlon = metres * np.sin(bearing) / (111_320 * np.cos(np.radians(lat)))
        said = rng.random()
        attributes: dict[str, Any] = {
            "status": str(rng.choice(["operational", "partly", "closed"], p=[0.9, 0.06, 0.04])),
            "satisfaction": int(rng.choice([1, 2, 3, 4], p=[0.12, 0.23, 0.45, 0.20])),
        }
        if said < 0.75:
            attributes["name"] = name
        elif said < 0.9:
            attributes["name"] = _misspelt(name, rng)
        observed = now - timedelta(days=float(rng.uniform(1, 500)))
        features.append(
            {
                "type": "Feature",
                "geometry": {
                    "type": "Point",
                    "coordinates": [round(lon + dlon, 6), round(lat + dlat, 6)],
                },
                "properties": {
                    "kind": "service",
                    "category": "health_facility",
                    "observed_at": observed.isoformat(timespec="seconds"),
                    "client_id": str(uuid.uuid5(DEMO_NAMESPACE, f"{seed}:register:{i}")),
                    "campaign": DEMO_CAMPAIGN,
                    "description": f"{LABEL}a visit to a facility of the register",
                    "accuracy_m": float(round(rng.uniform(3, 30), 1)),
                    "attributes": attributes,
                },
            }
        )
    return features


def _misspelt(name: str, rng: np.random.Generator) -> str:
    """`name` as someone might type it in a hurry: lower case, one letter dropped."""
    if len(name) < 4:
        return name.lower()
    k = int(rng.integers(1, len(name) - 1))
    return (name[:k] + name[k + 1 :]).lower()
