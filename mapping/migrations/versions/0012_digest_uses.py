"""`digest_uses`: the HTTP Digest answers (their `response` hash) believed in the last minutes, so
that one seen again is refused: Digest does not sign the body, and a replayed header would
otherwise carry any submission while its nonce lasts (api.digest).

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "digest_uses",
        sa.Column("response", sa.String(32), primary_key=True),
        sa.Column("used_at", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_digest_uses_used_at", "digest_uses", ["used_at"])


def downgrade() -> None:
    op.drop_index("ix_digest_uses_used_at", "digest_uses")
    op.drop_table("digest_uses")
