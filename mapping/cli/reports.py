"""`civicmap reports import`: reports from CSV, GeoJSON, GeoPackage, KML, KMZ or zip files."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import click

from mapping.areas.index import AreaIndexCache
from mapping.cli.group import Group, open_engine, pairs
from mapping.imports.importer import ColumnMapping, ImportReport, import_file
from mapping.imports.presets import PRESET_SOURCES, PRESETS, mapping_from
from mapping.imports.sources import source_from
from mapping.settings import Settings
from mapping.storage.sources import Source

SHOWN = 50  # refused rows printed; --report has them all


def print_import(report: ImportReport, out: Path | None) -> None:
    click.echo(
        f"{report.rows} rows: {report.created} created, {report.duplicates} duplicates, "
        f"{report.refused} refused"
    )
    refused = [o for o in report.outcomes if o.outcome == "rejected"]
    for o in refused[:SHOWN]:
        click.echo(f"  row {o.row}: {'; '.join(o.reasons)}")
    if len(refused) > SHOWN:
        click.echo(f"  ... and {len(refused) - SHOWN} more refused rows")
    if out is not None:
        with out.open("w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["row", "outcome", "id", "reasons"])
            writer.writerows(
                (o.row, o.outcome, o.id or "", "; ".join(o.reasons)) for o in report.outcomes
            )
        click.echo(f"row-by-row report written to {out}")


def run_import(
    settings: Settings,
    path: Path,
    mapping: ColumnMapping,
    out: Path | None = None,
    *,
    fmt: str | None = None,
    layer: str | None = None,
    source: Source | None = None,
) -> ImportReport:
    engine = open_engine(settings)
    index = AreaIndexCache(engine).current()
    report = import_file(
        engine,
        path,
        mapping,
        limits=settings.policies().ingest,
        max_bytes=settings.max_import_bytes,
        areas=index,
        fmt=fmt,
        layer=layer,
        source=source,
    )
    if source is not None:
        click.echo(f"source {source.id!r}: {source.license or 'licence not stated'}")
    print_import(report, out)
    return report


def _options(**given: Any) -> dict[str, Any]:
    """The mapping members given on the command line (empty ones left out)."""
    return {k: v for k, v in given.items() if v not in (None, (), {})}


@click.group(cls=Group)
def reports() -> None:
    """Reports: bulk import."""


@reports.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--preset", type=click.Choice(sorted(PRESETS)), help="A ready column mapping.")
@click.option(
    "--mapping",
    "mapping_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A column mapping as a JSON file (the members of the HTTP import's `mapping`).",
)
@click.option("--format", "fmt", type=click.Choice(["csv", "geojson", "gpkg", "kml", "kmz", "zip"]))
@click.option("--layer", help="GeoPackage layer (default: the first).")
@click.option("--kind", type=click.Choice(["service", "litter", "hotspot"]))
@click.option("--category", help="Category code for every row.")
@click.option("--category-column", help="Column with the category of each row.")
@click.option("--category-value", multiple=True, help="FILE_VALUE=CODE, to map a column's values.")
@click.option("--lon", "lon_column", help="Longitude column (found by name if not given).")
@click.option("--lat", "lat_column", help="Latitude column (found by name if not given).")
@click.option("--observed-at", help="RFC 3339 time for every row (default: now).")
@click.option("--observed-column", help="Column with each row's observation time.")
@click.option("--observed-format", help="strptime format of that column, e.g. %Y%m%d.")
@click.option("--description-column")
@click.option("--attribute", multiple=True, help="NAME=COLUMN: an attribute from a column.")
@click.option("--set", "constants", multiple=True, help="NAME=JSON: an attribute for every row.")
@click.option("--item-columns", help="Litter: regular expression of the item count columns.")
@click.option("--campaign", help="Campaign slug for every row.")
@click.option("--source", "source_id", help="Source id, e.g. my-survey-2024 (preset's default).")
@click.option("--source-title", help="Title of the source.")
@click.option("--license", "license_", help="SPDX licence id; 'not stated' where none is.")
@click.option("--credit", help="The credit the source's terms require.")
@click.option("--source-url", help="Where the source is published.")
@click.option(
    "--report",
    "out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the outcome of every row to this CSV.",
)
@click.pass_obj
def reports_import(
    settings: Settings,
    path: Path,
    preset: str | None,
    mapping_file: Path | None,
    fmt: str | None,
    layer: str | None,
    out: Path | None,
    source_id: str | None,
    source_title: str | None,
    license_: str | None,
    credit: str | None,
    source_url: str | None,
    **options: Any,
) -> None:
    """Import reports from a CSV, GeoJSON, GeoPackage, KML, KMZ or zip file with a column
    mapping (a --preset, a --mapping file, options, or these together: options win); every
    row is accounted for."""
    try:
        fixed = {k: json.loads(v) for k, v in pairs(options.pop("constants"), "--set").items()}
    except json.JSONDecodeError as exc:
        raise click.BadParameter(f"not JSON: {exc}", param_hint="--set") from None
    spec: dict[str, Any] = json.loads(mapping_file.read_text()) if mapping_file else {}
    if preset:
        spec["preset"] = preset
    spec.update(
        _options(
            **{k: v for k, v in options.items() if k not in ("category_value", "attribute")},
            category_values=pairs(options["category_value"], "--category-value"),
            attributes=pairs(options["attribute"], "--attribute"),
            constants=fixed,
        )
    )
    if "preset" not in spec and not spec.get("kind"):
        raise click.UsageError("give --kind (or a --preset, or a --mapping file)")
    if "preset" not in spec and not (spec.get("category") or spec.get("category_column")):
        raise click.UsageError("give --category or --category-column")
    mapping = mapping_from(spec)
    source = source_from(
        PRESET_SOURCES.get(spec.get("preset") or ""),
        id=source_id,
        title=source_title,
        license=license_,
        credit=credit,
        url=source_url,
    )
    run_import(settings, path, mapping, out, fmt=fmt, layer=layer, source=source)
