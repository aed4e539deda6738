"""The official register checked by citizens, and population layers that say what they are.

- `facilities.status`: what the register itself says of a facility (`operational`, `partly`,
  `closed`; null where it says nothing, which counts as open), and `facilities.tier` where a
  tier list gives one.
- `facility_reviews`: a planner's decision on a match between a citizen report and a register
  facility (`accept` pins it, `reject` forbids it), kept as an audit trail: the latest decision
  on a pair holds.
- `population_layers`: one row per population layer, with its title, year, method, totals, and
  the factors it was raked to census margins by.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    json = sa.JSON().with_variant(JSONB(), "postgresql")
    seq = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    op.add_column("facilities", sa.Column("status", sa.String(16)))
    op.add_column("facilities", sa.Column("tier", sa.SmallInteger()))
    op.create_table(
        "facility_reviews",
        sa.Column("seq", seq, primary_key=True),
        sa.Column("facility_source", sa.String(200), nullable=False),
        sa.Column("facility_code", sa.String(64), nullable=False),
        sa.Column("report_id", sa.Uuid(), nullable=False),
        sa.Column("decision", sa.String(8), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Uuid()),
        sa.Column("actor_name", sa.String(200), nullable=False),
        sa.Column("note", sa.Text()),
    )
    op.create_index("ix_facility_reviews_report", "facility_reviews", ["report_id"])
    op.create_table(
        "population_layers",
        sa.Column("source", sa.String(200), primary_key=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("year", sa.SmallInteger()),
        sa.Column("method", sa.Text(), nullable=False),
        sa.Column("cells", sa.Integer(), nullable=False),
        sa.Column("total", sa.Float(), nullable=False),
        sa.Column("read_total", sa.Float(), nullable=False),
        sa.Column("raked", json),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
    )
    # Layers imported before: each described by its name and how points and areas are placed.
    op.execute(
        "INSERT INTO population_layers "
        "(source, title, method, cells, total, read_total, imported_at) "
        "SELECT source, source, 'imported points and areas', count(*), sum(population), "
        "sum(population), max(imported_at) FROM population GROUP BY source"
    )


def downgrade() -> None:
    op.drop_table("population_layers")
    op.drop_index("ix_facility_reviews_report", "facility_reviews")
    op.drop_table("facility_reviews")
    op.drop_column("facilities", "tier")
    op.drop_column("facilities", "status")
