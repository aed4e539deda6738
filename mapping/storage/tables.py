"""The tables, as the queries see them. Alembic migrations (mapping/migrations) create them."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from geoalchemy2 import Geometry
from sqlalchemy.dialects.postgresql import JSONB

# Administrative levels with an area column on each report: 0 is the country, 1 the region...
AREA_LEVELS = range(0, 6)

metadata = sa.MetaData()

Json = sa.JSON().with_variant(JSONB(), "postgresql")
# SQLite's rowid alias must be INTEGER; PostgreSQL gets a 64-bit identity.
Seq = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

reports = sa.Table(
    "reports",
    metadata,
    sa.Column("seq", Seq, primary_key=True, autoincrement=True),
    sa.Column("id", sa.Uuid(), nullable=False, unique=True),
    sa.Column("client_id", sa.Uuid(), nullable=False, unique=True),
    sa.Column("content_hash", sa.String(64), nullable=False),
    sa.Column("receipt_hash", sa.String(64)),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("category", sa.String(64), nullable=False),
    sa.Column("observed_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("geom", Geometry("POINT", srid=4326, spatial_index=False), nullable=False),
    sa.Column("h3", sa.BigInteger(), nullable=False),
    sa.Column("accuracy_m", sa.Float()),
    sa.Column("campaign", sa.String(64)),
    sa.Column("description", sa.Text()),
    sa.Column("sensitive", sa.Boolean(), nullable=False),
    sa.Column("reporter_sex", sa.String(16)),
    sa.Column("reporter_age_group", sa.String(8)),
    sa.Column("reporter_disability", sa.Boolean()),
    sa.Column("attributes", Json, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("status_note", sa.Text()),
    sa.Column("quality", Json, nullable=False),
    sa.Column("satisfaction", sa.SmallInteger()),
    sa.Column("severity", sa.SmallInteger()),
    sa.Column("people_affected", sa.Integer()),
    sa.Column("survey_length_m", sa.Float()),
    sa.Column("litter_items", sa.Integer()),
    sa.Column("litter_plastic", sa.Integer()),
    *(sa.Column(f"area_{level}", sa.String(64)) for level in AREA_LEVELS),
    # A pseudonym of who sent the report (key or client address), for burst and contributor
    # counts; never published.
    sa.Column("submitter", sa.String(32)),
    sa.Column("duplicate_of", sa.Uuid()),
    # How many photos the report carries (report_photos holds them), so that listing reports
    # needs no join to give their URLs.
    sa.Column("photo_count", sa.SmallInteger(), nullable=False, default=0, server_default="0"),
    # Where and when the public may know the report to be, fixed at ingest: the exact values,
    # except for a sensitive report, whose position is the centre of its cell at the public
    # resolution (its cell and areas follow from that centre) and whose date is its day. Every
    # answer to a caller without the exact-location role reads these (mapping.disclosure).
    sa.Column("public_geom", Geometry("POINT", srid=4326, spatial_index=False)),
    sa.Column("public_h3", sa.BigInteger()),
    sa.Column("public_observed_at", sa.DateTime(timezone=True)),
    *(sa.Column(f"public_area_{level}", sa.String(64)) for level in AREA_LEVELS),
    # The cell key method's random record key (0-255), made at ingest and never published.
    sa.Column("record_key", sa.SmallInteger()),
    # The source it was imported from (`sources.id`); null for a citizen report sent here.
    sa.Column("source", sa.String(64)),
    # A litter survey's beach (`beaches.code`).
    sa.Column("beach", sa.String(64)),
    # Washington Group short set: six digits 1-4 (seeing, hearing, walking, cognition,
    # self-care, communication), 0 where not asked.
    sa.Column("reporter_wg", sa.String(6)),
    # Where the respondent lives (an area code), not where the service is.
    sa.Column("reporter_residence", sa.String(64)),
    # Who the rating is by, as its sender tells people apart (the volunteer page's token, an
    # enumerator's interview number); never published.
    sa.Column("reporter_respondent", sa.String(64)),
    # `dont_know` or `refused` where the overall satisfaction question got no rating.
    sa.Column("satisfaction_missing", sa.String(16)),
)

areas = sa.Table(
    "areas",
    metadata,
    sa.Column("code", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("level", sa.SmallInteger(), nullable=False),
    sa.Column("parent", sa.String(64)),
    # The outline simplified for display, as GeoJSON text.
    sa.Column("display", sa.Text(), nullable=False),
    sa.Column("source", sa.Text()),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("geom", Geometry("MULTIPOLYGON", srid=4326, spatial_index=False), nullable=False),
)

campaigns = sa.Table(
    "campaigns",
    metadata,
    sa.Column("slug", sa.String(64), primary_key=True),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("description", sa.Text()),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("categories", Json, nullable=False),
    sa.Column("area", sa.String(64)),
    sa.Column("start", sa.DateTime(timezone=True)),
    sa.Column("end", sa.DateTime(timezone=True)),
    sa.Column("demo", sa.Boolean(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

api_keys = sa.Table(
    "api_keys",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("prefix", sa.String(16), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("revoked_at", sa.DateTime(timezone=True)),
    sa.Column("digest_ha1", sa.String(32)),  # HTTP Digest's HA1, for OpenRosa clients
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("seq", Seq, primary_key=True, autoincrement=True),
    sa.Column("report_id", sa.Uuid(), nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("actor_id", sa.Uuid()),
    sa.Column("actor_name", sa.String(200), nullable=False),
    sa.Column("changes", Json, nullable=False),
    sa.Column("note", sa.Text()),
)

write_counters = sa.Table(
    "write_counters",
    metadata,
    sa.Column("subject", sa.String(80), primary_key=True),
    sa.Column("window", sa.BigInteger(), primary_key=True),
    sa.Column("count", sa.Integer(), nullable=False),
)

instance = sa.Table(
    "instance",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text(), nullable=False),
)

# Official service facility lists (coverage analysis), kept apart from citizen reports.
facilities = sa.Table(
    "facilities",
    metadata,
    sa.Column("seq", Seq, primary_key=True, autoincrement=True),
    sa.Column("source", sa.String(200), nullable=False),
    sa.Column("code", sa.String(64), nullable=False),
    sa.Column("name", sa.String(300), nullable=False),
    sa.Column("category", sa.String(64), nullable=False),
    sa.Column("type", sa.String(100)),
    sa.Column("type_raw", sa.String(100)),
    sa.Column("ownership", sa.String(100)),
    sa.Column("attributes", Json, nullable=False),
    sa.Column("h3", sa.BigInteger(), nullable=False),
    *(sa.Column(f"area_{level}", sa.String(64)) for level in AREA_LEVELS),
    sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("geom", Geometry("POINT", srid=4326, spatial_index=False), nullable=False),
    # What the register says: operational, partly, closed; null (it says nothing) is open.
    sa.Column("status", sa.String(16)),
    sa.Column("tier", sa.SmallInteger()),  # from a tier list, where it names the facility
)

# A planner's decision on a citizen report as evidence of a register facility: `accept` pins
# the match, `reject` forbids it. Rows are never changed: the latest on a pair holds.
facility_reviews = sa.Table(
    "facility_reviews",
    metadata,
    sa.Column("seq", Seq, primary_key=True, autoincrement=True),
    sa.Column("facility_source", sa.String(200), nullable=False),
    sa.Column("facility_code", sa.String(64), nullable=False),
    sa.Column("report_id", sa.Uuid(), nullable=False),
    sa.Column("decision", sa.String(8), nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("actor_id", sa.Uuid()),
    sa.Column("actor_name", sa.String(200), nullable=False),
    sa.Column("note", sa.Text()),
)

# Population counts in H3 cells: points at resolution 15, areas spread over their cells.
population = sa.Table(
    "population",
    metadata,
    sa.Column("seq", Seq, primary_key=True, autoincrement=True),
    sa.Column("source", sa.String(200), nullable=False),
    sa.Column("h3", sa.BigInteger(), nullable=False),
    sa.Column("population", sa.Float(), nullable=False),
    sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
)

# What each population layer is: title, year, method, its total as stored and as read, and the
# census margins it was raked to ({"level", "margins", "factors": {area code: factor}, ...}).
population_layers = sa.Table(
    "population_layers",
    metadata,
    sa.Column("source", sa.String(200), primary_key=True),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("year", sa.SmallInteger()),
    sa.Column("method", sa.Text(), nullable=False),
    sa.Column("cells", sa.Integer(), nullable=False),
    sa.Column("total", sa.Float(), nullable=False),
    sa.Column("read_total", sa.Float(), nullable=False),
    sa.Column("raked", Json),
    sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
)

# Photos of reports, re-encoded and stripped of metadata; the bytes live in a PhotoStore under
# `key` and `thumb_key`. `n` counts from 1, as in the URLs.
report_photos = sa.Table(
    "report_photos",
    metadata,
    sa.Column("report_id", sa.Uuid(), primary_key=True),
    sa.Column("n", sa.SmallInteger(), primary_key=True),
    sa.Column("key", sa.String(200), nullable=False),
    sa.Column("thumb_key", sa.String(200), nullable=False),
    sa.Column("media_type", sa.String(32), nullable=False),
    sa.Column("width", sa.Integer(), nullable=False),
    sa.Column("height", sa.Integer(), nullable=False),
    sa.Column("bytes", sa.Integer(), nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

# Observer effort: someone looked (found something or not). The track is kept as GeoJSON for
# the record; aggregates read only the H3 cells it crossed (effort_cells).
effort_visits = sa.Table(
    "effort_visits",
    metadata,
    sa.Column("seq", Seq, primary_key=True, autoincrement=True),
    sa.Column("id", sa.Uuid(), nullable=False, unique=True),
    sa.Column("client_id", sa.Uuid(), nullable=False, unique=True),
    sa.Column("content_hash", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("campaign", sa.String(64)),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("ended_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("geometry", Json, nullable=False),
    sa.Column("length_m", sa.Float(), nullable=False),
    sa.Column("cell_count", sa.Integer(), nullable=False),
    sa.Column("quality", Json, nullable=False),
    sa.Column("submitter", sa.String(32)),
)

# One row per visit and cell it touched, at the effort resolution, with the areas holding the
# cell's centre: effort per hexagon or area is a COUNT(DISTINCT visit) GROUP BY.
effort_cells = sa.Table(
    "effort_cells",
    metadata,
    sa.Column("visit_seq", sa.BigInteger(), primary_key=True),
    sa.Column("h3", sa.BigInteger(), primary_key=True),
    *(sa.Column(f"area_{level}", sa.String(64)) for level in AREA_LEVELS),
)

webhooks = sa.Table(
    "webhooks",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("url", sa.String(2000), nullable=False),
    # Kept as given: signing needs the secret itself, not a hash of it.
    sa.Column("secret", sa.String(200), nullable=False),
    sa.Column("filter", Json, nullable=False),
    sa.Column("description", sa.String(200)),
    sa.Column("created_by", sa.String(200), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

# The outbox: a row per (webhook, report event), written in the report's own transaction and
# sent later by a worker that claims due rows with a lease.
webhook_deliveries = sa.Table(
    "webhook_deliveries",
    metadata,
    sa.Column("seq", Seq, primary_key=True, autoincrement=True),
    sa.Column("id", sa.Uuid(), nullable=False, unique=True),
    sa.Column("webhook_id", sa.Uuid(), nullable=False),
    sa.Column("report_id", sa.Uuid(), nullable=False),
    sa.Column("event", sa.String(32), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer(), nullable=False),
    sa.Column("next_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("lease_until", sa.DateTime(timezone=True)),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("finished_at", sa.DateTime(timezone=True)),
    sa.Column("last_status_code", sa.Integer()),
    sa.Column("last_error", sa.String(500)),
    sa.Column("log", Json, nullable=False),
)

# Frozen snapshots of the indicator tables (mapping.releases); never updated or deleted.
releases = sa.Table(
    "releases",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("title", sa.Text(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("replaces", sa.String(32), sa.ForeignKey("releases.id"), unique=True),
    sa.Column("document", sa.Text(), nullable=False),
    sa.Column("sdmx_csv", sa.Text(), nullable=False),
    sa.Column("digest", sa.String(64), nullable=False),
)

# Census population of an area by one dimension and group (sex: female, male), as imported.
census_margins = sa.Table(
    "census_margins",
    metadata,
    sa.Column("area_code", sa.String(64), primary_key=True),
    sa.Column("dimension", sa.String(16), primary_key=True),
    sa.Column("grp", sa.String(32), primary_key=True),
    sa.Column("population", sa.BigInteger(), nullable=False),
    sa.Column("source", sa.Text(), nullable=False),
)

# Where imported data came from, under which licence (null: not stated) and with what credit.
sources = sa.Table(
    "sources",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("license", sa.String(100)),
    sa.Column("credit", sa.Text()),
    sa.Column("url", sa.Text()),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
)

# Beach-litter survey sites: the reference stretch the guideline counts over, the regional sea,
# and whether the water is `marine`, `freshwater` or `unknown` (only marine sites count toward
# 14.1.1; mapping.imports.beaches gives the rule for imported sites).
beaches = sa.Table(
    "beaches",
    metadata,
    sa.Column("code", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("country", sa.String(2)),
    sa.Column("regional_sea", sa.String(64)),
    sa.Column("water", sa.String(16), nullable=False),
    sa.Column("reference_m", sa.Float(), nullable=False),
    sa.Column("source", sa.String(64)),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("geom", Geometry("POINT", srid=4326, spatial_index=False), nullable=False),
)

# The sums of a tally row (mapping.storage.tallies keeps them), all whole numbers.
TALLY_SUMS = (
    *("reports", "rated", "satisfied", "satisfaction_sum", "items", "plastic", "surveyed_mm"),
    *("severity_sum", "people_affected", "status_operational", "status_partly"),
    *("status_closed", "record_keys"),
)


def _tally_columns(*last: sa.Column[Any]) -> list[sa.Column[Any]]:
    """A tally row's key after its unit (kind, category, source: '' for reports sent here,
    then `last`), and its sums. Rows of one unit, kind and category are neighbours in the
    key's order, which answers group by."""
    return [
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("category", sa.String(64), primary_key=True),
        sa.Column("source", sa.String(64), primary_key=True),
        *last,
        # The month as year * 12 + month - 1, or 0 for all time.
        sa.Column("month", sa.Integer(), primary_key=True),
        *(sa.Column(name, sa.BigInteger(), nullable=False) for name in TALLY_SUMS),
    ]


hex_tallies = sa.Table(
    "hex_tallies",
    metadata,
    sa.Column("resolution", sa.SmallInteger(), primary_key=True),
    sa.Column("cell", sa.BigInteger(), primary_key=True),
    *_tally_columns(sa.Column("sensitive", sa.Boolean(), primary_key=True)),
    sqlite_with_rowid=False,
)

area_tallies = sa.Table(
    "area_tallies",
    metadata,
    sa.Column("level", sa.SmallInteger(), primary_key=True),
    sa.Column("code", sa.String(64), primary_key=True),
    *_tally_columns(),
    sqlite_with_rowid=False,
)
