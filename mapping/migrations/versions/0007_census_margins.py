"""Census margins: an area's population by one dimension (sex first), from a census an
operator imports, to compare respondents with (who is missing) and later to weight them.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "census_margins",
        sa.Column("area_code", sa.String(64), primary_key=True),
        sa.Column("dimension", sa.String(16), primary_key=True),
        sa.Column("grp", sa.String(32), primary_key=True),
        sa.Column("population", sa.BigInteger(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("census_margins")
