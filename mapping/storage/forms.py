"""Storage of forms, their responses and typed answers: the tables `forms`, `form_responses` and
`form_answers` (on the schema's one `metadata`, beside mapping.storage.tables), and plain reads
and writes of them; the rules are mapping.reports.forms'."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping

from mapping.storage.tables import Json, Seq, metadata

# XLSForm questionnaires (mapping.reports.forms): each version as uploaded, never changed, with its
# XForm and the spec its answers are checked by.
forms = sa.Table(
    "forms",
    metadata,
    sa.Column("seq", Seq, primary_key=True, autoincrement=True),
    *(
        sa.Column(name, sa.String(64), nullable=False)
        for name in ("form_id", "version", "campaign")
    ),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("spec", Json, nullable=False),
    sa.Column("xform", sa.Text(), nullable=False),
    sa.Column("xform_md5", sa.String(32), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("created_by", sa.String(200), nullable=False),
    sa.UniqueConstraint("form_id", "version"),
)
# A response to one form version, found again by the client's `instance_id`. Its place is its
# first geopoint answer; `public_*` the centre of that point's cell at the public resolution.
form_responses = sa.Table(
    "form_responses",
    metadata,
    sa.Column("seq", Seq, primary_key=True, autoincrement=True),
    sa.Column("id", sa.Uuid(), nullable=False, unique=True),
    sa.Column("instance_id", sa.String(100), nullable=False, unique=True),
    sa.Column("content_hash", sa.String(64), nullable=False),
    sa.Column("form_seq", sa.BigInteger(), nullable=False, index=True),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("submitter", sa.String(32)),
    *(sa.Column(name, sa.Float()) for name in ("lon", "lat", "public_lon", "public_lat")),
    sa.Column("h3", sa.BigInteger()),
    sa.Column("public_h3", sa.BigInteger()),
    sa.Column("record_key", sa.SmallInteger(), nullable=False),  # the cell key method's
)
# The answers, typed: a row per answer (per chosen option of a select_multiple, `item` 0..),
# its value in the column of its type; an image answer's `text` is its file's name.
form_answers = sa.Table(
    "form_answers",
    metadata,
    sa.Column("response_seq", sa.BigInteger(), primary_key=True),
    sa.Column("question", sa.String(64), primary_key=True),
    sa.Column("item", sa.SmallInteger(), primary_key=True),
    sa.Column("text", sa.Text()),
    sa.Column("day", sa.Date()),
    *(sa.Column(name, sa.Float()) for name in ("number", "lon", "lat", "altitude", "accuracy")),
)

# Columns of a response as listings read it, with its form version's id and version.
_RESPONSE = (*form_responses.c, forms.c.form_id, forms.c.version, forms.c.campaign, forms.c.kind)


def add_form(conn: Connection, row: Mapping[str, Any]) -> int:
    return int(conn.execute(sa.insert(forms).values(**row).returning(forms.c.seq)).scalar_one())


def form_version(conn: Connection, form_id: str, version: str) -> RowMapping | None:
    query = sa.select(forms).where(forms.c.form_id == form_id, forms.c.version == version)
    return conn.execute(query).mappings().first()


def form_by_seq(conn: Connection, seq: int) -> RowMapping | None:
    return conn.execute(sa.select(forms).where(forms.c.seq == seq)).mappings().first()


def versions(conn: Connection, form_id: str) -> list[RowMapping]:
    """Every version of a form, oldest first (the last is the current one)."""
    query = sa.select(forms).where(forms.c.form_id == form_id).order_by(forms.c.seq)
    return list(conn.execute(query).mappings())


def current_forms(conn: Connection, *, campaign: str | None = None) -> list[RowMapping]:
    """The latest version of every form (of one campaign), by form id."""
    latest = sa.select(sa.func.max(forms.c.seq)).group_by(forms.c.form_id)
    query = sa.select(forms).where(forms.c.seq.in_(latest)).order_by(forms.c.form_id)
    if campaign is not None:
        query = query.where(forms.c.campaign == campaign)
    return list(conn.execute(query).mappings())


def response_by_instance(conn: Connection, instance_id: str) -> RowMapping | None:
    query = (
        sa.select(*_RESPONSE)
        .join(forms, forms.c.seq == form_responses.c.form_seq)
        .where(form_responses.c.instance_id == instance_id)
    )
    return conn.execute(query).mappings().first()


def response_by_id(conn: Connection, response_id: Any) -> RowMapping | None:
    query = (
        sa.select(*_RESPONSE)
        .join(forms, forms.c.seq == form_responses.c.form_seq)
        .where(form_responses.c.id == response_id)
    )
    return conn.execute(query).mappings().first()


def add_response(
    conn: Connection, row: Mapping[str, Any], answers: Iterable[Mapping[str, Any]]
) -> int:
    """Store a response and its answer rows in the caller's transaction; its seq."""
    seq = int(
        conn.execute(
            sa.insert(form_responses).values(**row).returning(form_responses.c.seq)
        ).scalar_one()
    )
    rows = [{**answer, "response_seq": seq} for answer in answers]
    if rows:
        conn.execute(sa.insert(form_answers), rows)
    return seq


def responses_page(
    conn: Connection, form_id: str, *, after: int = 0, limit: int = 1000
) -> list[RowMapping]:
    """Responses to every version of a form, oldest first, after seq `after`."""
    query = (
        sa.select(*_RESPONSE)
        .join(forms, forms.c.seq == form_responses.c.form_seq)
        .where(forms.c.form_id == form_id, form_responses.c.seq > after)
        .order_by(form_responses.c.seq)
        .limit(limit)
    )
    return list(conn.execute(query).mappings())


def answers_of(conn: Connection, seqs: Sequence[int]) -> dict[int, list[RowMapping]]:
    """The answer rows of each response, by response seq, in item order."""
    found: dict[int, list[RowMapping]] = defaultdict(list)
    if not seqs:
        return found
    query = (
        sa.select(form_answers)
        .where(form_answers.c.response_seq.in_(list(seqs)))
        .order_by(form_answers.c.response_seq, form_answers.c.question, form_answers.c.item)
    )
    for row in conn.execute(query).mappings():
        found[row["response_seq"]].append(row)
    return found
