"""Public placement columns and record keys of reports.

Non-sensitive reports are public as they are: their public columns are copies of the exact
ones. A sensitive report's public columns stay empty here (so no answer can show it anywhere
yet) and are filled from its cell at the public resolution when the service next starts
(`mapping.reports.placement.republish`), which knows that setting.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

from mapping.storage import dialect

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

AREA_LEVELS = range(0, 6)


def upgrade() -> None:
    bind = op.get_bind()
    op.add_column("reports", sa.Column("public_h3", sa.BigInteger()))
    op.add_column("reports", sa.Column("public_observed_at", sa.DateTime(timezone=True)))
    for level in AREA_LEVELS:
        op.add_column("reports", sa.Column(f"public_area_{level}", sa.String(64)))
    op.add_column("reports", sa.Column("record_key", sa.SmallInteger()))
    dialect.add_geometry_column(bind, "reports", "public_geom", "POINT", nullable=True)
    areas = ", ".join(f"public_area_{level} = area_{level}" for level in AREA_LEVELS)
    op.execute(
        "UPDATE reports SET public_h3 = h3, public_observed_at = observed_at, "
        f"public_geom = geom, {areas} WHERE NOT sensitive"
    )
    random_key = (
        "abs(random()) % 256" if dialect.is_sqlite(bind) else "floor(random() * 256)::smallint"
    )
    op.execute(f"UPDATE reports SET record_key = {random_key}")
    op.create_index("ix_reports_public_h3", "reports", ["public_h3"])
    op.create_index(
        "ix_reports_kind_category_public", "reports", ["kind", "category", "public_observed_at"]
    )
    op.create_index("ix_reports_public_observed_at", "reports", ["public_observed_at"])
    for level in AREA_LEVELS:
        op.create_index(f"ix_reports_public_area_{level}", "reports", [f"public_area_{level}"])
    # Whatever resolution the public columns were made at is unknown now: place them again.
    op.execute("DELETE FROM instance WHERE key = 'public_resolution'")


def downgrade() -> None:
    for level in AREA_LEVELS:
        op.drop_index(f"ix_reports_public_area_{level}", "reports")
    op.drop_index("ix_reports_public_observed_at", "reports")
    op.drop_index("ix_reports_kind_category_public", "reports")
    op.drop_index("ix_reports_public_h3", "reports")
    dialect.drop_geometry_column(op.get_bind(), "reports", "public_geom")
    columns = [
        "record_key",
        *(f"public_area_{level}" for level in AREA_LEVELS),
        "public_observed_at",
        "public_h3",
    ]
    for column in columns:
        op.execute(f"ALTER TABLE reports DROP COLUMN {column}")
