"""Releases: frozen, citable snapshots of the indicator tables.

A release is written once and never changed: triggers refuse any UPDATE or DELETE on both
backends, so a figure an office has cited cannot move under it. A correction is a new release
that names the one it replaces.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

from mapping.storage import dialect

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "releases",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("replaces", sa.String(32), sa.ForeignKey("releases.id"), unique=True),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("sdmx_csv", sa.Text(), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
    )
    if dialect.is_sqlite(op.get_bind()):
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER releases_no_{event.lower()} BEFORE {event} ON releases "
                "BEGIN SELECT RAISE(ABORT, 'releases are immutable'); END"
            )
    else:
        op.execute(
            "CREATE FUNCTION releases_immutable() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'releases are immutable'; END $$"
        )
        op.execute(
            "CREATE TRIGGER releases_immutable BEFORE UPDATE OR DELETE ON releases "
            "FOR EACH ROW EXECUTE FUNCTION releases_immutable()"
        )


def downgrade() -> None:
    op.drop_table("releases")
    if not dialect.is_sqlite(op.get_bind()):
        op.execute("DROP FUNCTION releases_immutable()")
