"""PostgreSQL: the tallies' lock taken before any statement that writes reports locks a row
(mapping.storage.tallies.create_lock_trigger), so that a transaction writing reports in several
statements and a moderator's change to one of them wait for each other, not deadlock.

Revision ID: 0013
Revises: 0012
"""

from alembic import op

from mapping.storage import tallies

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    tallies.create_lock_trigger(op.get_bind())


def downgrade() -> None:
    tallies.drop_lock_trigger(op.get_bind())
