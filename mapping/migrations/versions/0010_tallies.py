"""Tallies of the public reports per H3 cell and per area, kept by triggers on `reports`.

`hex_tallies` and `area_tallies` (mapping.storage.tables) hold the sums that hexagon and area
answers read instead of grouping every stored report; mapping.storage.tallies makes the
triggers that keep them in the transaction of every change to a report, and fills them from
the reports already stored.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

from mapping.storage import tallies
from mapping.storage.tables import TALLY_SUMS

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def _sums() -> list[sa.Column]:
    return [sa.Column(name, sa.BigInteger(), nullable=False) for name in TALLY_SUMS]


def upgrade() -> None:
    # Keyed so that the rows of one unit, kind and category are neighbours: answers group by
    # them, and read a run of cells of one resolution.
    op.create_table(
        "hex_tallies",
        sa.Column("resolution", sa.SmallInteger(), nullable=False),
        sa.Column("cell", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("category", sa.String(64), nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("sensitive", sa.Boolean(), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        *_sums(),
        sa.PrimaryKeyConstraint(
            "resolution", "cell", "kind", "category", "source", "sensitive", "month"
        ),
        # Stored in the key's order: an answer reads a run of neighbouring rows.
        sqlite_with_rowid=False,
    )
    op.create_table(
        "area_tallies",
        sa.Column("level", sa.SmallInteger(), nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("category", sa.String(64), nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        *_sums(),
        sa.PrimaryKeyConstraint("level", "code", "kind", "category", "source", "month"),
        sqlite_with_rowid=False,
    )
    # Rows that came to nothing are dropped after each change: found by these, not by a scan.
    for table in ("hex_tallies", "area_tallies"):
        op.create_index(
            f"ix_{table}_empty",
            table,
            ["reports"],
            sqlite_where=sa.text("reports = 0"),
            postgresql_where=sa.text("reports = 0"),
        )
    conn = op.get_bind()
    tallies.create_triggers(conn)
    tallies.rebuild(conn)


def downgrade() -> None:
    tallies.drop_triggers(op.get_bind())
    op.drop_table("area_tallies")
    op.drop_table("hex_tallies")
