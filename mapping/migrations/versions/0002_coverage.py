"""Official service facilities and population, for coverage analysis.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from mapping.storage import dialect

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

AREA_LEVELS = range(0, 6)


def upgrade() -> None:
    bind = op.get_bind()
    json = sa.JSON().with_variant(JSONB(), "postgresql")
    # Official lists, kept apart from citizen reports so that the two can be compared.
    op.create_table(
        "facilities",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("category", sa.String(64), nullable=False),
        sa.Column("type", sa.String(100)),
        sa.Column("type_raw", sa.String(100)),
        sa.Column("ownership", sa.String(100)),
        sa.Column("attributes", json, nullable=False),
        sa.Column("h3", sa.BigInteger(), nullable=False),
        *(sa.Column(f"area_{level}", sa.String(64)) for level in AREA_LEVELS),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("source", "code", name="uq_facilities_source_code"),
    )
    dialect.add_geometry_column(bind, "facilities", "geom", "POINT")
    op.create_index("ix_facilities_category", "facilities", ["category"])
    op.create_index("ix_facilities_h3", "facilities", ["h3"])

    # Population counts placed in H3 cells: a point's count in its resolution-15 cell, an
    # area's count spread evenly over its cells at the import resolution.
    op.create_table(
        "population",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("h3", sa.BigInteger(), nullable=False),
        sa.Column("population", sa.Float(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_population_source", "population", ["source"])


def downgrade() -> None:
    op.drop_table("population")
    dialect.drop_geometry_column(op.get_bind(), "facilities", "geom")
    op.drop_table("facilities")
