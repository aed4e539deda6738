"""The sources imports record: known ones (what presets and the demo name), and one made of
what an import was told (`--source`, `--license` and so on, or the HTTP import's form fields).

Licences are SPDX ids (`CC-BY-4.0`); None, or a text such as "not stated", means the source
states none, which downloads then say.
"""

from __future__ import annotations

import re
from dataclasses import replace

from mapping.errors import InvalidInput
from mapping.storage.sources import Source

EEA_LITTERWATCH = Source(
    "eea-litterwatch",
    "EEA Marine LitterWatch",
    "CC-BY-4.0",
    "© European Environment Agency (EEA)",
    "https://www.eea.europa.eu/themes/water/europes-seas-and-coasts/assessments/marine-litterwatch",
)
GHANA_HEALTH_FACILITIES = Source(
    "ghana-health-facilities",
    "Ghana health facilities (Ghana Open Data Initiative, 2016)",
    None,
    "Ghana Open Data Initiative / Ghana Health Service",
    "https://data.gov.gh/dataset/health-facilities",
)
WORLDPOP_2020 = Source(
    "worldpop-2020",
    "WorldPop 2020 population count, 1 km, UN-adjusted (Ghana)",
    "CC-BY-4.0",
    "WorldPop (www.worldpop.org)",
    "https://www.worldpop.org/",
)
# By source id; a facility list of one of these names records it unless told otherwise.
KNOWN: dict[str, Source] = {
    s.id: s for s in (EEA_LITTERWATCH, GHANA_HEALTH_FACILITIES, WORLDPOP_2020)
}

# What downloads call the reports sent to this installation (mapping.disclosure.provenance).
INSTALLATION = "civicmap"
_ID = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
_NOT_STATED = {"", "none", "not stated", "not-stated", "unknown", "null"}


def normal_license(value: str | None) -> str | None:
    """A licence as given, None for one that says none is stated."""
    if value is None or value.strip().lower() in _NOT_STATED:
        return None
    return value.strip()[:100]


def source_from(
    base: Source | None,
    *,
    id: str | None = None,
    title: str | None = None,
    license: str | None = None,
    credit: str | None = None,
    url: str | None = None,
    license_given: bool = False,
    loc: str = "source",
) -> Source | None:
    """`base` (a preset's or a known source) with the members given changed; None when there
    is neither. `license_given` says `license` was given, so that None then means "not stated"
    rather than "keep the base's"."""
    if id is not None and not _ID.fullmatch(id):
        raise _invalid(loc, "use 1-64 lower-case letters, digits, dots, dashes or underscores")
    if id == INSTALLATION:
        raise _invalid(loc, f"{INSTALLATION!r} names the reports sent here; choose another id")
    base = base or (KNOWN.get(id) if id else None)
    if base is None and id is None:
        if any(v is not None for v in (title, license, credit, url)):
            raise _invalid(loc, "name the source (an id such as `my-survey-2024`)")
        return None
    source = base or Source(str(id), title or str(id))
    source = replace(
        source,
        id=id or source.id,
        title=title or source.title,
        credit=credit or source.credit,
        url=url or source.url,
    )
    if license_given or license is not None:
        source = replace(source, license=normal_license(license))
    return source


def _invalid(loc: str, msg: str) -> InvalidInput:
    return InvalidInput(f"The source is not valid: {msg}.", [{"loc": [loc], "msg": msg}])
