"""Beach-litter surveys longer than the API's 1000 m, split into equal parts at import.

Capping the length would overstate litter density (the items of 5 km counted over 1 km), and
refusing would lose real surveys. So a survey of L metres becomes n = ceil(L / 1000) reports of
L / n metres each; every item's count is shared out so that the parts add up exactly to the
original (items and surveyed metres both keep their totals, so items per 100 m is unchanged in
every aggregate). The parts lie evenly along the stretch from its start to its end when the
end is known, else all at the start. More than `MAX_PARTS` parts is not one survey of the
protocol (100 m or 1 km of beach) but a data error, and is refused.
"""

from __future__ import annotations

import copy
import math
import re
from typing import Any

MAX_SURVEY_M = 1000.0
MAX_PARTS = 10
# The note each part's description ends with; what tells the parts of one survey apart from
# other surveys (mapping.analysis.litter counts them as one).
_PART_NOTE = re.compile(r"(?:^| )Part \d+ of (\d+) of a (\S+) m survey, split at import\.$")


def split_survey(
    feature: dict[str, Any], *, end: tuple[float, float] | None
) -> list[dict[str, Any]]:
    """The feature itself when its survey is short enough, else its parts; ValueError when
    the survey is too long to be one."""
    attributes = feature["properties"]["attributes"]
    length = attributes.get("survey_length_m")
    if not isinstance(length, int | float) or length <= MAX_SURVEY_M:
        return [feature]
    parts = math.ceil(length / MAX_SURVEY_M)
    if parts > MAX_PARTS:
        raise ValueError(
            f"survey_length_m {length:g} would make {parts} surveys of at most "
            f"{MAX_SURVEY_M:g} m; over {MAX_PARTS * MAX_SURVEY_M:g} m is not one beach survey"
        )
    items = attributes.get("items") or {}
    shares = {
        code: _shares(count, parts, offset) for offset, (code, count) in enumerate(items.items())
    }
    start = feature["geometry"]["coordinates"]
    out = []
    for i in range(parts):
        part = copy.deepcopy(feature)
        props = part["properties"]
        props["attributes"]["survey_length_m"] = round(length / parts, 3)
        props["attributes"]["items"] = {code: s[i] for code, s in shares.items()}
        note = f"Part {i + 1} of {parts} of a {length:g} m survey, split at import."
        props["description"] = (
            f"{props['description']} {note}" if props.get("description") else note
        )
        if end is not None:
            t = (i + 0.5) / parts
            part["geometry"]["coordinates"] = [
                start[0] + t * (end[0] - start[0]),
                start[1] + t * (end[1] - start[1]),
            ]
        out.append(part)
    return out


def survey_of_part(description: str | None) -> tuple[str, int, str] | None:
    """For a part of a split survey, what its parts share: the description before the note,
    the number of parts and the length of the whole survey; None for any other report."""
    found = _PART_NOTE.search(description or "")
    if found is None:
        return None
    return (description or "")[: found.start()], int(found.group(1)), found.group(2)


def _shares(count: Any, parts: int, offset: int) -> list[Any]:
    """`count` shared among `parts` as evenly as integers allow; the remainder goes to
    different parts for different items (by `offset`), so no part gets all of it."""
    if not isinstance(count, int) or isinstance(count, bool):
        return [count] * parts  # not a count: let validation say so for every part
    base, extra = divmod(count, parts)
    return [base + (1 if (i - offset) % parts < extra else 0) for i in range(parts)]
