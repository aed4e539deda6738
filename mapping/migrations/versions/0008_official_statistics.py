"""What official statistics need of the data: sources and beaches as first-class records, and
the respondent details SDG 16.6.2 disaggregates by.

- `sources`: every import's origin, licence (null where it is not stated) and required credit;
  a report's `source` names one (null: a citizen report sent to this installation).
- `beaches`: beach-litter survey sites with their reference stretch, regional sea and whether
  the water is marine or fresh; a litter report's `beach` names one.
- `reporter_wg`: the Washington Group short set, six digits 1-4 (seeing, hearing, walking,
  cognition, self-care, communication; 0 where not asked).
- `reporter_residence`: the area code where the respondent lives (not where the service is).
- `reporter_respondent`: who the rating is by, as its sender tells people apart (the volunteer
  page's own token, or an enumerator's interview number); never published.
- `satisfaction_missing`: `dont_know` or `refused` where the overall question got no rating.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

from mapping.storage import dialect

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

REPORT_COLUMNS = (
    ("source", 64),
    ("beach", 64),
    ("reporter_wg", 6),
    ("reporter_residence", 64),
    ("reporter_respondent", 64),
    ("satisfaction_missing", 16),
)


def upgrade() -> None:
    op.create_table(
        "sources",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("license", sa.String(100)),
        sa.Column("credit", sa.Text()),
        sa.Column("url", sa.Text()),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "beaches",
        sa.Column("code", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("country", sa.String(2)),
        sa.Column("regional_sea", sa.String(64)),
        sa.Column("water", sa.String(16), nullable=False),
        sa.Column("reference_m", sa.Float(), nullable=False),
        sa.Column("source", sa.String(64)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    dialect.add_geometry_column(op.get_bind(), "beaches", "geom", "POINT")
    for name, length in REPORT_COLUMNS:
        op.add_column("reports", sa.Column(name, sa.String(length)))
    op.create_index("ix_reports_beach", "reports", ["beach"])
    op.create_index("ix_reports_source", "reports", ["source"])


def downgrade() -> None:
    op.drop_index("ix_reports_source", "reports")
    op.drop_index("ix_reports_beach", "reports")
    for name, _ in reversed(REPORT_COLUMNS):
        op.drop_column("reports", name)
    dialect.drop_geometry_column(op.get_bind(), "beaches", "geom")
    op.drop_table("beaches")
    op.drop_table("sources")
