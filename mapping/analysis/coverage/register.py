"""The official register checked by citizens: each citizen service report matched to the
register facility it describes, and each facility's state by the latest evidence.

A report is matched among the facilities of its category within `MATCH_RADIUS_M`, by a score
of name and distance, both from 0 to 1:

    name      = token-set similarity of the two names (rapidfuzz), case, punctuation and
                words any facility of its kind has ("clinic", "health centre", "CHPS") aside
    proximity = 1 - distance / MATCH_RADIUS_M
    score     = 0.6 * name + 0.4 * proximity        (a report without a name: name = 0.5)

The best candidate with a score of at least `MATCH_SCORE` is its match; a report without a name
(or only a generic one, "Clinic") thus matches only within 250 m, and one that names another
facility ("Kanania CHPS" by "Tarikum CHPS") matches at no distance. A planner's review
overrides the score: `accept` pins a report to a facility (wherever it lies), `reject` rules
the pair out; the latest decision on a pair holds.

A facility is then, by the reports matched to it:
- `reported_closed` / `reported_partly`: the latest verified report with a state says so;
- `confirmed`: a report seen within `CONFIRM_DAYS` says it works, or says nothing of its state;
- `not_seen`: otherwise, with the date it was last seen (null: never).

It counts as open for coverage unless the latest verified report says it is closed, or, with no
verified report of its state, the register does. Any public report (pending or verified) can
confirm that a facility is there and working; only verified ones change whether it is open.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, utils
from scipy.spatial import cKDTree
from sqlalchemy.engine import Connection

from mapping.analysis.coverage.nearest import EARTH_RADIUS_M, unit_vectors
from mapping.storage import register as register_store
from mapping.storage.reports import EXACT, ReportQuery

# Words that say what a facility is, not which one: "Clinic" names no clinic in particular.
GENERIC_WORDS = frozenset(
    {
        "clinic", "clinics", "hospital", "hosp", "health", "centre", "center", "chps", "cphs",
        "compound", "maternity", "home", "polyclinic", "district", "municipal", "metropolitan",
        "regional", "government", "govt", "community", "post", "rch", "the", "of", "and",
    }
)  # fmt: skip
MATCH_RADIUS_M = 1000.0
MATCH_SCORE = 0.6
NAME_WEIGHT = 0.6
CONFIRM_DAYS = 365
STATES = ("confirmed", "reported_closed", "reported_partly", "not_seen")


@dataclass(frozen=True, slots=True)
class Register:
    """Facilities (one row each, with `state`, `open`, `last_seen`, `reports`) and the citizen
    reports (with `match`: a row of the whole register, -1 for none; `score`, `distance_m`),
    each cut to the area asked for."""

    facilities: pd.DataFrame
    reports: pd.DataFrame
    method: str

    def open_points(self) -> pd.DataFrame:
        return self.facilities[self.facilities["open"]]

    def missing(self) -> pd.DataFrame:
        """Citizen reports of services that match no facility of the register."""
        return self.reports[self.reports["match"] < 0]


def check_register(
    conn: Connection,
    q: ReportQuery,
    *,
    category: str,
    area: str | None = None,
    now: datetime | None = None,
) -> Register:
    """Match the citizen reports `q` selects to the register of `category`; the facilities
    and the reports of `area`, when given.

    Matching always runs over the whole register and every report of the period: a report
    just over the border may describe a facility of the area, and a facility of the area may
    be the one a report beyond it names. Only then are both cut to the area. A planner's
    decisions on sensitive reports count only for callers who see exact places.
    """
    register = register_store.register_rows(conn, category=category)
    everywhere = replace(q, area=None, boxes=())
    evidence = register_store.evidence_rows(conn, everywhere, category=category)
    reviews = register_store.decisions(conn, sensitive=q.placement is EXACT)
    matched = match_reports(register, evidence, reviews)
    facilities = facility_states(register, matched, now=now or datetime.now(UTC))
    if area is not None:
        facilities, matched = _in_area(facilities, area), _in_area(matched, area)
    return Register(facilities, matched, _method())


def match_reports(
    register: pd.DataFrame,
    evidence: pd.DataFrame,
    reviews: Sequence[tuple[object, str, str, str]] = (),
) -> pd.DataFrame:
    """`evidence` with the register row each report matches (-1: none), its score, name
    similarity and distance."""
    out = evidence.copy()
    n = len(out)
    match = np.full(n, -1, dtype=np.int64)
    score = np.full(n, np.nan)
    similarity = np.full(n, np.nan)
    distance = np.full(n, np.nan)
    if n and len(register):
        keys = list(zip(register["source"], register["code"], strict=True))
        row_of = {k: i for i, k in enumerate(keys)}
        f_xyz = unit_vectors(register["lon"].to_numpy(float), register["lat"].to_numpy(float))
        r_xyz = unit_vectors(out["lon"].to_numpy(float), out["lat"].to_numpy(float))
        chord = 2 * np.sin(MATCH_RADIUS_M / EARTH_RADIUS_M / 2)
        candidates = cKDTree(f_xyz).query_ball_point(r_xyz, chord)
        names = register["name"].tolist()
        by_report, refused = _reviewed(reviews, row_of)
        for i, (rid, name) in enumerate(zip(out["id"], out["name"], strict=True)):
            if rid in by_report:
                j = by_report[rid]
                match[i], score[i] = j, 1.0
                similarity[i] = _or_nan(_similarity(name, names[j]))
                distance[i] = _metres(r_xyz[i], f_xyz[j])
                continue
            best: tuple[float, float, int] | None = None
            for j in candidates[i]:
                if (rid, j) in refused:
                    continue
                d = _metres(r_xyz[i], f_xyz[j])
                sim = _similarity(name, names[j])
                s = NAME_WEIGHT * (0.5 if sim is None else sim) + (1 - NAME_WEIGHT) * (
                    1 - d / MATCH_RADIUS_M
                )
                if s >= MATCH_SCORE and (best is None or (s, -d) > (best[0], -best[1])):
                    best = (s, d, j)
            if best is not None:
                score[i], distance[i], match[i] = best[0], best[1], best[2]
                similarity[i] = _or_nan(_similarity(name, names[best[2]]))
    out["match"], out["score"] = match, score
    out["name_similarity"], out["distance_m"] = similarity, distance
    return out


def facility_states(
    register: pd.DataFrame, matched: pd.DataFrame, *, now: datetime
) -> pd.DataFrame:
    """Each facility's state, whether it counts as open, when it was last seen, and how many
    reports were matched to it."""
    out = register.copy()
    n = len(out)
    state = np.full(n, "not_seen", dtype=object)
    last_seen = np.full(n, None, dtype=object)
    count = np.zeros(n, dtype=np.int64)
    is_open = (out["status"] != "closed").to_numpy(bool, copy=True) if n else np.zeros(0, bool)
    evidence = matched[matched["match"] >= 0].sort_values("observed_at", kind="stable")
    recent = pd.Timestamp(now - timedelta(days=CONFIRM_DAYS))
    latest: dict[int, str] = {}  # the latest state a verified report gives
    works: set[int] = set()  # seen recently by a report that does not say it is not working
    for j, seen, moderation, said in zip(
        evidence["match"].tolist(),
        evidence["observed_at"],
        evidence["moderation"].tolist(),
        evidence["state"].tolist(),
        strict=True,
    ):
        count[j] += 1
        last_seen[j] = seen.to_pydatetime()
        if moderation == "verified" and said:
            latest[j] = said
        if seen >= recent and said not in ("closed", "partly"):
            works.add(j)
    for j, said in latest.items():
        is_open[j] = said != "closed"
        if said in ("closed", "partly"):
            state[j] = f"reported_{said}"
    for j in works - {j for j in latest if state[j] != "not_seen"}:
        state[j] = "confirmed"
    out["state"], out["open"], out["last_seen"], out["reports"] = state, is_open, last_seen, count
    return out


def _reviewed(
    reviews: Sequence[tuple[object, str, str, str]], row_of: dict[tuple[str, str], int]
) -> tuple[dict[object, int], set[tuple[object, int]]]:
    """From decisions in the order they were made, the latest on each (report, facility) pair
    holds: the facility row each report is pinned to (of its accepted pairs, the one accepted
    last) and the pairs ruled out."""
    latest: dict[tuple[object, int], tuple[int, str]] = {}
    for order, (report_id, source, code, decision) in enumerate(reviews):
        j = row_of.get((source, code))
        if j is not None:  # else the facility is no longer in the register
            latest[(report_id, j)] = (order, decision)
    pinned: dict[object, tuple[int, int]] = {}
    refused: set[tuple[object, int]] = set()
    for (report_id, j), (order, decision) in latest.items():
        if decision == "reject":
            refused.add((report_id, j))
        elif report_id not in pinned or order > pinned[report_id][0]:
            pinned[report_id] = (order, j)
    return {r: j for r, (_, j) in pinned.items()}, refused


def _distinct(name: str) -> str:
    """The words of a name that tell one facility from another: case, apostrophes and
    punctuation aside, and without the words any facility of its kind has."""
    words = re.findall(r"\w+", name.casefold().replace("'", "").replace("\u2019", ""))
    return " ".join(w for w in words if w not in GENERIC_WORDS)


def _similarity(a: str, b: str) -> float | None:
    """How alike a report's name `a` is to a facility's `b`, 0 to 1; None when `a` names no
    facility in particular (empty, punctuation, or only words such as "Clinic")."""
    mine = _distinct(a)
    if not mine:
        return None
    theirs = _distinct(b) or b.casefold()
    return fuzz.token_set_ratio(mine, theirs, processor=utils.default_process) / 100.0


def _or_nan(value: float | None) -> float:
    return np.nan if value is None else value


def _metres(a: np.ndarray, b: np.ndarray) -> float:
    chord = float(np.linalg.norm(a - b))
    return 2.0 * np.arcsin(min(chord / 2.0, 1.0)) * EARTH_RADIUS_M


def _in_area(rows: pd.DataFrame, area: str) -> pd.DataFrame:
    """The rows (facilities or reports) that an area of any level, `area`, holds."""
    levels = [f"area_{level}" for level in range(6)]
    return rows[(rows[levels] == area).any(axis=1)].reset_index(drop=True)


def _method() -> str:
    return (
        f"Citizen service reports matched to the register facility of their category within "
        f"{MATCH_RADIUS_M:g} m (straight line) by a score of {NAME_WEIGHT:g} times name similarity "
        f"(rapidfuzz token set ratio) + {1 - NAME_WEIGHT:g} times proximity, at least "
        f"{MATCH_SCORE:g}, unless a planner's review decides; confirmed: seen within "
        f"{CONFIRM_DAYS} days; open unless the latest verified report, or else the register, "
        "says closed."
    )


def facility_features(checked: Register) -> list[dict[str, Any]]:
    """A GeoJSON Feature per register facility, with its state by the citizens' evidence."""
    out = []
    for f in checked.facilities.itertuples(index=False):
        seen = None if pd.isna(f.last_seen) else f.last_seen.date().isoformat()
        out.append(
            {
                "type": "Feature",
                "id": f"{f.source}:{f.code}",
                "geometry": {"type": "Point", "coordinates": [f.lon, f.lat]},
                "properties": {
                    "facility": f"{f.source}:{f.code}",
                    "name": f.name,
                    "type": f.type,
                    "ownership": f.ownership,
                    "register_status": f.status or None,
                    "tier": None if pd.isna(f.tier) else int(f.tier),
                    "state": f.state,
                    "open": bool(f.open),
                    "last_seen": seen,
                    "reports": int(f.reports),
                    **{f"area_{level}": getattr(f, f"area_{level}") for level in range(6)},
                },
            }
        )
    return out


def missing_features(checked: Register) -> list[dict[str, Any]]:
    """A Feature per citizen service report that matches no register facility."""
    return [
        {
            "type": "Feature",
            "id": str(r.id),
            "geometry": {"type": "Point", "coordinates": [r.lon, r.lat]},
            "properties": {
                "report": str(r.id),
                "name": r.name or None,
                "state": r.state or None,
                "moderation": r.moderation,
                "observed_at": r.observed_at.isoformat().replace("+00:00", "Z"),
            },
        }
        for r in checked.missing().itertuples(index=False)
    ]
