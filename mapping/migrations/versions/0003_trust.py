"""API keys, the moderation audit log, write counters, and who submitted each report.

Revision ID: 0003
Revises: 0002
"""

import secrets
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    json = sa.JSON().with_variant(JSONB(), "postgresql")
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "audit_log",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
        sa.Column("report_id", sa.Uuid(), nullable=False, index=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Uuid()),
        sa.Column("actor_name", sa.String(200), nullable=False),
        sa.Column("changes", json, nullable=False),
        sa.Column("note", sa.Text()),
    )
    op.create_table(
        "write_counters",
        sa.Column("subject", sa.String(80), primary_key=True),
        sa.Column("window", sa.BigInteger(), primary_key=True),
        sa.Column("count", sa.Integer(), nullable=False),
    )
    op.create_table(
        "instance",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
    )
    # A secret of this installation, for pseudonymous submitter ids.
    op.bulk_insert(
        sa.table("instance", sa.column("key"), sa.column("value")),
        [
            {"key": "submitter_secret", "value": secrets.token_hex(32)},
            {"key": "created_at", "value": datetime.now(UTC).isoformat()},
        ],
    )
    op.add_column("reports", sa.Column("submitter", sa.String(32)))
    op.add_column("reports", sa.Column("duplicate_of", sa.Uuid()))
    op.create_index("ix_reports_submitter", "reports", ["submitter", "received_at"])


def downgrade() -> None:
    op.drop_index("ix_reports_submitter", "reports")
    # Plain SQL: SQLite (3.35+) and PostgreSQL both drop a column in place, which keeps
    # SpatiaLite's geometry triggers that a batch table rebuild would lose.
    op.execute("ALTER TABLE reports DROP COLUMN submitter")
    op.execute("ALTER TABLE reports DROP COLUMN duplicate_of")
    for table in ("instance", "write_counters", "audit_log", "api_keys"):
        op.drop_table(table)
