"""`civicmap census`: census margins per area, to see who is missing among respondents."""

from __future__ import annotations

from pathlib import Path

import click

from mapping.analysis.census import DIMENSIONS, parse_groups, read_margins
from mapping.cli.group import Group, open_engine
from mapping.settings import Settings
from mapping.storage import census as census_store


@click.group(cls=Group)
def census() -> None:
    """Census margins: population per area by sex (or age group, disability)."""


@census.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--level", type=click.IntRange(0, 5), required=True, help="Area level.")
@click.option("--area-column", required=True, help="Column with the area's code or name.")
@click.option("--dimension", type=click.Choice(DIMENSIONS), default="sex", show_default=True)
@click.option(
    "--group",
    "groups",
    multiple=True,
    required=True,
    metavar="GROUP[=COLUMN]",
    help="A group and the column of its count, e.g. female=female; repeat per group.",
)
@click.option("--source", required=True, help="The census and its credit, e.g. 'GSS 2021 PHC'.")
@click.option(
    "--skip-blank", is_flag=True, help="Leave out rows whose counts are all blank, and list them."
)
@click.pass_obj
def census_import(
    settings: Settings,
    path: Path,
    level: int,
    area_column: str,
    dimension: str,
    groups: tuple[str, ...],
    source: str,
    skip_blank: bool,
) -> None:
    """Read margins from a CSV (rows of one area are summed) and store them."""
    engine = open_engine(settings)
    with engine.begin() as conn:
        margins, skipped = read_margins(
            conn,
            path,
            level=level,
            area_column=area_column,
            groups=parse_groups(groups),
            skip_blank=skip_blank,
        )
        census_store.replace_margins(conn, margins, dimension=dimension, source=source)
    total = sum(sum(g.values()) for g in margins.values())
    click.echo(f"{len(margins)} level-{level} areas, {total:,} people by {dimension}")
    if skipped:
        click.echo(f"left out, counts blank: {', '.join(skipped)}", err=True)
