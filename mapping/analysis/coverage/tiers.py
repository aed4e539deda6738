"""Facility tiers from a list of (region, facility name, tier), matched to the register's rows.

Ghana's tier list names facilities as the register does, give or take spelling, within the same
(pre-2019) region. A row of the list gives its tier to the register facility of that region
whose name is most similar, when the similarity (rapidfuzz's token sort ratio, case and
punctuation aside) is at least `TIER_SIMILARITY`; a facility that two rows claim takes the more
similar. Every facility without a match keeps no tier: coverage by tier measures to the
facilities whose tier is known, and says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from rapidfuzz import fuzz, process, utils

from mapping.analysis.census import name_key
from mapping.errors import InvalidInput

TIER_SIMILARITY = 90.0


@dataclass(frozen=True, slots=True)
class TierColumns:
    region: str = "Region"  # in the tier list
    name: str = "Facility Name"
    tier: str = "Tier"
    register_region: str = "Region"  # the register's own column, kept in its attributes


@dataclass(frozen=True, slots=True)
class Tiers:
    """The tier of each register row (None: not matched), and what was matched."""

    tiers: list[int | None]
    listed: int
    matched: int
    unmatched: list[str]  # rows of the tier list that match no facility, as "region: name"


def read_tiers(path: Path, columns: TierColumns) -> pd.DataFrame:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    missing = [c for c in (columns.region, columns.name, columns.tier) if c not in frame]
    if missing:
        raise InvalidInput(
            f"{path.name} has no column {', '.join(missing)}; it has {', '.join(frame.columns)}."
        )
    bad = frame[~frame[columns.tier].str.strip().str.fullmatch(r"\d")]
    if len(bad):
        raise InvalidInput(
            f"{path.name}: tier {bad[columns.tier].iloc[0]!r} on line {bad.index[0] + 2} is "
            "not a digit."
        )
    return frame


def match_tiers(rows: pd.DataFrame, listed: pd.DataFrame, columns: TierColumns) -> Tiers:
    """Give each register row (a FacilityList's rows) the tier its best-matching listed row
    gives, within its region."""
    regions = [name_key(str(a.get(columns.register_region, ""))) for a in rows["attributes"]]
    by_region: dict[str, list[int]] = {}
    for i, region in enumerate(regions):
        by_region.setdefault(region, []).append(i)
    best: dict[int, tuple[float, int]] = {}
    unmatched = []
    for region, name, tier in zip(
        listed[columns.region], listed[columns.name], listed[columns.tier], strict=True
    ):
        members = by_region.get(name_key(region), [])
        found = process.extractOne(
            name,
            [rows["name"].iloc[i] for i in members],
            scorer=fuzz.token_sort_ratio,
            processor=utils.default_process,
            score_cutoff=TIER_SIMILARITY,
        )
        if found is None:
            unmatched.append(f"{region}: {name}")
            continue
        _, score, position = found
        row = members[position]
        if row not in best or score > best[row][0]:
            best[row] = (score, int(tier))
    tiers: list[int | None] = [None] * len(rows)
    for row, (_, tier) in best.items():
        tiers[row] = tier
    return Tiers(tiers, len(listed), len(best), unmatched)
