"""Photos of reports, observer effort, webhooks and their deliveries.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

AREA_LEVELS = range(0, 6)


def upgrade() -> None:
    json = sa.JSON().with_variant(JSONB(), "postgresql")
    seq = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    op.add_column(
        "reports",
        sa.Column("photo_count", sa.SmallInteger(), nullable=False, server_default="0"),
    )
    op.create_table(
        "report_photos",
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

    op.create_table(
        "effort_visits",
        sa.Column("seq", seq, primary_key=True),
        sa.Column("id", sa.Uuid(), nullable=False, unique=True),
        sa.Column("client_id", sa.Uuid(), nullable=False, unique=True),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("campaign", sa.String(64)),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        # GeoJSON, for the record only: no query reads the track, aggregates read its cells.
        sa.Column("geometry", json, nullable=False),
        sa.Column("length_m", sa.Float(), nullable=False),
        sa.Column("cell_count", sa.Integer(), nullable=False),
        sa.Column("quality", json, nullable=False),
        sa.Column("submitter", sa.String(32)),
    )
    op.create_index("ix_effort_visits_campaign", "effort_visits", ["campaign"])
    op.create_index("ix_effort_visits_started_at", "effort_visits", ["started_at"])
    op.create_table(
        "effort_cells",
        sa.Column("visit_seq", sa.BigInteger(), primary_key=True),
        sa.Column("h3", sa.BigInteger(), primary_key=True),
        *(sa.Column(f"area_{level}", sa.String(64)) for level in AREA_LEVELS),
    )
    op.create_index("ix_effort_cells_h3", "effort_cells", ["h3"])
    for level in AREA_LEVELS:
        op.create_index(f"ix_effort_cells_area_{level}", "effort_cells", [f"area_{level}"])

    op.create_table(
        "webhooks",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("url", sa.String(2000), nullable=False),
        sa.Column("secret", sa.String(200), nullable=False),
        sa.Column("filter", json, nullable=False),
        sa.Column("description", sa.String(200)),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "webhook_deliveries",
        sa.Column("seq", seq, primary_key=True),
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
        sa.Column("log", json, nullable=False),
    )
    # The worker's question: which deliveries are due (or whose lease ran out) by now?
    op.create_index("ix_webhook_deliveries_due", "webhook_deliveries", ["status", "next_at"])
    op.create_index("ix_webhook_deliveries_webhook", "webhook_deliveries", ["webhook_id", "seq"])


def downgrade() -> None:
    for table in ("webhook_deliveries", "webhooks", "effort_cells", "effort_visits"):
        op.drop_table(table)
    op.drop_table("report_photos")
    # Plain SQL, as in 0003: a batch rebuild would lose SpatiaLite's geometry triggers.
    op.execute("ALTER TABLE reports DROP COLUMN photo_count")
