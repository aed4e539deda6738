"""Reports, administrative areas and campaigns.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from mapping.storage import dialect

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

AREA_LEVELS = range(0, 6)


def upgrade() -> None:
    bind = op.get_bind()
    dialect.prepare_database(bind)
    json = sa.JSON().with_variant(JSONB(), "postgresql")
    op.create_table(
        "reports",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
        sa.Column("id", sa.Uuid(), nullable=False, unique=True),
        sa.Column("client_id", sa.Uuid(), nullable=False, unique=True),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("receipt_hash", sa.String(64)),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("category", sa.String(64), nullable=False),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("h3", sa.BigInteger(), nullable=False),
        sa.Column("accuracy_m", sa.Float()),
        sa.Column("campaign", sa.String(64)),
        sa.Column("description", sa.Text()),
        sa.Column("sensitive", sa.Boolean(), nullable=False),
        sa.Column("reporter_sex", sa.String(16)),
        sa.Column("reporter_age_group", sa.String(8)),
        sa.Column("reporter_disability", sa.Boolean()),
        sa.Column("attributes", json, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("status_note", sa.Text()),
        sa.Column("quality", json, nullable=False),
        # Numbers the aggregates sum, taken out of `attributes` once at ingest.
        sa.Column("satisfaction", sa.SmallInteger()),
        sa.Column("severity", sa.SmallInteger()),
        sa.Column("people_affected", sa.Integer()),
        sa.Column("survey_length_m", sa.Float()),
        sa.Column("litter_items", sa.Integer()),
        sa.Column("litter_plastic", sa.Integer()),
        *(sa.Column(f"area_{level}", sa.String(64)) for level in AREA_LEVELS),
    )
    dialect.add_geometry_column(bind, "reports", "geom", "POINT")
    op.create_index("ix_reports_h3", "reports", ["h3"])
    op.create_index("ix_reports_kind_category", "reports", ["kind", "category", "observed_at"])
    op.create_index("ix_reports_observed_at", "reports", ["observed_at"])
    op.create_index("ix_reports_campaign", "reports", ["campaign"])
    for level in AREA_LEVELS:
        op.create_index(f"ix_reports_area_{level}", "reports", [f"area_{level}"])

    op.create_table(
        "areas",
        sa.Column("code", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("level", sa.SmallInteger(), nullable=False),
        sa.Column("parent", sa.String(64)),
        sa.Column("display", sa.Text(), nullable=False),
        sa.Column("source", sa.Text()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    dialect.add_geometry_column(bind, "areas", "geom", "MULTIPOLYGON")
    op.create_index("ix_areas_level", "areas", ["level"])

    op.create_table(
        "campaigns",
        sa.Column("slug", sa.String(64), primary_key=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text()),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("categories", json, nullable=False),
        sa.Column("area", sa.String(64)),
        sa.Column("start", sa.DateTime(timezone=True)),
        sa.Column("end", sa.DateTime(timezone=True)),
        sa.Column("demo", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("campaigns")
    for table in ("areas", "reports"):
        dialect.drop_geometry_column(op.get_bind(), table, "geom")
        op.drop_table(table)
