"""XLSForm questionnaires, their responses and typed answers (mapping.reports.forms).

- `forms`: each uploaded version of a form (unique by `form_id` and `version`), with the XForm
  pyxform made of it and the spec its answers are checked by; bound to a campaign and a kind.
- `form_responses`: one row per response, found again by the client's `instance_id`; its place
  (first geopoint answer) exact and as the public sees it; the cell key method's record key.
- `form_answers`: the answers, one typed value per row (per chosen option of a select_multiple).
- `api_keys.digest_ha1`: HTTP Digest's HA1 of a key made from now on (MD5 of prefix, realm and
  key), so that ODK Collect can sign OpenRosa requests with the key as its password.

Revision ID: 0011
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0011"
# The integrator sets this to "0010" when 0010 lands before it.
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    json = sa.JSON().with_variant(JSONB(), "postgresql")
    seq = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    op.create_table(
        "forms",
        sa.Column("seq", seq, primary_key=True),
        sa.Column("form_id", sa.String(64), nullable=False),
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("campaign", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("spec", json, nullable=False),
        sa.Column("xform", sa.Text(), nullable=False),
        sa.Column("xform_md5", sa.String(32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.UniqueConstraint("form_id", "version", name="uq_forms_form_id_version"),
    )
    op.create_table(
        "form_responses",
        sa.Column("seq", seq, primary_key=True),
        sa.Column("id", sa.Uuid(), nullable=False, unique=True),
        sa.Column("instance_id", sa.String(100), nullable=False, unique=True),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("form_seq", sa.BigInteger(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitter", sa.String(32)),
        *(sa.Column(name, sa.Float()) for name in ("lon", "lat", "public_lon", "public_lat")),
        sa.Column("h3", sa.BigInteger()),
        sa.Column("public_h3", sa.BigInteger()),
        sa.Column("record_key", sa.SmallInteger(), nullable=False),
    )
    op.create_index("ix_form_responses_form_seq", "form_responses", ["form_seq"])
    op.add_column("api_keys", sa.Column("digest_ha1", sa.String(32)))
    op.create_table(
        "form_answers",
        sa.Column("response_seq", sa.BigInteger(), primary_key=True),
        sa.Column("question", sa.String(64), primary_key=True),
        sa.Column("item", sa.SmallInteger(), primary_key=True),
        sa.Column("text", sa.Text()),
        sa.Column("day", sa.Date()),
        *(sa.Column(name, sa.Float()) for name in ("number", "lon", "lat", "altitude", "accuracy")),
    )


def downgrade() -> None:
    op.drop_column("api_keys", "digest_ha1")
    op.drop_table("form_answers")
    op.drop_index("ix_form_responses_form_seq", "form_responses")
    op.drop_table("form_responses")
    op.drop_table("forms")
