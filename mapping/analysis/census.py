"""Census margins: reading them from a table of any shape, and comparing respondents with them.

A census table names its areas as the statistics office spells them ("Greater Accra"), which
need not be how the boundary file does ("Greater Accra Region"). Rows are matched to stored
areas by code first, then by name with case, punctuation and the words region, district,
municipal and metropolitan ignored. Rows of one area are summed, so a table by district gives
the margins of its regions. An import is all or nothing: a row that matches no area, or
matches two, stops it with the names listed.

Who is missing (the Copenhagen Framework's inclusiveness check): per area, the share of
respondents in each group beside the group's share of the population, and their ratio. The
respondents are the 16.6.2 contributors as published (through the cell key method); those who
did not state the dimension are left out of the shares and counted apart.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy.engine import Connection

from mapping.errors import InvalidInput
from mapping.storage import areas as area_store

DIMENSIONS = ("sex", "age_group", "disability")
IGNORED_WORDS = {"region", "district", "municipal", "metropolitan", "the"}


def name_key(name: str) -> str:
    words = re.findall(r"[a-z0-9]+", name.casefold())
    return " ".join(w for w in words if w not in IGNORED_WORDS)


def read_margins(
    conn: Connection,
    path: Path,
    *,
    level: int,
    area_column: str,
    groups: Mapping[str, str],
    skip_blank: bool = False,
) -> tuple[dict[str, dict[str, int]], list[str]]:
    """Area code -> group -> population from the CSV at `path`: `area_column` holds an area's
    code or name, and `groups` maps each group to the column of its count. With
    `skip_blank`, a row whose counts are all blank is left out and listed (second value)."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in (area_column, *groups.values()) if c not in frame.columns]
    if missing:
        raise InvalidInput(
            f"{path.name} has no column {', '.join(missing)}; it has {', '.join(frame.columns)}."
        )
    codes, by_name = _area_keys(conn, level)
    out: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    problems: list[str] = []
    skipped: list[str] = []
    for line, row in enumerate(frame.to_dict("records"), start=2):
        label = row[area_column].strip()
        if skip_blank and all(not row[c].strip() for c in groups.values()):
            skipped.append(f"line {line} ({label})")
            continue
        matches = [label] if label in codes else by_name.get(name_key(label), [])
        if len(matches) != 1:
            why = "matches no" if not matches else f"matches {len(matches)}"
            problems.append(f"line {line}: {label!r} {why} level-{level} area")
            continue
        for grp, column in groups.items():
            value = row[column].replace(",", "").strip()
            if not value.isdigit():
                problems.append(f"line {line}: {column} {row[column]!r} is not a count")
                continue
            out[matches[0]][grp] += int(value)
    if problems:
        shown = "; ".join(problems[:10])
        more = f" (and {len(problems) - 10} more)" if len(problems) > 10 else ""
        raise InvalidInput(f"Nothing imported: {shown}{more}.")
    return {code: dict(g) for code, g in out.items()}, skipped


def _area_keys(conn: Connection, level: int) -> tuple[set[str], dict[str, list[str]]]:
    listed = area_store.list_areas(conn, level=level)
    if not listed:
        raise InvalidInput(f"No areas of level {level} are stored; import them first.")
    by_name: dict[str, list[str]] = defaultdict(list)
    for a in listed:
        by_name[name_key(a["name"])].append(a["code"])
    return {a["code"] for a in listed}, dict(by_name)


def representation(
    published: Mapping[str, Mapping[str, Any]], population: Mapping[str, int], source: str
) -> dict[str, Any]:
    """Respondents per group (the published `by_` cells of one dimension) against the
    population per group."""
    total_pop = sum(population.values())
    stated = {g: cell.get("n") for g, cell in published.items() if g in population}
    known = [n for n in stated.values() if n is not None]
    respondents = sum(known) if len(known) == len(stated) else None
    groups: list[dict[str, Any]] = []
    for grp, pop in sorted(population.items()):
        n = stated.get(grp, 0)
        share = n / respondents if respondents and n is not None else None
        pop_share = pop / total_pop if total_pop else None
        groups.append(
            {
                "group": grp,
                "respondents": n,
                "respondent_share": None if share is None else round(share, 4),
                "population": pop,
                "population_share": None if pop_share is None else round(pop_share, 4),
                "ratio": round(share / pop_share, 3) if share is not None and pop_share else None,
            }
        )
    others = [cell.get("n") for g, cell in published.items() if g not in population]
    return {
        "groups": groups,
        "not_compared": None if None in others else sum(n or 0 for n in others),
        "source": source,
    }


def representation_table(
    margins: Mapping[str, Mapping[str, tuple[dict[str, int], str]]],
    code: str,
    satisfaction: Mapping[str, Any],
) -> dict[str, Any] | None:
    """The `representativeness` member of one area: per dimension with margins (dimension ->
    area code -> (group -> population, source)), its comparison; None without any."""
    out = {
        dimension: representation(satisfaction[f"by_{dimension}"], *by_area[code])
        for dimension, by_area in margins.items()
        if code in by_area
    }
    return out or None


def parse_groups(pairs: Sequence[str]) -> dict[str, str]:
    """`female=female_2021` pairs as group -> column; a bare name is both."""
    out = {}
    for pair in pairs:
        grp, _, column = pair.partition("=")
        out[grp.strip()] = (column or grp).strip()
    return out
