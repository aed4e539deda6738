"""A release's indicator table as SDMX-CSV 2.0: one observation per area, indicator, breakdown
and group, in a dataflow of our own (CIVICMAP:SDG_CITIZEN). The codes are CivicMap's, not the
UN SDG database's series codes: the figures are citizen data, not the official series.

Dimensions: REF_AREA (area code), INDICATOR, MEASURE, BREAKDOWN, BREAKDOWN_GROUP and TIME_PERIOD
(an ISO 8601 time range, start and whole months). INDICATOR is 16.6.2_HEALTH,
16.6.2_EDUCATION and 16.6.2_GOVERNMENT for SDG 16.6.2 as the metadata defines it (BREAKDOWN
all, sex, age_group, disability, residence or attribute; MEASURE satisfied_share, or
satisfied_share_weighted for the share post-stratified to census margins, whose NOBS is
Kish's effective n), 16.6.2_POOLED for the share of every rated category pooled (BREAKDOWN
all, category, sex, age_group, disability), and 14.1.1. Attributes: UNIT_MEASURE, NOBS (the
figure's n), LOWER_BOUND and UPPER_BOUND
(the 95% Wilson interval of a share), OBS_STATUS (A with a value, O without: too few to
publish, or nothing observed), CONF_STATUS (F free, C confidential: suppressed by the cell key
method, with no value) and RELEASE.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from mapping.analysis.indicators import DIMENSIONS
from mapping.analysis.sdg16 import published_figures

STRUCTURE_ID = "CIVICMAP:SDG_CITIZEN(1.0)"
COLUMNS = (
    "STRUCTURE",
    "STRUCTURE_ID",
    "ACTION",
    "REF_AREA",
    "INDICATOR",
    "MEASURE",
    "BREAKDOWN",
    "BREAKDOWN_GROUP",
    "TIME_PERIOD",
    "OBS_VALUE",
    "OBS_STATUS",
    "UNIT_MEASURE",
    "NOBS",
    "LOWER_BOUND",
    "UPPER_BOUND",
    "CONF_STATUS",
    "RELEASE",
)
UNITS = {
    "satisfied_share": "PROPORTION",
    "satisfied_share_weighted": "PROPORTION",
    "items_per_100m": "ITEMS_PER_100M",
    "plastic_share": "PROPORTION",
}


def sdmx_csv(document: dict[str, Any]) -> str:
    """The document's `areas` table as SDMX-CSV 2.0 text."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    period, release = document["period"]["sdmx"], document["id"]
    for area, indicator, measure, breakdown, group, figure in _observations(document["areas"]):
        value = figure.get("satisfied_share" if measure == "satisfied_share_weighted" else measure)
        ci = figure.get("satisfied_share_ci") if measure.startswith("satisfied_share") else None
        writer.writerow(
            (
                "dataflow",
                STRUCTURE_ID,
                "I",
                area,
                indicator,
                measure,
                breakdown,
                group,
                period,
                "" if value is None else value,
                "A" if value is not None else "O",
                UNITS[measure],
                "" if figure.get("n") is None else figure["n"],
                "" if not ci else ci[0],
                "" if not ci else ci[1],
                "C" if figure.get("suppressed") else "F",
                release,
            )
        )
    return out.getvalue()


def _observations(
    areas: list[dict[str, Any]],
) -> Iterator[tuple[str, str, str, str, str, dict[str, Any]]]:
    for area in areas:
        code, sat, lit = area["code"], area["sdg_16_6_2"], area["sdg_14_1_1"]
        for service, measure, dimension, group, fig in published_figures(sat):
            yield code, f"16.6.2_{service.upper()}", measure, dimension, group, fig
        yield code, "16.6.2_POOLED", "satisfied_share", "all", "all", sat
        for dimension in DIMENSIONS:
            for group, figure in sat[f"by_{dimension}"].items():
                yield code, "16.6.2_POOLED", "satisfied_share", dimension, group, figure
        for measure in ("items_per_100m", "plastic_share"):
            yield code, "14.1.1", measure, "all", "all", lit
